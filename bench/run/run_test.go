package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParsePerf(t *testing.T) {
	out := `# started on Mon Dec  7 18:16:51 2026

310;;raw_syscalls:sys_enter;38300258;100.00;;
11;;syscalls:sys_enter_read;38300258;100.00;;
Events disabled
Events enabled
`
	got, err := parsePerf(bufio.NewScanner(strings.NewReader(out)))
	if err != nil {
		t.Fatal(err)
	}
	if got["raw_syscalls:sys_enter"] != 310 || got["syscalls:sys_enter_read"] != 11 || len(got) != 2 {
		t.Errorf("parsePerf = %v, want raw 310 and read 11", got)
	}
	if _, err := parsePerf(bufio.NewScanner(strings.NewReader("<not counted>;;raw_syscalls:sys_enter;0;100.00;;\n"))); err == nil {
		t.Error("an uncounted event parsed as a count")
	}
}

func TestStatTicks(t *testing.T) {
	// utime 100, stime 20, cutime 3, cstime 4 (fields 14-17); the command
	// name holds a space and a parenthesis.
	stat := "4242 (we(ird name) S 1 4242 4242 0 -1 4194560 500 0 0 0 100 20 3 4 20 0 5 0 123 456 789"
	if got := statTicks(stat); got != (cpuTime{user: 103, kernel: 24}) {
		t.Errorf("statTicks = %+v, want user 103 (utime+cutime), kernel 24 (stime+cstime)", got)
	}
	if got := statTicks("4242 (short) S 1 2"); got != (cpuTime{}) {
		t.Errorf("statTicks of a short line = %+v, want zero", got)
	}
	if f := statFields(stat); f[0] != "S" || f[1] != "1" {
		t.Errorf("statFields = %q, want state S and ppid 1 first", f[:2])
	}
}

func TestParseWrkRequests(t *testing.T) {
	out := `Running 2s test @ http://127.0.0.1:1/b?size=64
  1 threads and 32 connections
  Latency Distribution
     50%  860.00us
     99%  126.82ms
  44490 requests in 2.00s, 5.01MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  22245.00
`
	r, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.requests != 44490 || r.rps != 22245 || r.errors != 3 || r.p50 != 860*time.Microsecond || r.p99 != 126820*time.Microsecond {
		t.Errorf("parseWrk = %+v", r)
	}
}

func TestMedian(t *testing.T) {
	rs := []result{
		{rps: 10, p99: 9 * time.Millisecond, cpuUS: 30, sys: 8, errors: 1, sysBy: map[string]float64{"read": 4}},
		{rps: 30, p99: 1 * time.Millisecond, cpuUS: 10, sys: 6, errors: 2, sysBy: map[string]float64{"read": 2}},
		{rps: 20, p99: 5 * time.Millisecond, cpuUS: 20, sys: 7, sysBy: map[string]float64{"read": 3}},
		{rps: 1000, p99: 100 * time.Millisecond, cpuUS: 1000, sys: 100, sysBy: map[string]float64{"read": 50}},
		{rps: 0, p99: 0, cpuUS: 0, sys: 0, sysBy: map[string]float64{"read": 0}},
	}
	for i := range rs { // the budget figures: 2, 4, 6, 8, 10 times i+1 shuffled
		k := float64([]int{3, 1, 2, 5, 4}[i])
		rs[i].userUS, rs[i].kernelUS, rs[i].memberUS, rs[i].wrkUS, rs[i].idleUS = 2*k, 4*k, 6*k, 8*k, 10*k
	}
	m := median(rs)
	if m.rps != 20 || m.p99 != 5*time.Millisecond || m.cpuUS != 20 || m.sys != 7 || m.sysBy["read"] != 3 || m.errors != 3 {
		t.Errorf("median = %+v, want the middle of every figure and the errors summed", m)
	}
	if m.userUS != 6 || m.kernelUS != 12 || m.memberUS != 18 || m.wrkUS != 24 || m.idleUS != 30 {
		t.Errorf("median budget = user %v kernel %v members %v wrk %v idle %v, want 6 12 18 24 30", m.userUS, m.kernelUS, m.memberUS, m.wrkUS, m.idleUS)
	}
	if m := median(rs[:2]); m.rps != 20 {
		t.Errorf("median of two = %v, want their mean 20", m.rps)
	}
}

