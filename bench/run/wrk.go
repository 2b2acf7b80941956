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

// result is one wrk run.
type result struct {
	rps      float64
	p50, p99 time.Duration
	errors   int // non-2xx/3xx responses and socket errors
	peakKiB  int
}

var (
	reRPS    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reLat    = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)`)
	reNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	reSock   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// runWrk drives url with wrk for d and samples the RSS of target's
// process tree every 100 ms.
func runWrk(c benchCase, url string, d time.Duration, target *proc, dir string) (result, error) {
	args := []string{"-t1", "-c" + strconv.Itoa(c.conns), "-d" + d.String(), "--latency"}
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
			return result{}, err
		}
		args = append(args, "-s", script)
	}
	args = append(args, url+c.path)

	var peak int
	var mu sync.Mutex
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				r := rssKiB(target.rootPID())
				mu.Lock()
				peak = max(peak, r)
				mu.Unlock()
			}
		}
	}()
	out, err := exec.Command("wrk", args...).CombinedOutput()
	close(stop)
	<-sampled
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v: %s", err, out)
	}
	res, perr := parseWrk(string(out))
	res.peakKiB = peak
	return res, perr
}

func parseWrk(out string) (result, error) {
	var r result
	m := reRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
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
