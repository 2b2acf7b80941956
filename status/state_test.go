package status

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

func TestStateRoundTrip(t *testing.T) {
	state := filepath.Join(t.TempDir(), "jk.state")
	f := newFixture(t, fixtureOpts{stateFile: state})
	for _, q := range []string{"cmd=update&w=lb&sw=t1&vwa=d&vwf=4", "cmd=update&w=lb&vls=0&vlr=3",
		"cmd=update&w=lb&sw=t2&vart=5000&vwr=t1", "cmd=update&w=direct&vabl=9"} {
		if got := f.result(q); got != resultOK {
			t.Fatalf("%s: %s", q, got)
		}
	}
	fi, err := os.Stat(state)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	var st stateFile
	data, _ := os.ReadFile(state)
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if e := st.LBs["lb"].Members["t1"]["activation"]; e.Value != "DIS" || e.Config != "ACT" {
		t.Errorf("activation entry %+v in\n%s", e, data)
	}
	if e := st.Workers["t2"]["reply_timeout"]; e.Value != "5000" || e.Config != "0" {
		t.Errorf("reply_timeout entry %+v", e)
	}

	// A restart: the same configuration, the saved edits applied.
	g := newFixture(t, fixtureOpts{stateFile: state})
	m := g.member("t1")
	if m.Activation != config.Disabled || m.LBFactor != 4 {
		t.Errorf("t1 after restart: %+v", m)
	}
	s := g.lb.Snapshot()
	if s.StickySession || s.Retries != 3 || g.member("t2").Redirect != "t1" {
		t.Errorf("lb after restart: %+v", s)
	}
	if g.instances["t2"][0].Config().ReplyTimeout != 5000 || g.direct.Config().BusyLimit != 9 {
		t.Error("AJP edits not restored")
	}

	// Editing back to the configured value removes the entry.
	if got := g.result("cmd=update&w=lb&sw=t1&vwa=a"); got != resultOK {
		t.Fatal(got)
	}
	data, _ = os.ReadFile(state)
	if strings.Contains(string(data), `"activation"`) {
		t.Errorf("activation back to ACT is still saved:\n%s", data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(state)); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestStateYieldsToChangedConfigAndWarnsAboutGoneWorkers(t *testing.T) {
	state := filepath.Join(t.TempDir(), "jk.state")
	saved := `{"version": 1,
 "lbs": {"lb": {"members": {"t2": {"lbfactor": {"value": "9", "config": "1"}, "distance": {"value": "3", "config": "0"}},
                            "gone": {"activation": {"value": "STP", "config": "ACT"}}}},
         "oldlb": {"settings": {"retries": {"value": "5", "config": "2"}}}},
 "workers": {"t3": {"busy_limit": {"value": "4", "config": "0"}}}}`
	if err := os.WriteFile(state, []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, fixtureOpts{stateFile: state})
	if m := f.member("t2"); m.LBFactor != 2 || m.Distance != 3 {
		t.Errorf("t2: lbfactor is 2 in workers.properties now (the file wins), distance 3 is restored: %+v", m)
	}
	if f.instances["t3"][0].Config().BusyLimit != 4 {
		t.Error("t3 busy_limit not restored")
	}
	for _, want := range []string{"the file wins", `worker=gone`, `lb=oldlb`} {
		if !strings.Contains(f.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, f.log.String())
		}
	}
}

func TestCorruptStateIsMovedAside(t *testing.T) {
	state := filepath.Join(t.TempDir(), "jk.state")
	os.WriteFile(state, []byte("{not json"), 0o600)
	f := newFixture(t, fixtureOpts{stateFile: state})
	if _, err := os.Stat(state + ".corrupt"); err != nil {
		t.Errorf("not moved aside: %v", err)
	}
	if got := f.result("cmd=update&w=lb&sw=t1&vwd=1"); got != resultOK {
		t.Fatal(got)
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("a new state file was not written: %v", err)
	}
}

func TestNoStateFile(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	if f.store != nil || f.result("cmd=update&w=lb&sw=t1&vwd=1") != resultOK {
		t.Error("without state_file the edit applies and nothing is written")
	}
}
