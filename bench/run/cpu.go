package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clkTck is USER_HZ, the unit of utime and stime in /proc/<pid>/stat and
// of the times in /proc/stat; it is 100 on every Linux architecture Go
// supports.
const clkTck = 100

// cpuTime is CPU time in clock ticks, split into user and kernel.
type cpuTime struct{ user, kernel int64 }

func (c cpuTime) sub(o cpuTime) cpuTime { return cpuTime{c.user - o.user, c.kernel - o.kernel} }

// cpuTicks sums the CPU time of pids: utime+cutime as user, stime+cstime
// as kernel. Counting the children's reaped time too keeps a process that
// exits during a run (an httpd child) in the total: alive it is counted in
// its own stat, reaped in its parent's cutime/cstime.
func cpuTicks(pids []int) cpuTime {
	var total cpuTime
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		t := statTicks(string(b))
		total.user += t.user
		total.kernel += t.kernel
	}
	return total
}

// statTicks is utime+cutime (user) and stime+cstime (kernel) of one
// /proc/<pid>/stat line.
func statTicks(stat string) cpuTime {
	f := statFields(stat)
	// After "pid (comm)": state is field 3, utime, stime, cutime and
	// cstime are 14..17.
	if len(f) < 15 {
		return cpuTime{}
	}
	v := func(i int) int64 { n, _ := strconv.ParseInt(f[i], 10, 64); return n }
	return cpuTime{user: v(11) + v(13), kernel: v(12) + v(14)}
}

// statFields splits a /proc/<pid>/stat line after the command name (which
// may contain spaces and parentheses): the first field is the state.
func statFields(stat string) []string {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(stat[i+1:])
}

// idleTicks is the machine's idle time so far, summed over all CPUs, from
// /proc/stat (-1 where it cannot be read).
func idleTicks() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	return procStatIdle(string(b))
}

// procStatIdle is idle+iowait of the "cpu" line (all CPUs) of /proc/stat:
// "cpu user nice system idle iowait irq softirq steal ..." (-1 if absent).
// A CPU waiting for I/O runs nothing, so iowait counts as idle.
func procStatIdle(stat string) int64 {
	for _, l := range strings.Split(stat, "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || f[0] != "cpu" {
			continue
		}
		idle, err1 := strconv.ParseInt(f[4], 10, 64)
		iowait, err2 := strconv.ParseInt(f[5], 10, 64)
		if err1 != nil || err2 != nil {
			return -1
		}
		return idle + iowait
	}
	return -1
}
