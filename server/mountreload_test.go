package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestMountFileReload: JkMountFileReload. A new mtime makes the check read
// the file again: its rules replace the file's old ones (a deleted line
// really goes), the JkMount rules stay, the workers are untouched. An
// unchanged mtime reads nothing; a file that cannot be read keeps the
// current table and is reported once.
func TestMountFileReload(t *testing.T) {
	be := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer be.Close()
	yaml := "listen: [\"127.0.0.1:0\"]\nworkers_file: $DIR/workers.properties\nmount_file: $DIR/uriworkermap.properties\n" +
		"mount_file_reload: 0\nmounts: [\"/inline/*=lb\"]\n"
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": yaml,
		"workers.properties":      lbWorkers([]*ajptest.Server{be}, ""),
		"uriworkermap.properties": "/a/*=lb\n"})
	mapFile := filepath.Join(r.dir, "uriworkermap.properties")
	status := func(path string) int {
		t.Helper()
		resp, err := http.Get(r.url(path))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	check := func(want bool) {
		t.Helper()
		got, err := r.srv.CheckMountFile()
		if got != want {
			t.Fatalf("CheckMountFile = %v (%v), want %v\n%s", got, err, want, r.log.String())
		}
	}
	if status("/a/x") != 200 || status("/b/x") != 404 || status("/inline/x") != 200 {
		t.Fatal("before the reload")
	}
	check(false) // nothing changed

	mtime := time.Now().Add(time.Hour).Truncate(time.Second)
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(mapFile, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		mtime = mtime.Add(time.Second)
		if err := os.Chtimes(mapFile, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	write("/b/*=lb\n/c/*=nosuchworker\n")
	check(true)
	if status("/a/x") != 404 || status("/b/x") != 200 || status("/inline/x") != 200 || status("/c/x") != 500 {
		t.Fatal("after the reload: /a/* should be gone, /b/* mapped, /inline/* kept")
	}
	if !strings.Contains(r.log.String(), "nosuchworker, which is not in worker.list") {
		t.Errorf("the new rule's problem was not logged:\n%s", r.log.String())
	}
	check(false)

	// A directory in its place cannot be read: the table stays.
	os.Remove(mapFile)
	if err := os.Mkdir(mapFile, 0o700); err != nil {
		t.Fatal(err)
	}
	mtime = mtime.Add(time.Second)
	os.Chtimes(mapFile, mtime, mtime)
	check(false)
	check(false) // the same broken version is not read again
	if status("/b/x") != 200 {
		t.Fatal("a broken mount file replaced the table")
	}
	if n := strings.Count(r.log.String(), "mount file not reloaded"); n != 1 {
		t.Errorf("the broken file was reported %d times, want once:\n%s", n, r.log.String())
	}
	// Gone entirely: reported once, the table stays; back: read again.
	os.Remove(mapFile)
	check(false)
	check(false)
	if n := strings.Count(r.log.String(), "mount file cannot be read"); n != 1 {
		t.Errorf("the missing file was reported %d times, want once", n)
	}
	write("/a/*=lb\n")
	check(true)
	if status("/a/x") != 200 || status("/b/x") != 404 {
		t.Fatal("after the file came back")
	}
	if st := r.srv.ReloadStats(); st.MountReloads != 2 || st.MountFailed != 2 || st.Reloads != 0 {
		t.Errorf("stats %+v", st)
	}
	// A full reload reads the mount file too, and the check then sees
	// nothing new.
	r.mustReload(nil)
	check(false)
}

// TestMountFileReloadTicks: with mount_file_reload set, the maintenance
// loop checks by itself. The interval is 1 second, the smallest there is;
// the poll is bounded.
func TestMountFileReloadTicks(t *testing.T) {
	be := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer be.Close()
	yaml := "listen: [\"127.0.0.1:0\"]\nworkers_file: $DIR/workers.properties\nmount_file: $DIR/uriworkermap.properties\n" +
		"mount_file_reload: 1\n"
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": yaml,
		"workers.properties":      lbWorkers([]*ajptest.Server{be}, ""),
		"uriworkermap.properties": "/a/*=lb\n"})
	mapFile := filepath.Join(r.dir, "uriworkermap.properties")
	if err := os.WriteFile(mapFile, []byte("/b/*=lb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	os.Chtimes(mapFile, future, future)
	eventually(t, "the loop to reload the mount file", func() bool { return r.srv.ReloadStats().MountReloads == 1 })
	resp, err := http.Get(r.url("/b/x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/b/x: %d", resp.StatusCode)
	}
}
