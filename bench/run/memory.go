package main

import (
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"
)

// printIdle measures what idle keep-alive clients cost each proxy, on a
// fresh instance: RSS at rest after the start, with n idle clients, then
// after a load run (64 B, 256 connections, d) at rest and with n idle
// clients again — the second pair is what a proxy that has served load
// keeps.
func printIdle(e *env, n int, d time.Duration) {
	fmt.Printf("\n## Memory: %d idle keep-alive client connections\n\n", n)
	fmt.Printf("RSS of the process tree; in brackets its anonymous part (heap, stacks: what GOGC and GOMEMLIMIT act on), the rest is mapped files such as the binary.\n\n")
	fmt.Printf("| proxy | RSS fresh | with %d idle | after load | with %d idle after load |\n|---|---:|---:|---:|---:|\n", n, n)
	load := benchCase{name: "memory", path: "/b?size=64", conns: 256}
	for _, t := range e.targets {
		if err := t.start(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: memory of %s: %v\n", t.name, err)
			continue
		}
		root := t.proc.rootPID()
		fresh, idleFresh, open1 := idleRSS(t.port, root, n)
		if _, err := runWrk(load, []string{"http://" + addr(t.port)}, []int{load.conns}, d, e.dir); err != nil {
			fmt.Fprintf(os.Stderr, "bench: memory load on %s: %v\n", t.name, err)
		}
		// Let closed connections go, and jkbalancer notice it is quiet
		// (1 s without a request, checked every 250 ms) and return its
		// memory (docs/performance.md#memory), before sampling "at rest".
		time.Sleep(4 * time.Second) // with a margin for a busy machine
		after, idleAfter, open2 := idleRSS(t.port, root, n)
		t.stop()
		fmt.Printf("| %s | %s | %s, %d open | %s | %s, %d open |\n", t.name, fresh, idleFresh, open1, after, idleAfter, open2)
	}
}

// idleRSS samples the tree's RSS at rest, opens n idle clients, samples
// it again and closes them.
func idleRSS(port, root, n int) (rest, idle string, open int) {
	rest = rssAnon(root)
	conns := openIdle(port, n)
	time.Sleep(500 * time.Millisecond) // let the proxy settle before sampling
	idle = rssAnon(root)
	for _, c := range conns {
		c.Close()
	}
	return rest, idle, len(conns)
}

// rssAnon is "RSS (anonymous part)" of root's process tree.
func rssAnon(root int) string {
	var rss, anon int
	for _, p := range tree(root) {
		rss += statusField(p, "VmRSS:")
		anon += statusField(p, "RssAnon:")
	}
	return fmt.Sprintf("%.1f MiB (%.1f)", float64(rss)/1024, float64(anon)/1024)
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

// raiseFileLimit lifts the soft descriptor limit to the hard one for perf
// (a Go program that sets it itself passes it on to its children).
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil {
		l.Cur = l.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// printBreakdown prints, for jkbalancer, the anchors and the members
// alone, the system calls per request one by one, most frequent first,
// down to 0.05 per request; the rest is "other".
func printBreakdown(e *env, table map[string]map[string][]result) {
	fmt.Printf("\n## System calls per request, by call\n\n| case | proxy | all | by call |\n|---|---|---:|---|\n")
	for _, c := range cases {
		rows, ok := table[c.name]
		if !ok {
			continue
		}
		for _, t := range append([]*target{{name: membersName}}, e.targets...) {
			if len(rows[t.name]) == 0 || !(t.anchor || t.name == membersName || strings.HasPrefix(t.name, "jkbalancer")) {
				continue
			}
			m := median(rows[t.name])
			fmt.Printf("| %s | %s | %s | %s |\n", c.name, t.name, fmtSys(m.sys), byCall(m.sys, m.sysBy))
		}
	}
}

// byCall formats a per-call breakdown: "read 3.93, write 2.01, other 0.3".
func byCall(all float64, by map[string]float64) string {
	var calls []string
	for k, v := range by {
		if v >= 0.05 {
			calls = append(calls, k)
		}
	}
	sort.Slice(calls, func(i, j int) bool {
		if by[calls[i]] != by[calls[j]] {
			return by[calls[i]] > by[calls[j]]
		}
		return calls[i] < calls[j]
	})
	var b strings.Builder
	rest := all
	for _, k := range calls {
		fmt.Fprintf(&b, "%s %.2f, ", k, by[k])
		rest -= by[k]
	}
	fmt.Fprintf(&b, "other %.2f", max(rest, 0))
	return b.String()
}
