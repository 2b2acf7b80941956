package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/server"
)

const watchWorkers = "worker.list=jkstatus\nworker.jkstatus.type=status\n"

// watchFixture is a server running the files in dir, with the watch of
// config_reload on them; tests drive its check by hand (no ticker).
type watchFixture struct {
	dir, logFile string
	srv          *server.Server
	w            *contentWatch
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeConfig writes jkbalancer.yaml, workers.properties and
// uriworkermap.properties (mounting mount to the status worker) into dir.
func writeConfig(t *testing.T, dir, logFile, mount string) {
	writeFile(t, filepath.Join(dir, "jkbalancer.yaml"), "listen: [\"127.0.0.1:0\"]\nworkers_file: workers.properties\n"+
		"mount_file: uriworkermap.properties\nmount_file_reload: 0\nlog: {file: "+logFile+"}\nadmin: {listen: \"\"}\n")
	writeFile(t, filepath.Join(dir, "workers.properties"), watchWorkers)
	writeFile(t, filepath.Join(dir, "uriworkermap.properties"), mount+"=jkstatus\n")
}

// startWatch starts a server (not listening: ServeHTTP is enough) from
// configDir/jkbalancer.yaml.
func startWatch(t *testing.T, configDir, logFile string) *watchFixture {
	t.Helper()
	src := config.Sources{ConfigFile: filepath.Join(configDir, "jkbalancer.yaml")}
	cfg, problems := config.Load(src)
	if cfg == nil {
		t.Fatalf("load: %v", problems)
	}
	srv, err := server.New(cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &watchFixture{dir: configDir, logFile: logFile, srv: srv, w: newServerWatch(srv, src, cfg)}
}

func newWatchFixture(t *testing.T) *watchFixture {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "error.log")
	writeConfig(t, dir, logFile, "/a")
	return startWatch(t, dir, logFile)
}

func (f *watchFixture) status(path string) int {
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code
}

func (f *watchFixture) logCount(s string) int {
	b, _ := os.ReadFile(f.logFile)
	return strings.Count(string(b), s)
}

// checkN runs the check n times and returns how many tried a reload.
func (f *watchFixture) checkN(n int) int {
	tried := 0
	for range n {
		if f.w.check() {
			tried++
		}
	}
	return tried
}

func (f *watchFixture) wantStats(t *testing.T, reloads, failed uint64) {
	t.Helper()
	if st := f.srv.ReloadStats(); st.Reloads != reloads || st.Failed != failed {
		t.Fatalf("reloads %d, refused %d; want %d, %d", st.Reloads, st.Failed, reloads, failed)
	}
}

// TestConfigWatchContentChange: a changed file reloads exactly once, and
// the new mount table serves.
func TestConfigWatchContentChange(t *testing.T) {
	f := newWatchFixture(t)
	if n := f.checkN(3); n != 0 {
		t.Fatalf("%d reloads with nothing changed", n)
	}
	writeFile(t, filepath.Join(f.dir, "uriworkermap.properties"), "/b=jkstatus\n")
	if n := f.checkN(5); n != 1 {
		t.Fatalf("%d reloads for one change, want 1", n)
	}
	f.wantStats(t, 1, 0)
	if f.status("/b") != 200 || f.status("/a") != 404 {
		t.Errorf("after the reload: /b %d, /a %d", f.status("/b"), f.status("/a"))
	}
}

// TestConfigWatchIgnoresMtime: touching the files, or writing the same
// bytes again, is no change.
func TestConfigWatchIgnoresMtime(t *testing.T) {
	f := newWatchFixture(t)
	later := time.Now().Add(time.Hour)
	for _, name := range []string{"jkbalancer.yaml", "workers.properties", "uriworkermap.properties"} {
		if err := os.Chtimes(filepath.Join(f.dir, name), later, later); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(f.dir, "workers.properties"), watchWorkers)
	if n := f.checkN(3); n != 0 {
		t.Fatalf("%d reloads for an mtime change", n)
	}
	f.wantStats(t, 0, 0)
}

// TestConfigWatchConfigMapSwap lays the files out as kubelet mounts a
// ConfigMap (name -> ..data/name, ..data -> a timestamped directory) and
// updates it as kubelet does: a new directory, then ..data renamed over.
func TestConfigWatchConfigMapSwap(t *testing.T) {
	mnt := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "error.log")
	version := func(name, mount string) {
		t.Helper()
		d := filepath.Join(mnt, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		writeConfig(t, d, logFile, mount)
		if err := os.Symlink(name, filepath.Join(mnt, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(mnt, "..data_tmp"), filepath.Join(mnt, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	version("..2026_12_07_16_00_00.1", "/a")
	for _, name := range []string{"jkbalancer.yaml", "workers.properties", "uriworkermap.properties"} {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(mnt, name)); err != nil {
			t.Fatal(err)
		}
	}
	f := startWatch(t, mnt, logFile)
	if n := f.checkN(2); n != 0 {
		t.Fatalf("%d reloads before the update", n)
	}
	version("..2026_12_07_16_01_00.2", "/b")
	if n := f.checkN(3); n != 1 {
		t.Fatalf("%d reloads for one ConfigMap update, want 1", n)
	}
	f.wantStats(t, 1, 0)
	if f.status("/b") != 200 {
		t.Errorf("/b after the update: %d", f.status("/b"))
	}
}

// TestConfigWatchRefusedOnce: a broken file is refused and logged once,
// however many ticks see it; the running configuration keeps serving;
// the next good content is taken.
func TestConfigWatchRefusedOnce(t *testing.T) {
	f := newWatchFixture(t)
	writeFile(t, filepath.Join(f.dir, "workers.properties"), watchWorkers+"worker.jkstatus.bogus=1\n")
	if n := f.checkN(5); n != 1 {
		t.Fatalf("%d reloads tried for one broken content, want 1", n)
	}
	f.wantStats(t, 0, 1)
	if c := f.logCount("reload refused"); c != 1 {
		t.Errorf("refusal logged %d times, want once", c)
	}
	if c := f.logCount("workers.properties:3: error"); c != 1 {
		t.Errorf("the error with file:line logged %d times, want once", c)
	}
	if f.status("/a") != 200 {
		t.Errorf("/a while refused: %d", f.status("/a"))
	}
	writeFile(t, filepath.Join(f.dir, "workers.properties"), watchWorkers)
	writeFile(t, filepath.Join(f.dir, "uriworkermap.properties"), "/c=jkstatus\n")
	if n := f.checkN(3); n != 1 {
		t.Fatalf("%d reloads for the fixed content, want 1", n)
	}
	f.wantStats(t, 1, 1)
	if f.status("/c") != 200 {
		t.Errorf("/c after the fix: %d", f.status("/c"))
	}
}

// TestConfigWatchRunsOnTicks: run checks on each tick of the (injected)
// ticker and returns when its context ends.
func TestConfigWatchRunsOnTicks(t *testing.T) {
	f := newWatchFixture(t)
	tick := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.w.run(ctx, tick) }()
	writeFile(t, filepath.Join(f.dir, "uriworkermap.properties"), "/b=jkstatus\n")
	tick <- time.Now() // unbuffered: received by run
	tick <- time.Now() // the first check has finished once this one is received
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	f.wantStats(t, 1, 0)
}

// TestWatchedFiles: the certificates are watched, the state file is not,
// and the list is bounded.
func TestWatchedFiles(t *testing.T) {
	cfg := &config.Config{Server: config.Server{WorkersFile: "w", MountFile: "m", StateFile: "state.json",
		Listen: []config.Listener{{Addr: ":8443", TLS: &config.TLS{Certificate: config.Certificate{CertFile: "c", KeyFile: "k"},
			ClientCAFile: "ca", Certificates: []config.Certificate{{CertFile: "c2", KeyFile: "k2"}, {CertFile: "c", KeyFile: "k"}}}}}}}
	got := strings.Join(watchedFiles("y", cfg), " ")
	if got != "y w m c k ca c2 k2" {
		t.Errorf("watched %q", got)
	}
	for i := range 2 * maxWatchFiles {
		cfg.Server.Listen = append(cfg.Server.Listen, config.Listener{TLS: &config.TLS{Certificate: config.Certificate{CertFile: strings.Repeat("x", i+1)}}})
	}
	if n := len(watchedFiles("y", cfg)); n != maxWatchFiles {
		t.Errorf("%d files watched, want the bound %d", n, maxWatchFiles)
	}
}

// TestServeConfigReload runs the serve path with --config-reload: a
// changed mount file is served without a signal, and serve warns once
// that status edits are not kept (no state file given).
func TestServeConfigReload(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "error.log")
	writeConfig(t, dir, logFile, "/a")
	every := 20 * time.Millisecond
	src := config.Sources{ConfigFile: filepath.Join(dir, "jkbalancer.yaml"), ConfigReload: &every}
	status := serveInBackground(t, src, logFile)
	if st := status("/a"); st != 200 {
		t.Fatalf("/a: %d", st)
	}
	writeFile(t, filepath.Join(dir, "uriworkermap.properties"), "/b=jkstatus\n")
	waitFor(t, "config_reload to map /b", func() bool { return status("/b") == 200 })
	b, _ := os.ReadFile(logFile)
	if n := strings.Count(string(b), "will not survive a restart"); n != 1 {
		t.Errorf("%d warnings about edits lost on restart, want 1:\n%s", n, b)
	}
}

// TestHashFilesOddFiles: a FIFO or a directory where a file is expected
// neither blocks nor fails the tick; a missing file differs from an
// empty one.
func TestHashFilesOddFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	empty := filepath.Join(dir, "empty")
	writeFile(t, empty, "")
	done := make(chan digest, 1)
	go func() { done <- hashFiles([]string{fifo, dir, empty}) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("hashing a FIFO blocked")
	}
	present := hashFiles([]string{empty})
	if err := os.Remove(empty); err != nil {
		t.Fatal(err)
	}
	if hashFiles([]string{empty}) == present {
		t.Error("a missing file hashes like an empty one")
	}
}
