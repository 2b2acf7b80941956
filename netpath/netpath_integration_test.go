//go:build integration && linux

package netpath

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

// TestCheckBlackholed: bytes written on a loopback connection whose
// packets iptables drops, on the way in (as a remote blackhole: the
// segments leave and are retransmitted) or on the way out (a firewall on
// this host: they wait in the send queue and are probed), are never
// acknowledged: Check says Dead within a few seconds (about 0.7 to 0.9 s)
// and said nothing but Unacked or Losing after the first 0.4 s. Needs root and iptables.
func TestCheckBlackholed(t *testing.T) {
	for _, chain := range []string{"INPUT", "OUTPUT"} {
		t.Run(chain, func(t *testing.T) { checkBlackholed(t, chain) })
	}
}

func checkBlackholed(t *testing.T, chain string) {
	if _, err := exec.LookPath("iptables"); os.Geteuid() != 0 || err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI: this test needs root and iptables (.ci/run installs iptables)")
		}
		t.Skip("needs root and iptables")
	}
	c, _ := testutil.TCPPair(t)
	port := strconv.Itoa(c.RemoteAddr().(*net.TCPAddr).Port)
	rule := []string{chain, "-p", "tcp", "--dport", port, "-m", "comment", "--comment",
		fmt.Sprintf("netpath-test-%d", os.Getpid()), "-j", "DROP"}
	ipt(t, append([]string{"-I"}, rule...)...)
	t.Cleanup(func() { exec.Command("iptables", append([]string{"-D"}, rule...)...).Run() })
	if _, err := c.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	deadline := start.Add(10 * time.Second) // failsafe, not a timing assertion
	for {
		st := Check(c)
		if st == Dead {
			t.Logf("dead after %v", time.Since(start).Round(time.Millisecond))
			return
		}
		if st != Unacked && st != Losing && time.Since(start) > 400*time.Millisecond {
			t.Fatalf("blackholed connection: %v before it was found dead", st)
		}
		if time.Now().After(deadline) {
			t.Fatal("a blackholed connection was never found dead")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ipt(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
		t.Fatalf("iptables %s: %v: %s", strings.Join(args, " "), err, out)
	}
}
