// Command run is jkbalancer's load harness: it starts two members of our
// own (bench/member, AJP and HTTP), jkbalancer in front of them over AJP
// and over HTTP, and — when installed — httpd + mod_jk, httpd
// mod_proxy_balancer (ajp and http) and HAProxy, all on loopback; drives
// each with wrk in alternating runs; and prints one markdown table with
// requests/s, p50 and p99 latency and peak RSS, each also as a ratio to
// httpd + mod_jk (AJP) or HAProxy (HTTP).
//
//	go run ./bench/run [-d 10s] [-runs 2] [-cases REGEXP] [-targets REGEXP]
//
// Figures are only comparable within one run on one machine: quote the
// ratios, not the absolute numbers.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// keepDir keeps configs and logs for a look after the run (-keep).
var keepDir bool

// benchCase is one load shape.
type benchCase struct {
	name      string
	path      string
	conns     int
	cookie    string // sticky when set
	newConn   bool   // Connection: close on every request
	postBytes int
}

var cases = []benchCase{
	{name: "64 B, 32 conns", path: "/b?size=64", conns: 32},
	{name: "64 B, 256 conns", path: "/b?size=64", conns: 256},
	{name: "64 B, 32 conns, sticky", path: "/b?size=64", conns: 32, cookie: "JSESSIONID=S0123456789.t1"},
	{name: "16 KiB, 32 conns", path: "/b?size=16384", conns: 32},
	{name: "16 KiB, 256 conns, sticky", path: "/b?size=16384", conns: 256, cookie: "JSESSIONID=S0123456789.t2"},
	{name: "1 MiB, 32 conns", path: "/b?size=1048576", conns: 32},
	{name: "POST 4 KiB, 32 conns", path: "/p?size=64", conns: 32, postBytes: 4096},
	{name: "64 B, new conn per request, 32", path: "/b?size=64", conns: 32, newConn: true},
}