func TestStickyMember(t *testing.T) {
	for cookie, want := range map[string]int{"": -1, "JSESSIONID=S1.t1": 0, "JSESSIONID=S1.t2": 1} {
		if got := stickyMember(cookie); got != want {
			t.Errorf("stickyMember(%q) = %d, want %d", cookie, got, want)
		}
	}
}

func TestByCall(t *testing.T) {
	got := byCall(8, map[string]float64{"read": 4, "write": 2, "recvfrom": 1, "futex": 0.01})
	if want := "read 4.00, write 2.00, recvfrom 1.00, other 1.00"; got != want {
		t.Errorf("byCall = %q, want %q", got, want)
	}
}

func TestParseStrace(t *testing.T) {
	out := `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 51.29    0.003963        1981         2         1 wait4
 11.34    0.000876          13        67        27 read
  3.31    0.000256           4        55           write
------ ----------- ----------- --------- --------- ----------------
100.00    0.007727          20       124        28 total
`
	got, err := parseStrace(bufio.NewScanner(strings.NewReader(out)))
	if err != nil {
		t.Fatal(err)
	}
	if got["wait4"] != 2 || got["read"] != 67 || got["write"] != 55 || len(got) != 3 {
		t.Errorf("parseStrace = %v", got)
	}
}

func TestWriteJSON(t *testing.T) {
	e := &env{targets: []*target{{name: "jkbalancer-http"}}}
	table := map[string]map[string][]result{cases[0].name: {
		"jkbalancer-http": {{rps: 1, sys: 7}, {rps: 2, sys: 8, sysBy: map[string]float64{"read": 4}, userUS: 1, kernelUS: 2, memberUS: 3, wrkUS: 4, idleUS: 5}},
		membersName:       {{rps: 3, sys: -1}},
	}}
	file := t.TempDir() + "/runs.json"
	if err := writeJSON(file, e, table); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var recs []runRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0].Proxy != membersName || recs[2].Run != 1 || recs[2].SyscallsBy["read"] != 4 {
		t.Errorf("writeJSON wrote %+v, want every run, the members first", recs)
	}
	if r := recs[len(recs)-1]; r.UserUS != 1 || r.KernelUS != 2 || r.MembersUS != 3 || r.WrkUS != 4 || r.IdleUS != 5 {
		t.Errorf("writeJSON wrote the budget %+v, want user 1 kernel 2 members 3 wrk 4 idle 5", r)
	}
}

// TestRotate checks the schedule: every target and the members alone run
// once per round, no target runs first in two rounds in a row, and a
// failed run is left out rather than counted.
func TestRotate(t *testing.T) {
	targets := []*target{{name: "a"}, {name: "b"}}
	var order []string
	table := rotate(targets, 3, regexp.MustCompile("^64 B, 32 conns$"), func(c benchCase, tg *target) (result, error) {
		order = append(order, tg.name)
		if tg.name == "b" && len(order) == 7 {
			return result{}, errors.New("did not start")
		}
		return result{rps: float64(len(order))}, nil
	})
	want := []string{membersName, "a", "b", "a", "b", membersName, "b", membersName, "a"}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("run order %q, want %q", order, want)
	}
	rows := table["64 B, 32 conns"]
	if len(table) != 1 || len(rows[membersName]) != 3 || len(rows["a"]) != 3 || len(rows["b"]) != 2 {
		t.Errorf("table %v, want 3 runs each but b's failed one", rows)
	}
}

func TestOtherBin(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := otherBin(t.TempDir(), "x", exe); err != nil || got != exe {
		t.Errorf("otherBin(binary) = %q, %v; want the binary itself", got, err)
	}
	if _, err := otherBin(t.TempDir(), "x", "/nonexistent/jkbalancer"); err == nil {
		t.Error("otherBin accepted a path that does not exist")
	}
}
