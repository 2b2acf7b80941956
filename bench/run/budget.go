package main

import (
	"fmt"
	"strings"
)

// The CPU budget per request (docs/performance.md#cpu-budget-per-request): on a
// saturated machine, where wrk, the members and the proxy share the CPUs,
// req/s is about CPUs / (proxy + members + wrk + idle µs per request), so
// the CPU a proxy may use for a req/s target follows from the others'.

// goal is a req/s ratio against the anchor of a kind that issue 18 aims at.
type goal struct {
	proxy, kind string
	ratio       float64
}

var goals = []goal{{proxy: "jkbalancer-http", kind: "http", ratio: 1.2}, {proxy: "jkbalancer-ajp", kind: "ajp", ratio: 2.0}}

// machineUS is the machine's time per request: ncpu CPUs for 1/rps s each.
func machineUS(ncpu int, rps float64) float64 {
	if rps <= 0 {
		return 0
	}
	return float64(ncpu) * 1e6 / rps
}

// othersUS is what a run spent per request outside the proxy: the
// members' CPU, wrk's and the machine's idle time.
func othersUS(r result) float64 { return r.memberUS + r.wrkUS + max(r.idleUS, 0) }

// allowedUS is the CPU µs per request a proxy may use for ratio times the
// anchor's req/s: the anchor's machine µs per request divided by ratio,
// minus the others' µs per request measured with the proxy (with).
func allowedUS(ncpu int, anchorRPS, ratio float64, with result) float64 {
	return machineUS(ncpu, anchorRPS)/ratio - othersUS(with)
}

// budgetSum is a run's accounted µs per request: the proxy's CPU and the
// others' (for the members-alone row the proxy is the members, counted
// once).
func budgetSum(r result, membersRow bool) float64 {
	if membersRow {
		return othersUS(r)
	}
	return r.userUS + r.kernelUS + othersUS(r)
}

// busyShare is the share of the machine's time a run must account for
// (sum ÷ machine) before goalLine warns that other work competed with it.
const busyShare = 0.9

// goalLine says what CPU per request proxy p may use for g against the
// anchor a, and what p and a use; with a warning when the anchor's run
// left much of the machine's time unaccounted: other work then slowed the
// anchor, and a budget taken from its req/s is too generous.
func goalLine(caseName string, g goal, anchor string, ncpu int, a, p result) string {
	m := machineUS(ncpu, a.rps)
	warn := ""
	if share := budgetSum(a, false) / m; m > 0 && share < busyShare {
		warn = fmt.Sprintf(" Careful: %s's run accounts for only %.0f%% of the machine's time, other work competed with it, so this budget is too generous.", anchor, 100*share)
	}
	return fmt.Sprintf("- %s: for %g× %s's req/s (%.0f → %.0f) %s may use at most %.1f µs/req "+
		"(%s's machine %.1f µs/req / %g = %.1f, minus members %.1f + wrk %.1f + idle %.1f measured with %s); "+
		"it uses %.1f (kernel %.1f), %s %.1f (kernel %.1f).%s",
		caseName, g.ratio, anchor, a.rps, a.rps*g.ratio, g.proxy, allowedUS(ncpu, a.rps, g.ratio, p),
		anchor, m, g.ratio, m/g.ratio, p.memberUS, p.wrkUS, max(p.idleUS, 0), g.proxy,
		p.userUS+p.kernelUS, p.kernelUS, anchor, a.userUS+a.kernelUS, a.kernelUS, warn)
}

// printBudget prints the CPU budget table and, per case, a goal line for
// every goal whose proxy and anchor both ran.
func printBudget(e *env, table map[string]map[string][]result, ncpu int) {
	fmt.Printf("\n## CPU budget per request\n\n")
	fmt.Println("| case | proxy | req/s | machine µs/req | proxy user | proxy kernel | members | wrk | idle | sum | sum ÷ machine |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var lines []string
	for _, c := range cases {
		rows, ok := table[c.name]
		if !ok {
			continue
		}
		for _, t := range append([]*target{{name: membersName}}, e.targets...) {
			if len(rows[t.name]) == 0 {
				continue
			}
			m := median(rows[t.name])
			user, kernel := fmt.Sprintf("%.1f", m.userUS), fmt.Sprintf("%.1f", m.kernelUS)
			if t.name == membersName {
				user, kernel = "–", "–"
			}
			idle := "–"
			if m.idleUS >= 0 {
				idle = fmt.Sprintf("%.1f", m.idleUS)
			}
			mach, sum := machineUS(ncpu, m.rps), budgetSum(m, t.name == membersName)
			fmt.Printf("| %s | %s | %.0f | %.1f | %s | %s | %.1f | %.1f | %s | %.1f | %s |\n",
				c.name, t.name, m.rps, mach, user, kernel, m.memberUS, m.wrkUS, idle, sum, ratio(sum, mach))
		}
		for _, g := range goals {
			anchor := e.anchorFor(g.kind)
			if len(rows[g.proxy]) == 0 || len(rows[anchor]) == 0 {
				continue
			}
			lines = append(lines, goalLine(c.name, g, anchor, ncpu, median(rows[anchor]), median(rows[g.proxy])))
		}
	}
	fmt.Printf("\nµs per request, medians over the rounds. machine µs/req = %d CPUs × 1e6 / req/s: the time the whole machine had for each request. proxy user and kernel: the proxy's process tree (utime+cutime, stime+cstime); members: the two members' CPU; wrk: wrk's own CPU (its rusage); idle: idle+iowait of all CPUs (/proc/stat). sum ÷ machine below 1: the rest went to other work on the machine (this harness, perf, other processes).\n", ncpu)
	if len(lines) > 0 {
		fmt.Printf("\n%s\n", strings.Join(lines, "\n"))
	}
}
