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

// straceCounter counts system calls with strace -c -f where perf cannot:
// a fallback only, since strace stops the proxy at every call and makes
// it several times slower, so req/s, p99 and CPU µs of such a run are not
// comparable with perf's (the calls per request are).
type straceCounter struct {
	cmd *exec.Cmd
	out string
}

func startStrace(pids []int, dir string) (*straceCounter, error) {
	if _, err := exec.LookPath("strace"); err != nil {
		return nil, fmt.Errorf("strace is not installed")
	}
	s := &straceCounter{out: filepath.Join(dir, "strace.out")}
	args := []string{"-c", "-f", "-o", s.out}
	for _, p := range pids {
		args = append(args, "-p", strconv.Itoa(p))
	}
	s.cmd = exec.Command("strace", args...)
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	// strace says nothing once it has attached to every thread: give it
	// a moment (this only moves the start of the counted window).
	time.Sleep(time.Second)
	return s, nil
}

func (s *straceCounter) stop() (total float64, by map[string]float64, err error) {
	s.cmd.Process.Signal(syscall.SIGINT)
	s.cmd.Wait()
	f, err := os.Open(s.out)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	by, err = parseStrace(bufio.NewScanner(f))
	for _, n := range by {
		total += n
	}
	return total, by, err
}

// parseStrace reads strace -c's table: "% time, seconds, usecs/call,
// calls, [errors], syscall" rows; the total row is left out (its
// usecs/call column is empty in some versions).
func parseStrace(sc *bufio.Scanner) (map[string]float64, error) {
	by := map[string]float64{}
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 || f[len(f)-1] == "total" {
			continue
		}
		if _, err := strconv.ParseFloat(f[0], 64); err != nil {
			continue
		}
		n, err := strconv.ParseFloat(f[3], 64)
		if err != nil {
			return nil, fmt.Errorf("strace -c row %q: %v", sc.Text(), err)
		}
		by[f[len(f)-1]] += n
	}
	return by, sc.Err()
}
