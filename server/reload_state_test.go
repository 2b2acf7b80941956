package server

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
)

// TestReloadKeepsMemberState: a member in error stays in error, lb values
// carry over, and a status worker edit (activation) survives through the
// state file.
func TestReloadKeepsMemberState(t *testing.T) {
	t1, t2, t3 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2")),
		ajptest.NewServer(ajptest.EchoHandler("t3"))
	defer t1.Close()
	defer t2.Close()
	defer t3.Close()
	yaml := "listen: [\"127.0.0.1:0\"]\nworkers_file: $DIR/workers.properties\nmounts: [\"/*=lb\", \"/jk-status=jkstatus\"]\n" +
		"state_file: $DIR/state.json\n"
	status := "worker.list=jkstatus\nworker.jkstatus.type=status\n"
	ms := []*ajptest.Server{t1, t2, t3}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": yaml, "workers.properties": lbWorkers(ms, status)})
	t3.Close() // t3 fails: the lb puts it in error
	countRoutes(t, http.DefaultClient, r.url("/x"), 6)
	if st := member(r.lb("lb"), "t3").State; st != balancer.StateError {
		t.Fatalf("t3 state %v before the reload", st)
	}
	resp, err := http.Get(r.url("/jk-status?cmd=update&mime=txt&w=lb&sw=t1&vwa=d"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "type=OK") {
		t.Fatalf("status update: %s", b)
	}
	before := r.lb("lb")
	r.mustReload(map[string]string{"workers.properties": lbWorkers(ms, status+"worker.lb.retries=3\n")})
	after := r.lb("lb")
	if m := member(after, "t3"); m.State != balancer.StateError || !m.FirstErrorTime.Equal(member(before, "t3").FirstErrorTime) {
		t.Errorf("t3 after the reload: state %v, error time %v", m.State, m.FirstErrorTime)
	}
	if a := member(after, "t1").Activation; a != config.Disabled {
		t.Errorf("t1 activation %v after the reload, want the status edit (Disabled)", a)
	}
	if v := member(after, "t2").LBValue; v != member(before, "t2").LBValue {
		t.Errorf("t2 lb_value %d, was %d", v, member(before, "t2").LBValue)
	}
	if after.Retries != 3 {
		t.Errorf("retries %d: the new configuration did not apply", after.Retries)
	}
	// Routing follows: t1 disabled, t3 in error: t2 only.
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 3); got["t2"] != 3 {
		t.Errorf("after the reload: %v", got)
	}
}

// statusUpdate sends a mod_jk status worker update (the scripts' GET API).
func (r *reloadRig) statusUpdate(query string) {
	r.t.Helper()
	resp, err := http.Get(r.url("/jk-status?cmd=update&mime=txt&" + query))
	if err != nil {
		r.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "type=OK") {
		r.t.Fatalf("status update %s: %s", query, b)
	}
}

// TestReloadKeepsEditsWithoutStateFile: without a state file, status
// worker edits still survive a reload (and the next one), unless the files
// changed that attribute since; the lb values are not reset by carrying
// them.
func TestReloadKeepsEditsWithoutStateFile(t *testing.T) {
	t1, t2, t3 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2")),
		ajptest.NewServer(ajptest.EchoHandler("t3"))
	defer t1.Close()
	defer t2.Close()
	defer t3.Close()
	yaml := "listen: [\"127.0.0.1:0\"]\nworkers_file: $DIR/workers.properties\nmounts: [\"/*=lb\", \"/jk-status=jkstatus\"]\n"
	status := "worker.list=jkstatus\nworker.jkstatus.type=status\n"
	ms := []*ajptest.Server{t1, t2, t3}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": yaml, "workers.properties": lbWorkers(ms, status)})
	r.statusUpdate("w=lb&sw=t1&vwa=d")
	r.statusUpdate("w=lb&sw=t2&vwf=3&vwn=r2")
	r.statusUpdate("w=lb&sw=t3&vwd=1")
	r.statusUpdate("w=lb&vlr=4")
	countRoutes(t, http.DefaultClient, r.url("/x"), 5)
	before := r.lb("lb")

	// The files now set t3's distance: the file wins for that one.
	r.mustReload(map[string]string{"workers.properties": lbWorkers(ms, status+"worker.t3.distance=2\n")})
	r.mustReload(nil) // and once more: the edits are still carried
	after := r.lb("lb")
	t1s, t2s, t3s := member(after, "t1"), member(after, "t2"), member(after, "t3")
	if t1s.Activation != config.Disabled || t2s.LBFactor != 3 || t2s.Route != "r2" || after.Retries != 4 {
		t.Errorf("edits lost: t1 %v, t2 lbfactor %d route %q, retries %d", t1s.Activation, t2s.LBFactor, t2s.Route, after.Retries)
	}
	if t3s.Distance != 2 {
		t.Errorf("t3 distance %d: the changed file should win over the edit", t3s.Distance)
	}
	for _, name := range []string{"t2", "t3"} {
		if v := member(after, name).LBValue; v != member(before, name).LBValue {
			t.Errorf("%s lb value %d, was %d", name, v, member(before, name).LBValue)
		}
	}
	// An operator who undoes an edit is not overruled by the next reload.
	r.statusUpdate("w=lb&sw=t1&vwa=a")
	r.mustReload(nil)
	if a := member(r.lb("lb"), "t1").Activation; a != config.Active {
		t.Errorf("t1 activation %v after undoing the edit", a)
	}
	// The file changing the edited attribute wins: t2's lbfactor.
	r.mustReload(map[string]string{"workers.properties": lbWorkers(ms, status+"worker.t2.lbfactor=7\n")})
	if f := member(r.lb("lb"), "t2").LBFactor; f != 7 {
		t.Errorf("t2 lbfactor %d, want the file's 7", f)
	}
}

// TestReloadMemberWithoutAddress: a member without an address is Stopped
// at start and after a reload, and becomes Active when a reload gives it
// one.
func TestReloadMemberWithoutAddress(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	ms := []*ajptest.Server{t1, t2}
	noPort := strings.Replace(lbWorkers(ms, ""), "worker.t2.port="+portOf(t2), "worker.t2.port=0", 1)
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""), "workers.properties": noPort})
	if a := member(r.lb("lb"), "t2").Activation; a != config.Stopped {
		t.Fatalf("t2 without a port: %v", a)
	}
	r.mustReload(nil)
	if a := member(r.lb("lb"), "t2").Activation; a != config.Stopped {
		t.Fatalf("t2 without a port after a reload: %v", a)
	}
	r.mustReload(map[string]string{"workers.properties": lbWorkers(ms, "")})
	if a := member(r.lb("lb"), "t2").Activation; a != config.Active {
		t.Fatalf("t2 with its port back: %v", a)
	}
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 4); got["t2"] == 0 {
		t.Errorf("t2 gets no requests: %v", got)
	}
}
