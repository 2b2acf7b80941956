package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clkTck is USER_HZ, the unit of utime and stime in /proc/<pid>/stat; it
// is 100 on every Linux architecture Go supports.
const clkTck = 100

// cpuTicks sums utime, stime, cutime and cstime over pids. Counting the
// children's reaped time too keeps a process that exits during a run
// (an httpd child) in the total: alive it is counted in its own stat,
// reaped in its parent's cutime/cstime.
func cpuTicks(pids []int) int64 {
	var total int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		total += statTicks(string(b))
	}
	return total
}

// statTicks is utime+stime+cutime+cstime of one /proc/<pid>/stat line.
func statTicks(stat string) int64 {
	f := statFields(stat)
	// After "pid (comm)": state is field 3, utime..cstime are 14..17.
	if len(f) < 15 {
		return 0
	}
	var t int64
	for _, s := range f[11:15] {
		v, _ := strconv.ParseInt(s, 10, 64)
		t += v
	}
	return t
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
