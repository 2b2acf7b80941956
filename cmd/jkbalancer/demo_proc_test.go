package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

// poll waits for cond, checking every 10 ms, for at most 60 s (a loaded
// machine starting a process).
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDemoPrintedCommandsInOrder runs the serving demo with --admin and
// replays its printed commands in the printed order: the first, the loop
// of 12 new sessions, must show the 1:5 split (it showed 12 x node2 when
// the balancer had just served the walkthrough's sticky requests), and the
// admin address printed is the one asked for and answers.
func TestDemoPrintedCommandsInOrder(t *testing.T) {
	out := new(testutil.LockedBuffer)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runDemo(ctx, demoOptions{Listen: "127.0.0.1:0", Admin: "127.0.0.1:0", Out: out}) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("demo did not end with its context")
		}
	}()
	poll(t, "the demo's instructions", func() bool { return strings.Contains(out.String(), "readyz") })
	text := out.String()
	tryIt := text[strings.Index(text, "Try it"):]
	base := regexp.MustCompile(`curl -s (http://127\.0\.0\.1:\d+)/ \| grep route`).FindStringSubmatch(tryIt)
	admin := regexp.MustCompile(`curl -s (http://127\.0\.0\.1:\d+)/readyz`).FindStringSubmatch(tryIt)
	if base == nil || admin == nil {
		t.Fatalf("no balancer or admin address in:\n%s", tryIt)
	}
	cmds := regexp.MustCompile(`(?m)^  (curl|for) .*$`).FindAllString(tryIt, -1)
	if len(cmds) == 0 || !strings.HasPrefix(cmds[0], "  for i in $(seq 12)") || strings.Contains(cmds[0], "-b ") {
		t.Fatalf("the first command is not the 1:5 loop without a cookie: %q", cmds)
	}
	seq, err := routes(&http.Client{Timeout: 10 * time.Second}, base[1], "", 12)
	if err != nil {
		t.Fatal(err)
	}
	if n1, n2 := strings.Count(seq, "node1"), strings.Count(seq, "node2"); n1 != 2 || n2 != 10 {
		t.Errorf("the printed 1:5 loop, run first, answers %s", seq)
	}
	resp, err := http.Get(admin[1] + "/readyz")
	if err != nil {
		t.Fatalf("--admin: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("readyz on the --admin address: %d", resp.StatusCode)
	}
}

// TestDemoChild is the demo run as a process by the tests below.
func TestDemoChild(t *testing.T) {
	if os.Getenv("JKB_DEMO_CHILD") != "1" {
		t.Skip("run by TestDemoEndsWith*")
	}
	fmt.Printf("demo pid %d\n", os.Getpid())
	c := newRootCommand()
	c.SetArgs([]string{"demo", "--listen", "127.0.0.1:0", "--admin", "off"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
}

// startDemoProcess starts the demo in a process, directly or under sh
// (parent), and waits until it serves. It returns the demo's pid.
func startDemoProcess(t *testing.T, underShell bool) (*exec.Cmd, int, *testutil.LockedBuffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{exe, "-test.run=^TestDemoChild$"}
	if underShell { // sh waits for the demo, as `go run` does
		args = []string{"/bin/sh", "-c", `"$0" "$1"; exit 0`, exe, "-test.run=^TestDemoChild$"}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "JKB_DEMO_CHILD=1")
	out := new(testutil.LockedBuffer)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second // the orphaned demo may hold the output pipe
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	poll(t, "the demo to serve", func() bool { return strings.Contains(out.String(), "Try it") })
	var pid int
	if _, err := fmt.Sscanf(out.String()[strings.Index(out.String(), "demo pid "):], "demo pid %d", &pid); err != nil {
		t.Fatalf("no pid in %q", out.String())
	}
	return cmd, pid, out
}

// gone reports whether process pid has ended (absent or a zombie).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(rest, "Z")
}

// TestDemoEndsWithSignal: SIGTERM and SIGINT (Ctrl-C) end the demo.
func TestDemoEndsWithSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd, _, out := startDemoProcess(t, false)
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("%v: demo exited with %v\n%s", sig, err, out.String())
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%v did not end the demo", sig)
		}
	}
}

// TestDemoEndsWithParent: when the process that started the demo dies
// (`go run` killed), the demo ends too instead of keeping its ports.
func TestDemoEndsWithParent(t *testing.T) {
	cmd, pid, out := startDemoProcess(t, true)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if err := cmd.Process.Kill(); err != nil { // the shell, not the demo
		t.Fatal(err)
	}
	cmd.Wait()
	poll(t, "the orphaned demo to end", func() bool { return gone(pid) })
	if !strings.Contains(out.String(), "Try it") {
		t.Errorf("demo output: %q", out.String())
	}
}
