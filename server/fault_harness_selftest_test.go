//go:build integration

package server

import (
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// faultCPing sends an AJP CPing on c and reports whether the CPong came
// back within wait.
func faultCPing(c net.Conn, wait time.Duration) error {
	c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write([]byte{0x12, 0x34, 0x00, 0x01, 0x0a}); err != nil {
		return err
	}
	b := make([]byte, 5)
	if _, err := io.ReadFull(c, b); err != nil {
		return err
	}
	if string(b) != "AB\x00\x01\x09" {
		return errors.New("not a CPong")
	}
	return nil
}

func faultTimedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// The helper's faults are real (checked on the member's AJP port directly,
// without a balancer) and leave no rule behind, whether undone by
// t.Cleanup or by the reaper's undo script.
func TestFaultHarness(t *testing.T) {
	itRequireFaultTools(t)
	tc := itTomcats(t)[1]
	t.Run("blackhole", func(t *testing.T) {
		f := itNewFault(t, tc.ajpPort)
		f.blackhole()
		if c, err := net.DialTimeout("tcp", tc.ajpAddr(), time.Second); err == nil || !faultTimedOut(err) {
			if c != nil {
				c.Close()
			}
			t.Fatalf("connect to a blackholed port: %v, want a timeout", err)
		}
		f.remove()
		c, err := net.DialTimeout("tcp", tc.ajpAddr(), 10*time.Second)
		if err != nil {
			t.Fatalf("connect after the fault was removed: %v", err)
		}
		defer c.Close()
		if err := faultCPing(c, 10*time.Second); err != nil {
			t.Fatalf("CPing after the fault was removed: %v", err)
		}
	})
	t.Run("forgotten", func(t *testing.T) {
		// Conntrack only tracks a network namespace's connections once a
		// rule needs it: the fault comes first, the connection after.
		f := itNewFault(t, tc.ajpPort)
		f.strictConntrack()
		c, err := net.DialTimeout("tcp", tc.ajpAddr(), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := faultCPing(c, 10*time.Second); err != nil {
			t.Fatalf("CPing before the fault: %v", err)
		}
		if n := f.forget(); n < 1 {
			t.Fatalf("conntrack forgot %d entries of port %d, want >= 1", n, tc.ajpPort)
		}
		if err := faultCPing(c, time.Second); !faultTimedOut(err) {
			t.Fatalf("CPing on a forgotten connection: %v, want no answer (timeout)", err)
		}
		// A new connection is tracked from its SYN and works.
		c2, err := net.DialTimeout("tcp", tc.ajpAddr(), 10*time.Second)
		if err != nil {
			t.Fatalf("new connection under the fault: %v", err)
		}
		defer c2.Close()
		if err := faultCPing(c2, 10*time.Second); err != nil {
			t.Fatalf("CPing on a new connection under the fault: %v", err)
		}
	})
	t.Run("reaper-undo", func(t *testing.T) {
		f := itNewFault(t, tc.ajpPort)
		f.strictConntrack()
		f.blackhole()
		// What the reaper runs when the test binary died.
		if out, err := exec.Command("sh", f.undo).CombinedOutput(); err != nil {
			t.Fatalf("undo script: %v: %s", err, out)
		}
		out, _ := exec.Command("iptables", "-S").Output()
		if strings.Contains(string(out), f.chain) {
			t.Fatalf("rules left after the undo script:\n%s", out)
		}
		if v, _ := os.ReadFile(itLooseSysctl); strings.TrimSpace(string(v)) == "0" {
			t.Fatal("undo script left nf_conntrack_tcp_loose=0")
		}
	})
}
