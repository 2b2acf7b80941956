package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// convergeWorkers: an lb of two members nothing listens for (the tests
// only read and edit them through the status worker).
const convergeWorkers = "worker.list=lb,jkstatus\nworker.jkstatus.type=status\n" +
	"worker.lb.type=lb\nworker.lb.balance_workers=t1,t2\n" +
	"worker.t1.host=127.0.0.1\nworker.t1.port=1\nworker.t2.host=127.0.0.1\nworker.t2.port=1\n"

// replica is one serveUntil on loopback; stop ends it.
type replica struct {
	addr string
	stop func()
}

func startReplica(t *testing.T, src config.Sources, logFile string) *replica {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveUntil(ctx, newServeCommand(), src) }()
	r := &replica{}
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not return")
		}
	}
	t.Cleanup(r.stop)
	waitFor(t, "a replica to start", func() bool {
		b, _ := os.ReadFile(logFile)
		i := strings.LastIndex(string(b), "listen=[")
		if i < 0 {
			return false
		}
		r.addr, _, _ = strings.Cut(string(b)[i+len("listen=["):], "]")
		return true
	})
	return r
}

func (r *replica) get(path string) string {
	resp, err := http.Get("http://" + r.addr + path)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(b)
}

func (r *replica) activation(member string) string {
	for _, line := range strings.Split(r.get("/jk-status?mime=prop"), "\n") {
		if v, ok := strings.CutPrefix(line, "worker."+member+".activation="); ok {
			return v
		}
	}
	return ""
}

// TestReplicasConverge: two replicas on one kubelet-style ConfigMap
// mount (each with its own log); activation=D written once reaches both.
func TestReplicasConverge(t *testing.T) {
	mnt := t.TempDir()
	logs := t.TempDir()
	version := func(name, workers string) {
		t.Helper()
		d := filepath.Join(mnt, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(d, "workers.properties"), workers)
		writeFile(t, filepath.Join(d, "uriworkermap.properties"), "/jk-status=jkstatus\n")
		if err := os.Symlink(name, filepath.Join(mnt, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(mnt, "..data_tmp"), filepath.Join(mnt, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	version("..v1", convergeWorkers)
	for _, name := range []string{"workers.properties", "uriworkermap.properties"} {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(mnt, name)); err != nil {
			t.Fatal(err)
		}
	}
	every := 20 * time.Millisecond
	var rs []*replica
	for i, name := range []string{"a", "b"} {
		logFile := filepath.Join(logs, name+".log")
		yaml := filepath.Join(logs, name+".yaml") // per replica: its log; the rest from the mount
		writeFile(t, yaml, "listen: [\"127.0.0.1:0\"]\nworkers_file: "+filepath.Join(mnt, "workers.properties")+
			"\nmount_file: "+filepath.Join(mnt, "uriworkermap.properties")+"\nmount_file_reload: 0\n"+
			"log: {file: "+logFile+"}\nadmin: {listen: \"\"}\n")
		rs = append(rs, startReplica(t, config.Sources{ConfigFile: yaml, ConfigReload: &every}, logFile))
		if got := rs[i].activation("t1"); got != "ACT" {
			t.Fatalf("replica %s: t1 activation %q before the change", name, got)
		}
	}
	version("..v2", convergeWorkers+"worker.t1.activation=D\n")
	for i, r := range rs {
		waitFor(t, "t1 DIS on replica "+string(rune('a'+i)), func() bool { return r.activation("t1") == "DIS" })
	}
}

// TestStateDirectoryKeepsEdits: with only $STATE_DIRECTORY (as under the
// shipped unit), a drain made on the status worker survives a restart.
func TestStateDirectoryKeepsEdits(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	logFile := filepath.Join(dir, "error.log")
	writeFile(t, filepath.Join(dir, "workers.properties"), convergeWorkers)
	writeFile(t, filepath.Join(dir, "jkbalancer.yaml"), "listen: [\"127.0.0.1:0\"]\nworkers_file: workers.properties\n"+
		"mounts: [\"/jk-status=jkstatus\"]\nlog: {file: "+logFile+"}\nadmin: {listen: \"\"}\n")
	t.Setenv("STATE_DIRECTORY", state)
	var sf serveFlags // no flags given: only the environment counts
	cmd := newServeCommand()
	src := config.Sources{ConfigFile: filepath.Join(dir, "jkbalancer.yaml")}
	sf.apply(cmd, &src)

	first := startReplica(t, src, logFile)
	if got := first.get("/jk-status?cmd=update&mime=txt&w=lb&sw=t1&vwa=d"); !strings.Contains(got, "type=OK") {
		t.Fatalf("update: %q", got)
	}
	first.stop()
	if b, _ := os.ReadFile(logFile); strings.Contains(string(b), "will not survive a restart") {
		t.Errorf("warned about lost edits although $STATE_DIRECTORY is set:\n%s", b)
	}
	if err := os.Remove(logFile); err != nil { // the next start's address is the only one in it
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(state, "status.json")); err != nil {
		t.Fatalf("no state file in $STATE_DIRECTORY: %v", err)
	}
	second := startReplica(t, src, logFile)
	if got := second.activation("t1"); got != "DIS" {
		t.Errorf("t1 activation %q after the restart, want DIS", got)
	}
}
