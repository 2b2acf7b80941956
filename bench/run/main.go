// Command run is jkbalancer's load harness: it starts two members of our
// own (bench/member, AJP and HTTP), jkbalancer in front of them over AJP
// and over HTTP, and — when installed — httpd + mod_jk, httpd
// mod_proxy_balancer (ajp and http) and HAProxy, all on loopback. In each
// round it starts every proxy afresh, drives it once with wrk and stops
// it, rotating the order, with wrk straight at the members as the
// ceiling; and prints one markdown table of medians over the rounds:
// requests/s, p50 and p99 latency, CPU µs and system calls per request
// and peak RSS, as ratios to httpd + mod_jk (AJP) or HAProxy (HTTP) too;
// then the CPU budget per request (the machine's time per request split
// into the proxy's user and kernel CPU, the members', wrk's and idle time)
// with the CPU a proxy may use for issue 18's req/s ratios
// (docs/performance.md#cpu-budget-per-request); then the memory with idle
// clients (docs/performance.md#how-to-measure).
//
//	go run ./bench/run [-d 4s] [-rounds 5] [-cases REGEXP] [-targets REGEXP] [-breakdown] [-jkenv 'GOGC=50']
//
// Figures are only comparable within one run on one machine: quote the
// ratios, not the absolute numbers.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
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

// strList collects a repeated flag.
type strList []string

func (l *strList) String() string { return fmt.Sprint(*l) }
func (l *strList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// envList collects repeated -jkenv flags.
type envList [][]string

func (l *envList) String() string { return fmt.Sprint(*l) }
func (l *envList) Set(v string) error {
	*l = append(*l, strings.Fields(v))
	return nil
}

func main() {
	var o opts
	var variants envList
	flag.DurationVar(&o.d, "d", 4*time.Second, "duration of one wrk run")
	flag.IntVar(&o.rounds, "rounds", 5, "rounds per case: every target started afresh and run once per round; the table shows medians")
	runs := flag.Int("runs", 0, "old name of -rounds")
	flag.StringVar(&o.syscalls, "syscalls", "perf", `count system calls per request with "perf" stat (needs root), "strace" -c (where perf cannot attach; slows the proxies several times: only the calls per request are meaningful then) or "off"`)
	flag.BoolVar(&o.breakdown, "breakdown", false, "also count the common system calls one by one and print them per request (strace always does)")
	caseRE := flag.String("cases", "", "only cases matching this regexp")
	targetRE := flag.String("targets", "", "only targets matching this regexp (anchors always run)")
	idle := flag.Int("idle", 1000, "idle keep-alive connections for the memory check (0 = skip)")
	var bins strList
	flag.Var(&bins, "jkbin", "also run this jkbalancer, LABEL=PATH: a binary or a checkout to build it in, e.g. 'evloop=/work/wt/evloop' (repeatable)")
	flag.Var(&variants, "jkenv", "also run jkbalancer with these environment variables, e.g. 'GOGC=50 GOMEMLIMIT=32MiB' (repeatable)")
	jsonFile := flag.String("json", "", "also write every run's figures (not only the medians) to this file")
	flag.BoolVar(&keepDir, "keep", false, "keep the working directory (configs and logs) and print its path")
	flag.Parse()
	if *runs > 0 {
		o.rounds = *runs
	}
	if err := run(o, regexp.MustCompile(*caseRE), regexp.MustCompile(*targetRE), *idle, variants, bins, *jsonFile); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o opts, caseRE, targetRE *regexp.Regexp, idle int, variants envList, bins strList, jsonFile string) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is not installed (apt-get install wrk)")
	}
	switch o.syscalls {
	case "perf":
		if err := perfOK(); err != nil {
			return fmt.Errorf("%v; run as root, or with -syscalls strace or off", err)
		}
		raiseFileLimit() // perf opens one descriptor per thread and event
	case "strace":
		o.breakdown = true
		fmt.Fprintln(os.Stderr, "bench: strace slows every proxy several times: read only the system calls per request")
	case "off":
	default:
		return fmt.Errorf("-syscalls %q: want perf, strace or off", o.syscalls)
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
	var others [][2]string // label, binary
	for _, b := range bins {
		label, path, ok := strings.Cut(b, "=")
		if !ok || label == "" {
			return fmt.Errorf("-jkbin %q: want LABEL=PATH", b)
		}
		bin, err := otherBin(dir, label, path)
		if err != nil {
			return err
		}
		others = append(others, [2]string{label, bin})
	}
	if err := e.startMembers(member); err != nil {
		return err
	}
	e.addTargets(targetRE, variants, others)
	fmt.Printf("# jkbalancer load run (%s runs, medians of %d rounds, every proxy started afresh for each run, wrk -t1)\n\n", o.d, o.rounds)
	fmt.Printf("%d CPUs, load average %s at the start", runtime.NumCPU(), loadAvg())
	table := measure(e, o, caseRE)
	fmt.Printf(", %s at the end (above the CPU count the machine was busy).\n\n", loadAvg())
	printTable(e, table)
	printBudget(e, table, runtime.NumCPU())
	if jsonFile != "" {
		if err := writeJSON(jsonFile, e, table); err != nil {
			return err
		}
	}
	if o.breakdown {
		printBreakdown(e, table)
	}
	if idle > 0 {
		printIdle(e, idle, o.d)
	}
	return nil
}

