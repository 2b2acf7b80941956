package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// System calls are counted with perf stat on the tracepoint every system
// call passes (raw_syscalls:sys_enter), attached to the proxy's process
// tree; processes and threads it starts during the run are counted too
// (perf's counters are inherited). With -breakdown, one tracepoint per
// common system call is counted as well. perf starts with its counters
// disabled and enables them over a control FIFO just before wrk starts,
// so attaching to hundreds of httpd threads is not part of the window.

// breakdownCalls are the system calls the breakdown counts one by one;
// the rest is reported as "other".
var breakdownCalls = []string{
	"read", "readv", "recvfrom", "recvmsg", "write", "writev", "sendto", "sendmsg",
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "poll", "ppoll",
	"futex", "nanosleep", "clock_nanosleep", "sched_yield", "tgkill", "getpid", "rt_sigreturn",
	"accept", "accept4", "connect", "socket", "close", "shutdown", "getsockopt", "setsockopt",
	"fcntl", "ioctl", "splice", "sendfile64", "madvise", "mmap", "munmap",
	"clock_gettime", "gettimeofday", "getrusage", "timer_settime", "rt_sigprocmask", "gettid",
}

// counter counts the system calls of a process tree over a run.
type counter interface {
	stop() (total float64, by map[string]float64, err error)
}

// startCounter starts the counter -syscalls names: perf, strace or none.
func startCounter(how string, pids []int, breakdown bool, dir string) (counter, error) {
	switch how {
	case "perf":
		return startSysCount(pids, breakdown, dir)
	case "strace":
		return startStrace(pids, dir)
	}
	return nil, nil
}

// sysCounter is one perf stat attached to a process tree.
type sysCounter struct {
	cmd      *exec.Cmd
	ctl, ack *os.File
	out      string
	events   []string
}

// perfOK reports why perf cannot count system calls here, or nil.
func perfOK() error {
	if _, err := exec.LookPath("perf"); err != nil {
		return fmt.Errorf("perf is not installed")
	}
	out, err := exec.Command("perf", "stat", "-x;", "-e", "raw_syscalls:sys_enter", "--", "true").CombinedOutput()
	if err != nil || strings.Contains(string(out), "not supported") || strings.Contains(string(out), "<not") {
		return fmt.Errorf("perf stat -e raw_syscalls:sys_enter fails (root or perf_event_paranoid <= -1 and tracefs needed): %v: %s", err, out)
	}
	return nil
}

// startSysCount attaches perf stat to pids with its counters disabled.
func startSysCount(pids []int, breakdown bool, dir string) (*sysCounter, error) {
	s := &sysCounter{events: []string{"raw_syscalls:sys_enter"}, out: filepath.Join(dir, "perf.out")}
	if breakdown {
		for _, c := range breakdownCalls {
			if _, err := os.Stat("/sys/kernel/tracing/events/syscalls/sys_enter_" + c); err == nil {
				s.events = append(s.events, "syscalls:sys_enter_"+c)
			}
		}
	}
	ctl, ack := filepath.Join(dir, "perf.ctl"), filepath.Join(dir, "perf.ack")
	for _, f := range []string{ctl, ack} {
		os.Remove(f)
		if err := syscall.Mkfifo(f, 0o600); err != nil {
			return nil, err
		}
	}
	ps := make([]string, len(pids))
	for i, p := range pids {
		ps[i] = strconv.Itoa(p)
	}
	s.cmd = exec.Command("perf", "stat", "-x;", "-o", s.out, "-D", "-1",
		"--control", "fifo:"+ctl+","+ack, "-e", strings.Join(s.events, ","), "-p", strings.Join(ps, ","))
	var errb strings.Builder
	s.cmd.Stderr = &errb
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	// Opening the FIFOs waits for perf to open its ends.
	var err error
	if s.ctl, err = openTimeout(ctl, os.O_WRONLY, 20*time.Second); err == nil {
		s.ack, err = openTimeout(ack, os.O_RDONLY, 20*time.Second)
	}
	if err == nil {
		err = s.command("enable")
	}
	if err != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		return nil, fmt.Errorf("perf stat: %v: %s", err, errb.String())
	}
	return s, nil
}

// openTimeout opens a FIFO, giving up when its other end stays closed.
func openTimeout(name string, flag int, within time.Duration) (*os.File, error) {
	type res struct {
		f   *os.File
		err error
	}
	ch := make(chan res, 1)
	go func() { f, err := os.OpenFile(name, flag, 0); ch <- res{f, err} }()
	select {
	case r := <-ch:
		return r.f, r.err
	case <-time.After(within):
		return nil, fmt.Errorf("perf did not open %s within %v", name, within)
	}
}

// command sends one control command and waits for perf's ack.
func (s *sysCounter) command(c string) error {
	if _, err := fmt.Fprintln(s.ctl, c); err != nil {
		return err
	}
	buf := make([]byte, 16)
	s.ack.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := s.ack.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "ack") {
		return fmt.Errorf("perf control %q: %q %v", c, buf[:n], err)
	}
	return nil
}

// stop disables the counters, ends perf and returns the total system
// calls and, with the breakdown, the count per call.
func (s *sysCounter) stop() (total float64, by map[string]float64, err error) {
	err = s.command("disable")
	s.cmd.Process.Signal(syscall.SIGINT)
	s.cmd.Wait()
	s.ctl.Close()
	s.ack.Close()
	if err != nil {
		return 0, nil, err
	}
	f, err := os.Open(s.out)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	counts, err := parsePerf(bufio.NewScanner(f))
	if err != nil {
		return 0, nil, err
	}
	total, ok := counts["raw_syscalls:sys_enter"]
	if !ok {
		return 0, nil, fmt.Errorf("no raw_syscalls:sys_enter count in perf output")
	}
	if len(s.events) > 1 {
		by = map[string]float64{}
		for ev, n := range counts {
			if c, ok := strings.CutPrefix(ev, "syscalls:sys_enter_"); ok {
				by[c] = n
			}
		}
	}
	return total, by, nil
}

// parsePerf reads perf stat -x';' output: "count;unit;event;..." lines.
func parsePerf(sc *bufio.Scanner) (map[string]float64, error) {
	counts := map[string]float64{}
	for sc.Scan() {
		f := strings.Split(sc.Text(), ";")
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		n, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return nil, fmt.Errorf("perf counted no %s: %q", f[2], f[0])
		}
		counts[f[2]] = n
	}
	return counts, sc.Err()
}
