package main

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"sync"
	"time"
)

// opts are the measuring options of one load run.
type opts struct {
	d         time.Duration
	rounds    int
	syscalls  string // count system calls with "perf" stat, "strace" -c or not ("off")
	breakdown bool   // and one perf counter per common system call
}

// membersName labels the row of wrk straight at the members: the ceiling
// no proxy in front of them can pass.
const membersName = "members alone"

// measure runs every case on every target in rounds. In each round every
// target is started afresh, driven once and stopped, in an order rotated
// from one round to the next so no target always runs first or last; the
// members-alone run takes its turn among them.
func measure(e *env, o opts, caseRE *regexp.Regexp) map[string]map[string][]result {
	return rotate(e.targets, o.rounds, caseRE, func(c benchCase, t *target) (result, error) { return e.runOne(c, t, o) })
}

// rotate is measure's schedule, with the run itself passed in.
func rotate(targets []*target, rounds int, caseRE *regexp.Regexp, run func(benchCase, *target) (result, error)) map[string]map[string][]result {
	table := map[string]map[string][]result{}
	order := append([]*target{{name: membersName, kind: "member"}}, targets...)
	for _, c := range cases {
		if !caseRE.MatchString(c.name) {
			continue
		}
		table[c.name] = map[string][]result{}
		for r := 0; r < rounds; r++ {
			for i := range order {
				t := order[(i+r)%len(order)]
				res, err := run(c, t)
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

// runOne is one wrk run of case c against t (started afresh and stopped
// after) or, for the members-alone row, against the members directly:
// both of them with half the connections each, or for a sticky case the
// one member its route names with all of them.
func (e *env) runOne(c benchCase, t *target, o opts) (result, error) {
	var urls []string
	var conns []int
	var pids func() []int
	if t.kind == "member" {
		urls, conns = []string{"http://" + addr(e.hPorts[0]), "http://" + addr(e.hPorts[1])}, []int{c.conns / 2, c.conns - c.conns/2}
		if i := stickyMember(c.cookie); i >= 0 {
			urls, conns = urls[i:i+1], []int{c.conns}
		}
		pids = func() []int { return []int{e.members[0].rootPID(), e.members[1].rootPID()} }
	} else {
		if err := t.start(); err != nil {
			return result{}, err
		}
		defer t.stop()
		urls, conns = []string{"http://" + addr(t.port)}, []int{c.conns}
		root := t.proc.rootPID()
		pids = func() []int { return tree(root) }
	}
	return e.sample(pids, o, func() (result, error) { return runWrk(c, urls, conns, o.d, e.dir) })
}

// stickyMember is the index of the member a sticky case's cookie routes
// to, or -1.
func stickyMember(cookie string) int {
	switch {
	case cookie == "":
		return -1
	case cookie[len(cookie)-3:] == ".t2":
		return 1
	}
	return 0
}

// sample runs drive while measuring the process tree pids() returns: peak
// RSS every 100 ms, CPU time (user and kernel of every process, delta over
// the run) and, with perf, its system calls; besides, the members' CPU time
// and the machine's idle time (/proc/stat) over the same window. CPU, idle
// time and calls are divided by the requests wrk made.
func (e *env) sample(pids func() []int, o opts, drive func() (result, error)) (result, error) {
	var sc counter
	if o.syscalls != "off" {
		var err error
		// A process that exits between listing and attaching fails the
		// attach: list again.
		for try := 0; try < 3; try++ {
			if sc, err = startCounter(o.syscalls, pids(), o.breakdown, e.dir); err == nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			return result{}, err
		}
	}
	var peak int
	var mu sync.Mutex
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		// Listing the tree scans all of /proc: do it once a second, not
		// at every sample, to take less CPU from the proxy.
		list, listed := pids(), 0
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				if listed++; listed%10 == 0 {
					list = pids()
				}
				r := 0
				for _, p := range list {
					r += statusField(p, "VmRSS:")
				}
				mu.Lock()
				peak = max(peak, r)
				mu.Unlock()
			}
		}
	}()
	var members []int
	for _, m := range e.members {
		members = append(members, m.rootPID()) // no children of their own
	}
	i0, m0, t0 := idleTicks(), cpuTicks(members), cpuTicks(pids())
	res, err := drive()
	t1, m1, i1 := cpuTicks(pids()), cpuTicks(members), idleTicks()
	close(stop)
	<-sampled
	res.sys = -1
	if sc != nil {
		total, by, perr := sc.stop()
		if err == nil && perr != nil {
			err = perr
		}
		if res.requests > 0 {
			res.sys = total / float64(res.requests)
			if by != nil {
				res.sysBy = map[string]float64{}
				for k, v := range by {
					res.sysBy[k] = v / float64(res.requests)
				}
			}
		}
	}
	if err != nil {
		return result{}, err
	}
	res.idleUS = -1
	if n := float64(res.requests); n > 0 {
		us := func(ticks int64) float64 { return float64(ticks) * (1e6 / clkTck) / n }
		d := t1.sub(t0)
		res.userUS, res.kernelUS = us(d.user), us(d.kernel)
		res.cpuUS = res.userUS + res.kernelUS
		dm := m1.sub(m0)
		res.memberUS = us(dm.user + dm.kernel)
		if i0 >= 0 && i1 >= 0 {
			res.idleUS = us(i1 - i0)
		}
	}
	res.peakKiB = peak
	return res, nil
}

// median takes the median of every figure over the rounds on its own;
// errors are summed.
func median(rs []result) result {
	var m result
	if len(rs) == 0 {
		return m
	}
	pick := func(f func(r result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	m.rps = pick(func(r result) float64 { return r.rps })
	m.requests = int(pick(func(r result) float64 { return float64(r.requests) }))
	m.p50 = time.Duration(pick(func(r result) float64 { return float64(r.p50) }))
	m.p99 = time.Duration(pick(func(r result) float64 { return float64(r.p99) }))
	m.peakKiB = int(pick(func(r result) float64 { return float64(r.peakKiB) }))
	m.cpuUS = pick(func(r result) float64 { return r.cpuUS })
	m.userUS = pick(func(r result) float64 { return r.userUS })
	m.kernelUS = pick(func(r result) float64 { return r.kernelUS })
	m.memberUS = pick(func(r result) float64 { return r.memberUS })
	m.wrkUS = pick(func(r result) float64 { return r.wrkUS })
	m.idleUS = pick(func(r result) float64 { return r.idleUS })
	m.sys = pick(func(r result) float64 { return r.sys })
	for _, r := range rs {
		m.errors += r.errors
	}
	if rs[0].sysBy != nil {
		m.sysBy = map[string]float64{}
		for k := range rs[0].sysBy {
			m.sysBy[k] = pick(func(r result) float64 { return r.sysBy[k] })
		}
	}
	return m
}
