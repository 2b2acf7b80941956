//go:build integration && linux

package worker

import (
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/netpath"
)

// TestPathDeadRealKernel: the dead-path check end to end, with the real
// kernel's answer. After a warm-up, iptables drops what the pooled
// connection sends to the member (as a firewall that forgot it): the next
// GET is written into the void. With the default check it is sent again
// on a fresh connection and answered; with path_check_interval=0 it waits
// out reply_timeout, as through mod_jk. Needs root, iptables and ss.
func TestPathDeadRealKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for iptables")
	}
	for _, bin := range []string{"iptables", "ss"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skip("needs " + bin)
		}
	}
	for _, typ := range pathTypes {
		for _, check := range []string{"path_check_interval=500", "path_check_interval=0"} {
			t.Run(typ+"/"+check, func(t *testing.T) { pathDeadRealKernel(t, typ, check) })
		}
	}
}

func pathDeadRealKernel(t *testing.T, typ, check string) {
	d := &deadPathMember{release: make(chan struct{})}
	start0 := time.Now()
	kernel := func(nc net.Conn) netpath.State { // the kernel's answer, logged
		s := netpath.Check(nc)
		t.Logf("check after %v: %v", time.Since(start0).Round(time.Millisecond), s)
		return s
	}
	d.start(t, typ, 0, kernel, check, "reply_timeout=3000", "retries=2")
	getOK(t, d.m, "/warm")
	port := memberPort(t, d)
	client := pooledPort(t, port)
	rule := []string{"INPUT", "-p", "tcp", "--sport", client, "--dport", port,
		"-m", "comment", "--comment", fmt.Sprintf("jkb-pathdead-%d", os.Getpid()), "-j", "DROP"}
	if out, err := exec.Command("iptables", append([]string{"-I"}, rule...)...).CombinedOutput(); err != nil {
		t.Fatalf("iptables: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("iptables", append([]string{"-D"}, rule...)...).Run() })
	start := time.Now()
	rec := httptest.NewRecorder()
	_, err := d.m.Forward(rec, newReq("GET", "/", ""), &Attempt{})
	took := time.Since(start).Round(time.Millisecond)
	if check == "path_check_interval=0" {
		if e := classOf(t, err); e.Class != ClassReplyTimeout {
			t.Fatalf("without the check: %v, want a reply timeout", err)
		}
		t.Logf("without the check: %v after %v", err, took)
		return
	}
	if err != nil || rec.Code != 200 || d.got.Load() != 2 {
		t.Fatalf("%v %d after %v, %d requests reached the member (want 200, 2)", err, rec.Code, took, d.got.Load())
	}
	t.Logf("answered 200 after %v", took)
}

// memberPort is the port the member listens on.
func memberPort(t *testing.T, d *deadPathMember) string {
	_, port, err := net.SplitHostPort(d.m.tr.dest())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatalf("member address %q", d.m.tr.dest())
	}
	return port
}

// pooledPort is the local port of the one established connection to
// port: the pooled one.
func pooledPort(t *testing.T, port string) string {
	out, err := exec.Command("ss", "-Htn", "state", "established", "( dport = :"+port+" )").Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 {
		t.Fatalf("connections to port %s: %q, want one", port, out)
	}
	f := strings.Fields(lines[0])
	if len(f) < 4 {
		t.Fatalf("ss line %q", lines[0])
	}
	_, local, err := net.SplitHostPort(f[len(f)-2])
	if err != nil {
		t.Fatalf("ss line %q: %v", lines[0], err)
	}
	return local
}
