//go:build integration

// Fault injection on loopback for the network-fault tests (issue 17):
// iptables rules that act on one member's port only, in a chain of their
// own (JKBF-<pid>-<n>) jumped to from OUTPUT and INPUT, so that undoing a
// fault is one "delete the jumps, flush, delete the chain". Every fault is
// undone by t.Cleanup and, should the test binary die first, by the
// harness reaper, which runs the undo script written next to the reap
// files. The tests skip when not root or when iptables or conntrack is
// missing, unless CI is set (then they fail). Scenarios and today's results:
// docs/testing.md#network-faults-on-loopback.

package server

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

const itLooseSysctl = "/proc/sys/net/netfilter/nf_conntrack_tcp_loose"

var itFaultSeq atomic.Int32

// itFault is one chain of iptables rules on one member port.
type itFault struct {
	t     testing.TB
	chain string
	port  int
	undo  string // path of the undo script the reaper runs
}

// itRequireFaultTools skips (or, in CI, fails) unless the process is root
// and iptables and conntrack are installed.
func itRequireFaultTools(t testing.TB) {
	t.Helper()
	var miss []string
	if os.Geteuid() != 0 {
		miss = append(miss, "root")
	}
	for _, bin := range []string{"iptables", "conntrack"} {
		if _, err := exec.LookPath(bin); err != nil {
			miss = append(miss, bin)
		}
	}
	if len(miss) == 0 {
		if err := exec.Command("iptables", "-S", "OUTPUT").Run(); err != nil {
			miss = append(miss, "a working iptables ("+err.Error()+")")
		}
	}
	if len(miss) == 0 {
		return
	}
	msg := "network-fault tests need " + strings.Join(miss, ", ") + " (apt-get install iptables conntrack)"
	if itInCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// itNewFault creates an empty fault chain for port, jumped to from OUTPUT
// and INPUT. The rules added with drop act on that port only.
func itNewFault(t testing.TB, port int) *itFault {
	t.Helper()
	itRequireFaultTools(t)
	f := &itFault{t: t, port: port,
		chain: fmt.Sprintf("JKBF-%d-%d", os.Getpid(), itFaultSeq.Add(1))}
	dir := filepath.Join(itBase, "undo")
	os.MkdirAll(dir, 0o755)
	f.undo = filepath.Join(dir, f.chain+".sh")
	f.writeUndo("")
	t.Cleanup(f.remove)
	f.ipt("-N", f.chain)
	f.ipt("-I", "OUTPUT", "1", "-j", f.chain)
	f.ipt("-I", "INPUT", "1", "-j", f.chain)
	return f
}

// writeUndo (re)writes the reaper's undo script; extra runs first.
func (f *itFault) writeUndo(extra string) {
	s := extra + fmt.Sprintf("iptables -D OUTPUT -j %[1]s 2>/dev/null\niptables -D INPUT -j %[1]s 2>/dev/null\n"+
		"iptables -F %[1]s 2>/dev/null\niptables -X %[1]s 2>/dev/null\n", f.chain)
	if err := os.WriteFile(f.undo, []byte(s), 0o644); err != nil {
		f.t.Fatalf("writing the fault undo script: %v", err)
	}
}

func (f *itFault) ipt(args ...string) {
	f.t.Helper()
	if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
		f.t.Fatalf("iptables %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// drop adds DROP rules for packets to and from the member port, with the
// extra match arguments (e.g. "-m", "statistic", ...).
func (f *itFault) drop(match ...string) {
	f.t.Helper()
	p := strconv.Itoa(f.port)
	for _, dir := range []string{"--dport", "--sport"} {
		args := append([]string{"-A", f.chain, "-p", "tcp", dir, p}, match...)
		f.ipt(append(args, "-j", "DROP")...)
	}
}

// blackhole drops every packet to and from the port.
func (f *itFault) blackhole() { f.drop() }

// lossy drops packets to and from the port at random with probability p.
func (f *itFault) lossy(p float64) {
	f.drop("-m", "statistic", "--mode", "random", "--probability", strconv.FormatFloat(p, 'f', 2, 64))
}

// strictConntrack makes conntrack refuse to pick up connections it has no
// entry for (nf_conntrack_tcp_loose=0) and drops the INVALID packets of
// the port, as a stateful firewall does; the old sysctl value comes back
// on cleanup. Conntrack only tracks a network namespace's connections once
// a rule uses it: open the connections to be forgotten after this call.
func (f *itFault) strictConntrack() {
	f.t.Helper()
	old, err := os.ReadFile(itLooseSysctl)
	if err != nil {
		f.t.Fatalf("reading %s: %v", itLooseSysctl, err)
	}
	v := strings.TrimSpace(string(old))
	f.writeUndo(fmt.Sprintf("echo %s > %s\n", v, itLooseSysctl))
	f.t.Cleanup(func() { os.WriteFile(itLooseSysctl, []byte(v+"\n"), 0o644) })
	if err := os.WriteFile(itLooseSysctl, []byte("0\n"), 0o644); err != nil {
		f.t.Fatalf("setting nf_conntrack_tcp_loose=0: %v", err)
	}
	f.drop("-m", "conntrack", "--ctstate", "INVALID")
}

// forget deletes the conntrack entries of the port's connections: the
// firewall has forgotten them (no FIN, no RST to either side).
func (f *itFault) forget() int {
	f.t.Helper()
	out, _ := exec.Command("conntrack", "-D", "-p", "tcp", "--dport", strconv.Itoa(f.port)).CombinedOutput()
	// "conntrack v1.4.7 (conntrack-tschain): N flow entries have been deleted."
	n := 0
	if i := strings.Index(string(out), "): "); i >= 0 {
		fmt.Sscanf(string(out)[i+3:], "%d", &n)
	}
	return n
}

// remove undoes the fault; it runs once from t.Cleanup.
func (f *itFault) remove() {
	exec.Command("sh", f.undo).Run()
	if out, _ := exec.Command("iptables", "-S").Output(); strings.Contains(string(out), f.chain) {
		f.t.Errorf("iptables rules of %s left after cleanup:\n%s", f.chain, out)
	}
	os.Remove(f.undo)
}
