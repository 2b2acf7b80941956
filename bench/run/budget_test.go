package main

import (
	"strings"
	"testing"
)

func TestProcStatIdle(t *testing.T) {
	// cpu user nice system idle iowait irq softirq steal guest guest_nice
	stat := "cpu  4705 356 584 3699176 23060 0 277 0 0 0\n" +
		"cpu0 1393280 32966 572056 13343292 6130 0 17875 0 0 0\n" +
		"intr 114930548 113199788 3 0 5 263 0 4 [...]\nctxt 1990473\n"
	if got := procStatIdle(stat); got != 3699176+23060 {
		t.Errorf("procStatIdle = %d, want idle+iowait of the all-CPU line, %d", got, 3699176+23060)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5 6\n", "cpu  1 2 3 x 5 6\n", "cpu 1 2 3\n"} {
		if got := procStatIdle(bad); got != -1 {
			t.Errorf("procStatIdle(%q) = %d, want -1", bad, got)
		}
	}
	if idleTicks() < 0 {
		t.Error("idleTicks could not read this machine's /proc/stat")
	}
}

// TestAllowedUS pins the budget formula with numbers that every likely
// slip gives another answer for: 2 CPUs at 20,000 req/s are 100 µs per
// request; for 1.25× that is 80, minus members 30 + wrk 20 + idle 5 is
// 25. (Subtracting before dividing gives 36, forgetting the ratio 45,
// multiplying by it 70, counting the proxy's own CPU 16.)
func TestAllowedUS(t *testing.T) {
	with := result{rps: 12345, userUS: 4, kernelUS: 5, memberUS: 30, wrkUS: 20, idleUS: 5}
	if got := machineUS(2, 20000); got != 100 {
		t.Errorf("machineUS(2, 20000) = %v, want 100", got)
	}
	if got := allowedUS(2, 20000, 1.25, with); got != 25 {
		t.Errorf("allowedUS = %v, want 100/1.25 - (30+20+5) = 25", got)
	}
	with.idleUS = -1 // unknown: counted as none
	if got := allowedUS(2, 20000, 1.25, with); got != 30 {
		t.Errorf("allowedUS with idle unknown = %v, want 30", got)
	}
	if got := machineUS(2, 0); got != 0 {
		t.Errorf("machineUS without requests = %v, want 0", got)
	}
}

func TestBudgetSum(t *testing.T) {
	r := result{userUS: 1, kernelUS: 2, memberUS: 4, wrkUS: 8, idleUS: 16}
	if got := budgetSum(r, false); got != 31 {
		t.Errorf("budgetSum of a proxy = %v, want 31", got)
	}
	// For the members alone the "proxy" is the members: counted once.
	if got := budgetSum(r, true); got != 28 {
		t.Errorf("budgetSum of the members alone = %v, want 28", got)
	}
}

func TestGoalLine(t *testing.T) {
	// HAProxy's run accounts for all of the machine's 100 µs per request.
	anchor := result{rps: 20000, userUS: 11, kernelUS: 26, memberUS: 40, wrkUS: 20, idleUS: 3}
	p := result{rps: 21000, userUS: 23, kernelUS: 24, memberUS: 30, wrkUS: 20, idleUS: 5}
	got := goalLine("64 B, 32 conns", goal{proxy: "jkbalancer-http", kind: "http", ratio: 1.25}, "haproxy", 2, anchor, p)
	for _, want := range []string{
		"for 1.25× haproxy's req/s (20000 → 25000)",
		"jkbalancer-http may use at most 25.0 µs/req",
		"machine 100.0 µs/req / 1.25 = 80.0, minus members 30.0 + wrk 20.0 + idle 5.0",
		"it uses 47.0 (kernel 24.0), haproxy 37.0 (kernel 26.0)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("goalLine = %q, want it to contain %q", got, want)
		}
	}
	if strings.Contains(got, "Careful") {
		t.Errorf("goalLine = %q, warns about an anchor run that accounts for all of the machine", got)
	}
	// 20 µs per request went to other work: 80% accounted for.
	anchor.memberUS = 20
	got = goalLine("64 B, 32 conns", goal{proxy: "jkbalancer-http", kind: "http", ratio: 1.25}, "haproxy", 2, anchor, p)
	if want := "Careful: haproxy's run accounts for only 80% of the machine's time"; !strings.Contains(got, want) {
		t.Errorf("goalLine = %q, want it to contain %q", got, want)
	}
}
