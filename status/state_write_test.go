package status

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fullDisk hands out temporary files that, while full is set, take room
// bytes and then fail with ENOSPC, as a write to a full disk does.
type fullDisk struct {
	full    bool
	room    int
	creates int
}

type diskTemp struct {
	*os.File
	d *fullDisk
}

func (d *fullDisk) create(dir, pattern string) (tempFile, error) {
	d.creates++
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return diskTemp{f, d}, nil
}

func (t diskTemp) Write(p []byte) (int, error) {
	if !t.d.full {
		return t.File.Write(p)
	}
	n, _ := t.File.Write(p[:min(t.d.room, len(p))])
	return n, syscall.ENOSPC
}

// TestStateFileOnAFullDisk: on a full disk an edit applies, the old state
// file stays whole (no temporary file left), the error log says so once
// however many edits and retries; when space returns, Retry writes every
// edit without a new one, one line says so, and a restart applies them.
func TestStateFileOnAFullDisk(t *testing.T) {
	state := filepath.Join(t.TempDir(), "jk.state")
	f := newFixture(t, fixtureOpts{stateFile: state})
	disk := &fullDisk{}
	f.store.create = disk.create
	if got := f.result("cmd=update&w=lb&sw=t1&vwa=d"); got != resultOK {
		t.Fatal(got)
	}
	before, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}

	disk.full, disk.room = true, 20
	for _, q := range []string{"cmd=update&w=lb&sw=t1&vwf=4", "cmd=update&w=lb&sw=t2&vwf=7"} {
		if got := f.result(q); got != resultOK {
			t.Fatalf("%s on a full disk: %s", q, got)
		}
	}
	f.store.Retry()
	if f.member("t1").LBFactor != 4 || f.member("t2").LBFactor != 7 {
		t.Errorf("edits on a full disk not applied: t1 %d, t2 %d", f.member("t1").LBFactor, f.member("t2").LBFactor)
	}
	if now, _ := os.ReadFile(state); string(now) != string(before) {
		t.Errorf("the state file changed on a full disk:\n%s\nwas:\n%s", now, before)
	}
	if entries, _ := os.ReadDir(filepath.Dir(state)); len(entries) != 1 {
		t.Errorf("files left next to the state file: %v", entries)
	}
	if n := strings.Count(f.log.String(), "the state file cannot be written"); n != 1 ||
		!strings.Contains(f.log.String(), "no space left on device") || !f.store.Unsaved() {
		t.Fatalf("%d failure lines (want 1 naming ENOSPC), unsaved %v:\n%s", n, f.store.Unsaved(), f.log)
	}

	disk.full = false
	f.store.Retry() // no new edit: the timer's retry writes them
	f.store.Retry()
	if n := strings.Count(f.log.String(), "the state file can be written again"); n != 1 || f.store.Unsaved() {
		t.Errorf("%d recovery lines (want 1), unsaved %v:\n%s", n, f.store.Unsaved(), f.log)
	}
	if disk.creates != 5 { // 1 edit, 2 failed edits, 1 failed retry, 1 retry; the last Retry writes nothing
		t.Errorf("%d writes, want 5", disk.creates)
	}
	g := newFixture(t, fixtureOpts{stateFile: state})
	if m := g.member("t1"); m.LBFactor != 4 || g.member("t2").LBFactor != 7 {
		t.Errorf("after a restart: t1 %+v, t2 lbfactor %d", m, g.member("t2").LBFactor)
	}
}