// addTargets lists every target that is installed and starts; one that
// does not start is reported and left out. Anchors always run.
func (e *env) addTargets(targetRE *regexp.Regexp, variants envList, others [][2]string) {
	all := []*target{e.jkbTarget("ajp13", "", "", nil), e.jkbTarget("http", "", "", nil)}
	for _, o := range others {
		all = append(all, e.jkbTarget("ajp13", o[0], o[1], nil), e.jkbTarget("http", o[0], o[1], nil))
	}
	for _, v := range variants {
		all = append(all, e.jkbTarget("ajp13", "", "", v), e.jkbTarget("http", "", "", v))
	}
	all = append(all,
		e.httpdTarget("httpd+mod_jk", "ajp", e.modJKConf),
		e.httpdTarget("httpd+proxy_ajp", "ajp", func() (string, error) { return e.proxyBalancerConf("ajp", e.ajpPorts) }),
		e.httpdTarget("httpd+proxy_http", "http", func() (string, error) { return e.proxyBalancerConf("http", e.hPorts) }),
		&target{name: "haproxy", kind: "http", anchor: true, launch: e.startHAProxy})
	for _, t := range all {
		if !targetRE.MatchString(t.name) && !t.anchor {
			continue
		}
		if err := t.start(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s left out: %v\n", t.name, err)
			continue
		}
		t.stop()
		e.targets = append(e.targets, t)
	}
}

func printTable(e *env, table map[string]map[string][]result) {
	fmt.Println("| case | proxy | req/s | × anchor | × members | p50 | p99 | × anchor | CPU µs/req | syscalls/req | peak RSS | × anchor | errors |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range cases {
		rows, ok := table[c.name]
		if !ok {
			continue
		}
		ceil := median(rows[membersName])
		for _, t := range append([]*target{{name: membersName}}, e.targets...) {
			rs := rows[t.name]
			if len(rs) == 0 {
				continue
			}
			m := median(rs)
			a := median(rows[e.anchorFor(t.kind)])
			fmt.Printf("| %s | %s | %.0f | %s | %s | %s | %s | %s | %.1f | %s | %.1f MiB | %s | %d |\n",
				c.name, t.name, m.rps, ratio(m.rps, a.rps), ratio(m.rps, ceil.rps), fmtDur(m.p50), fmtDur(m.p99),
				ratio(float64(m.p99), float64(a.p99)), m.cpuUS, fmtSys(m.sys), float64(m.peakKiB)/1024,
				ratio(float64(m.peakKiB), float64(a.peakKiB)), m.errors)
		}
	}
	fmt.Println("\nAnchors: httpd + mod_jk for AJP rows, HAProxy for HTTP rows. × anchor above 1 is better for req/s, below 1 is better for p99 and RSS. × members: req/s against wrk straight at the members (the ceiling). CPU µs and system calls are the proxy's whole process tree's (for \"members alone\": the two members'), divided by the requests wrk made.")
}

func fmtSys(v float64) string {
	if v < 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", v)
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
