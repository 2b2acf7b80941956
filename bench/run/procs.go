package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one started process (for httpd: the parent; its children are
// found through /proc for RSS).
type proc struct {
	name string
	cmd  *exec.Cmd
	pid  int // the daemon's pid when it forks itself (httpd, haproxy -D)
}

// stop ends the process and, for a daemon, waits (bounded) until it and
// its children are gone, so the next fresh start finds no leftovers.
func (p *proc) stop() {
	if p.pid > 0 {
		pids := tree(p.pid)
		syscall.Kill(p.pid, syscall.SIGTERM)
		waitGone(pids, 10*time.Second)
	}
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
		}
	}
}

// freePort asks the kernel for an unused loopback port.
func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitPort waits until something accepts on 127.0.0.1:port.
func waitPort(port int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listens on port %d after %v", port, within)
}

// waitGone waits until none of pids exists any more, then kills what is
// left after within.
func waitGone(pids []int, within time.Duration) {
	deadline := time.Now().Add(within)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// settle waits until the process tree under root has had the same
// processes for quiet, or within has passed.
func settle(root int, quiet, within time.Duration) {
	deadline := time.Now().Add(within)
	last, since := fmt.Sprint(tree(root)), time.Now()
	for time.Now().Before(deadline) && time.Since(since) < quiet {
		time.Sleep(50 * time.Millisecond)
		if now := fmt.Sprint(tree(root)); now != last {
			last, since = now, time.Now()
		}
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := statFields(string(b))
	return len(f) > 0 && f[0] != "Z"
}

func start(name, dir string, args ...string) (*proc, error) {
	return startEnv(name, dir, nil, args...)
}

// startEnv starts a process with extra environment variables.
func startEnv(name, dir string, env []string, args ...string) (*proc, error) {
	cmd := exec.Command(args[0], args[1:]...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &proc{name: name, cmd: cmd}, nil
}

// startDaemon runs a command that forks into the background and writes
// its pid to pidFile (httpd -k start, haproxy -D).
func startDaemon(name, pidFile string, port int, args ...string) (*proc, error) {
	os.Remove(pidFile) // a stale one would name the last run's instance
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %s", name, err, out)
	}
	if err := waitPort(port, 10*time.Second); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// The daemon may listen before it has written its pid file.
	var b []byte
	for i := 0; i < 50; i++ {
		if b, err = os.ReadFile(pidFile); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return &proc{name: name, pid: pid}, nil
}

// rssKiB returns the resident set of a process and all its descendants.
func rssKiB(pid int) int {
	total := 0
	for _, p := range tree(pid) {
		total += statusField(p, "VmRSS:")
	}
	return total
}

// tree returns pid and its descendants (from /proc/*/stat parents).
func tree(root int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp := statusField(pid, "PPid:"); pp > 0 {
			parent[pid] = pp
		}
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		for p, pp := range parent {
			if pp == out[i] {
				out = append(out, p)
			}
		}
	}
	return out
}

func statusField(pid int, field string) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field); ok {
			v, _ := strconv.Atoi(strings.Fields(rest)[0])
			return v
		}
	}
	return 0
}

func (p *proc) rootPID() int {
	if p.pid > 0 {
		return p.pid
	}
	return p.cmd.Process.Pid
}
