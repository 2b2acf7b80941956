package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// result is one wrk run (several wrk at once add up: req/s, requests and
// errors are summed, p50 and p99 are the highest).
type result struct {
	rps      float64
	requests int
	p50, p99 time.Duration
	errors   int // non-2xx/3xx responses and socket errors
	peakKiB  int
	cpuUS    float64            // CPU µs of the process tree per request
	userUS   float64            // its user part (utime+cutime)
	kernelUS float64            // its kernel part (stime+cstime)
	memberUS float64            // CPU µs of the two members per request
	wrkUS    float64            // CPU µs of wrk itself per request
	idleUS   float64            // idle µs of the machine (all CPUs) per request; -1: unknown
	sys      float64            // system calls per request (-1: not counted)
	sysBy    map[string]float64 // per call and request, with -breakdown
}

var (
	reRPS    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reReqs   = regexp.MustCompile(`(\d+) requests in `)
	reLat    = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)`)
	reNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	reSock   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// wrkArgs is the wrk command line for one case against url with conns
// connections.
func wrkArgs(c benchCase, url string, conns int, d time.Duration, dir string) ([]string, error) {
	args := []string{"-t1", "-c" + strconv.Itoa(conns), "-d" + d.String(), "--latency"}
	if c.cookie != "" {
		args = append(args, "-H", "Cookie: "+c.cookie)
	}
	if c.newConn {
		args = append(args, "-H", "Connection: close")
	}
	if c.postBytes > 0 {
		script := filepath.Join(dir, fmt.Sprintf("post%d.lua", c.postBytes))
		lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = string.rep(\"a\", %d)\nwrk.headers[\"Content-Type\"] = \"application/octet-stream\"\n", c.postBytes)
		if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
			return nil, err
		}
		args = append(args, "-s", script)
	}
	return append(args, url+c.path), nil
}

// runWrk drives the urls at once, one wrk each with the matching share of
// connections, and adds up their results, wrk's own CPU time (its rusage
// once it has exited) included.
func runWrk(c benchCase, urls []string, conns []int, d time.Duration, dir string) (result, error) {
	outs := make([][]byte, len(urls))
	errs := make([]error, len(urls))
	cpu := make([]time.Duration, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		args, err := wrkArgs(c, u, conns[i], d, dir)
		if err != nil {
			return result{}, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command("wrk", args...)
			outs[i], errs[i] = cmd.CombinedOutput()
			if ps := cmd.ProcessState; ps != nil {
				cpu[i] = ps.UserTime() + ps.SystemTime()
			}
		}()
	}
	wg.Wait()
	var sum result
	var wrkCPU time.Duration
	for i := range urls {
		if errs[i] != nil {
			return result{}, fmt.Errorf("wrk: %v: %s", errs[i], outs[i])
		}
		r, err := parseWrk(string(outs[i]))
		if err != nil {
			return result{}, err
		}
		sum.rps += r.rps
		sum.requests += r.requests
		sum.errors += r.errors
		sum.p50, sum.p99 = max(sum.p50, r.p50), max(sum.p99, r.p99)
		wrkCPU += cpu[i]
	}
	if sum.requests > 0 {
		sum.wrkUS = float64(wrkCPU.Microseconds()) / float64(sum.requests)
	}
	return sum, nil
}

func parseWrk(out string) (result, error) {
	var r result
	m := reRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := reReqs.FindStringSubmatch(out); m != nil {
		r.requests, _ = strconv.Atoi(m[1])
	}
	for _, l := range reLat.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(l[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[l[3]]
		d := time.Duration(v * float64(unit))
		if l[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if m := reNon2xx.FindStringSubmatch(out); m != nil {
		r.errors, _ = strconv.Atoi(m[1])
	}
	if m := reSock.FindStringSubmatch(out); m != nil {
		for _, v := range m[1:] {
			n, _ := strconv.Atoi(v)
			r.errors += n
		}
	}
	return r, nil
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%dµs", d.Microseconds())
}

func trimZero(s string) string { return strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".") }
