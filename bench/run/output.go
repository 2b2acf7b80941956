package main

import (
	"encoding/json"
	"os"
	"strings"
)

// runRecord is one run in the -json file: every round's figures, for a
// later look at the spread or other statistics than the median.
type runRecord struct {
	Case       string             `json:"case"`
	Proxy      string             `json:"proxy"`
	Run        int                `json:"run"`
	RPS        float64            `json:"req_per_s"`
	Requests   int                `json:"requests"`
	P50us      int64              `json:"p50_us"`
	P99us      int64              `json:"p99_us"`
	Errors     int                `json:"errors"`
	PeakKiB    int                `json:"peak_rss_kib"`
	CPUus      float64            `json:"cpu_us_per_req"`
	UserUS     float64            `json:"user_us_per_req"`
	KernelUS   float64            `json:"kernel_us_per_req"`
	MembersUS  float64            `json:"members_cpu_us_per_req"`
	WrkUS      float64            `json:"wrk_cpu_us_per_req"`
	IdleUS     float64            `json:"idle_us_per_req"`  // -1: unknown
	Syscalls   float64            `json:"syscalls_per_req"` // -1: not counted
	SyscallsBy map[string]float64 `json:"syscalls_per_req_by_call,omitempty"`
}

// writeJSON writes every run of the table to file.
func writeJSON(file string, e *env, table map[string]map[string][]result) error {
	var recs []runRecord
	for _, c := range cases {
		for _, t := range append([]*target{{name: membersName}}, e.targets...) {
			for i, r := range table[c.name][t.name] {
				recs = append(recs, runRecord{Case: c.name, Proxy: t.name, Run: i, RPS: r.rps, Requests: r.requests,
					P50us: r.p50.Microseconds(), P99us: r.p99.Microseconds(), Errors: r.errors, PeakKiB: r.peakKiB,
					CPUus: r.cpuUS, UserUS: r.userUS, KernelUS: r.kernelUS, MembersUS: r.memberUS, WrkUS: r.wrkUS,
					IdleUS: r.idleUS, Syscalls: r.sys, SyscallsBy: r.sysBy})
			}
		}
	}
	b, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(b, '\n'), 0o644)
}

// loadAvg is the machine's 1, 5 and 15 minute load average, to tell a
// busy machine's numbers from a quiet one's.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