func main() {
	d := flag.Duration("d", 10*time.Second, "duration of one wrk run")
	runs := flag.Int("runs", 2, "alternating runs per case and target")
	caseRE := flag.String("cases", "", "only cases matching this regexp")
	targetRE := flag.String("targets", "", "only targets matching this regexp (anchors always run)")
	idle := flag.Int("idle", 1000, "idle keep-alive connections for the memory check (0 = skip)")
	flag.BoolVar(&keepDir, "keep", false, "keep the working directory (configs and logs) and print its path")
	flag.Parse()
	if err := run(*d, *runs, regexp.MustCompile(*caseRE), regexp.MustCompile(*targetRE), *idle); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(d time.Duration, runs int, caseRE, targetRE *regexp.Regexp, idle int) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is not installed (apt-get install wrk)")
	}
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return err
	}
	if err := os.Chdir(filepath.Dir(strings.TrimSpace(string(root)))); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "jkbalancer-bench-")
	if err != nil {
		return err
	}
	if keepDir {
		fmt.Fprintln(os.Stderr, "bench: working directory", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	jkb, member, err := build(dir)
	if err != nil {
		return err
	}
	e := &env{dir: dir, bin: jkb}
	defer e.close()
	if err := e.startMembers(member); err != nil {
		return err
	}
	e.startAll(targetRE)
	fmt.Printf("# jkbalancer load run (%s x %d alternating runs per case, wrk -t1)\n\n", d, runs)
	table := measure(e, d, runs, caseRE)
	printTable(e, table)
	if idle > 0 {
		printIdle(e, idle)
	}
	return nil
}

// startAll starts every target that is installed; a missing anchor is
// reported and left out.
func (e *env) startAll(targetRE *regexp.Regexp) {
	try := func(name string, f func() error) {
		if !targetRE.MatchString(name) && !strings.HasPrefix(name, "httpd+mod_jk") && name != "haproxy" {
			return
		}
		if err := f(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s left out: %v\n", name, err)
		}
	}
	try("jkbalancer-ajp", func() error { return e.startJKB("jkbalancer-ajp", "ajp13", e.ajpPorts) })
	try("jkbalancer-http", func() error { return e.startJKB("jkbalancer-http", "http", e.hPorts) })
	try("httpd+mod_jk", e.startModJK)
	try("httpd+proxy_ajp", func() error { return e.startProxyBalancer("ajp", e.ajpPorts) })
	try("httpd+proxy_http", func() error { return e.startProxyBalancer("http", e.hPorts) })
	try("haproxy", e.startHAProxy)
}

// measure runs every case on every target, rotating the target order from
// one run to the next so no target always runs first or last.
func measure(e *env, d time.Duration, runs int, caseRE *regexp.Regexp) map[string]map[string][]result {
	table := map[string]map[string][]result{}
	for _, c := range cases {
		if !caseRE.MatchString(c.name) {
			continue
		}
		table[c.name] = map[string][]result{}
		for r := 0; r < runs; r++ {
			for i := range e.targets {
				t := e.targets[(i+r)%len(e.targets)]
				res, err := runWrk(c, "http://"+addr(t.port), d, t.proc, e.dir)
				if err != nil {
					fmt.Fprintf(os.Stderr, "bench: %s on %s: %v\n", c.name, t.name, err)
					continue
				}
				table[c.name][t.name] = append(table[c.name][t.name], res)
			}
		}
	}
	return table
}

// mean averages the runs; peak RSS is the highest seen.
func mean(rs []result) result {
	var m result
	for _, r := range rs {
		m.rps += r.rps / float64(len(rs))
		m.p50 += r.p50 / time.Duration(len(rs))
		m.p99 += r.p99 / time.Duration(len(rs))
		m.errors += r.errors
		m.peakKiB = max(m.peakKiB, r.peakKiB)
	}
	return m
}

func printTable(e *env, table map[string]map[string][]result) {
	fmt.Println("| case | proxy | req/s | × anchor | p50 | p99 | × anchor | peak RSS | × anchor | errors |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range cases {
		rows, ok := table[c.name]
		if !ok {
			continue
		}
		for _, t := range e.targets {
			rs := rows[t.name]
			if len(rs) == 0 {
				continue
			}
			m := mean(rs)
			a := mean(rows[e.anchorFor(t.kind)])
			fmt.Printf("| %s | %s | %.0f | %s | %s | %s | %s | %.1f MiB | %s | %d |\n",
				c.name, t.name, m.rps, ratio(m.rps, a.rps), fmtDur(m.p50), fmtDur(m.p99),
				ratio(float64(m.p99), float64(a.p99)), float64(m.peakKiB)/1024,
				ratio(float64(m.peakKiB), float64(a.peakKiB)), m.errors)
		}
	}
	fmt.Println("\nAnchors: httpd + mod_jk for AJP rows, HAProxy for HTTP rows. × anchor above 1 is better for req/s, below 1 is better for p99 and RSS.")
}

func (e *env) anchorFor(kind string) string {
	for _, t := range e.targets {
		if t.anchor && t.kind == kind {
			return t.name
		}
	}
	return ""
}

func ratio(v, anchor float64) string {
	if anchor == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", v/anchor)
}

// printIdle opens n keep-alive connections to each target, sends one
// request on each, leaves them idle and reports the RSS that costs.
func printIdle(e *env, n int) {
	fmt.Printf("\n## %d idle keep-alive client connections\n\n| proxy | RSS before | RSS with %d idle | \n|---|---:|---:|\n", n, n)
	for _, t := range e.targets {
		before := rssKiB(t.proc.rootPID())
		conns := openIdle(t.port, n)
		time.Sleep(500 * time.Millisecond) // let the proxy settle before sampling
		with := rssKiB(t.proc.rootPID())
		for _, c := range conns {
			c.Close()
		}
		fmt.Printf("| %s | %.1f MiB | %.1f MiB (%d open) |\n", t.name, float64(before)/1024, float64(with)/1024, len(conns))
	}
}

func openIdle(port, n int) []net.Conn {
	var conns []net.Conn
	buf := make([]byte, 4096)
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr(port), 2*time.Second)
		if err != nil {
			break
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "GET /b?size=64 HTTP/1.1\r\nHost: localhost\r\n\r\n")
		if _, err := c.Read(buf); err != nil {
			c.Close()
			break
		}
		c.SetDeadline(time.Time{})
		conns = append(conns, c)
	}
	return conns
}
