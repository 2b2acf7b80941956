//go:build integration

// `jkbalancer drain` and `activate` against three balancer instances at
// once, two jkbalancers and one httpd + mod_jk, each an lb over the real
// Tomcats tc1 and tc2 with its status worker at /jk-status
// (docs/drain.md). The command is the built binary; the read-back goes
// through statusclient, the library it uses.

package server

import (
	"bytes"
	"context"
	"io"
	"net/http/cookiejar"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/statusclient"
)

// drBuild builds cmd/jkbalancer once for the test.
func drBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "jkbalancer")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/jkbalancer/jkbalancer/cmd/jkbalancer").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// drRun runs the binary to completion (failsafe 120 s).
func drRun(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errOut.String(), code
}

// drSessionOn returns a client holding a session on node, made through
// addr (method R alternates new sessions between the members).
func drSessionOn(t *testing.T, addr, node string) *tcClient {
	t.Helper()
	for i := 0; i < 8; i++ {
		jar, _ := cookiejar.New(nil)
		c := newTCClient(t, addr, jar)
		if tcFields(string(stDo(c, "/session.jsp")))["node"] == node {
			return c
		}
	}
	t.Fatalf("%s: no session on %s after 8 new sessions", addr, node)
	return nil
}

// drActivation reads lb/member's activation on every instance.
func drActivation(t *testing.T, targets []statusclient.Target, member string) []string {
	t.Helper()
	c := &statusclient.Client{}
	out := make([]string, len(targets))
	for i, tg := range targets {
		m, err := c.Member(context.Background(), tg, "lb", member)
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		out[i] = m.Activation
	}
	return out
}

// drRequests reads lb/member's request count on every instance.
func drRequests(t *testing.T, targets []statusclient.Target, member string) []int64 {
	t.Helper()
	c := &statusclient.Client{}
	out := make([]int64, len(targets))
	for i, tg := range targets {
		m, err := c.Member(context.Background(), tg, "lb", member)
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		out[i] = m.Requests
	}
	return out
}

func TestDrainAcrossJKBalancersAndModJK(t *testing.T) {
	tcs := itTomcats(t)
	spec := itSpec{workers: tcWorkers(tcs, "R"), jkMounts: tcMounts}
	h := itStartHTTPD(t, spec)
	j1, j2 := itStartJKB(t, spec, ""), itStartJKB(t, spec, "")
	addrs := []string{j1.addr, j2.addr, h.addr}
	bin := drBuild(t)
	var status []string
	var targets []statusclient.Target
	for _, a := range addrs {
		u := "http://" + a + "/jk-status"
		status = append(status, "--status", u)
		ts, err := (&statusclient.Client{}).Expand(context.Background(), u, true)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, ts...)
	}
	sticky := make([]*tcClient, len(addrs))
	for i, a := range addrs {
		sticky[i] = drSessionOn(t, a, "tc1")
	}

	out, errOut, code := drRun(t, bin, append(append([]string{"drain"}, status...), "lb/tc1")...)
	if code != 0 {
		t.Fatalf("drain exit %d\n%s%s\n%s", code, out, errOut, h.logs())
	}
	t.Logf("drain:\n%s", out)
	if got := drActivation(t, targets, "tc1"); strings.Join(got, ",") != "DIS,DIS,DIS" {
		t.Fatalf("after drain tc1 is %v on jkbalancer, jkbalancer, mod_jk", got)
	}
	for i, a := range addrs {
		if node := tcFields(string(stDo(sticky[i], "/session.jsp")))["node"]; node != "tc1" {
			t.Errorf("%s: the session on drained tc1 went to %s", a, node)
		}
		fresh := newTCClient(t, a, nil)
		for k := 0; k < 6; k++ {
			if node := tcFields(string(stDo(fresh, "/session.jsp")))["node"]; node != "tc2" {
				t.Errorf("%s: new session %d went to %s with tc1 drained", a, k, node)
			}
		}
	}

	before := drRequests(t, targets, "tc1")
	drIdleWaitsForTraffic(t, bin, status, sticky)
	after := drRequests(t, targets, "tc1")
	for i := range targets {
		if after[i] <= before[i] {
			t.Errorf("%s: tc1's request count did not move during the traffic (%d, %d): the idle wait saw nothing",
				targets[i], before[i], after[i])
		}
	}

	out, errOut, code = drRun(t, bin, append(append([]string{"activate"}, status...), "lb/tc1")...)
	if code != 0 {
		t.Fatalf("activate exit %d\n%s%s", code, out, errOut)
	}
	if got := drActivation(t, targets, "tc1"); strings.Join(got, ",") != "ACT,ACT,ACT" {
		t.Fatalf("after activate tc1 is %v", got)
	}
	for _, a := range addrs {
		fresh := newTCClient(t, a, nil)
		seen := false
		for k := 0; k < 6 && !seen; k++ {
			seen = tcFields(string(stDo(fresh, "/session.jsp")))["node"] == "tc1"
		}
		if !seen {
			t.Errorf("%s: no new session reached tc1 after activate", a)
		}
	}
}

// drIdleWaitsForTraffic runs drain --idle while the sessions on tc1 keep
// sending requests through every instance: it must still be waiting when
// the traffic stops (after it printed 15 progress rounds, 1.5 s at least,
// longer than --idle), and exit 0
// once tc1 has been quiet for --idle everywhere.
func drIdleWaitsForTraffic(t *testing.T, bin string, status []string, sticky []*tcClient) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second) // failsafe
	defer cancel()
	var errOut syncBuf
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append(append([]string{"drain"}, status...),
		"--idle", "1s", "--poll", "100ms", "--timeout", "100s", "lb/tc1")...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var stop atomic.Bool
	var wg sync.WaitGroup
	for _, c := range sticky {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One request every 250 ms: busy is 0 at most readings, so only
			// the moving request count shows the member is still used.
			tick := time.NewTicker(250 * time.Millisecond)
			defer tick.Stop()
			for n := 0; n < 2000 && !stop.Load(); n++ {
				resp, err := c.c.Get(c.base + "/session.jsp")
				if err != nil {
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				<-tick.C
			}
		}()
	}
	// Traffic until drain has reported 15 rounds of readings.
	if !itWaitFor(60*time.Second, func() bool { return strings.Count(errOut.String(), "waiting: ") >= 15 }) {
		t.Errorf("drain --idle printed no progress:\n%s", errOut.String())
	}
	select {
	case err := <-done:
		stop.Store(true)
		wg.Wait()
		t.Fatalf("drain --idle returned (%v) while tc1 still had requests:\n%s%s", err, out.String(), errOut.String())
	default:
	}
	stop.Store(true)
	wg.Wait()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("drain --idle: %v\n%s%s", err, out.String(), errOut.String())
		}
	case <-time.After(100 * time.Second):
		t.Fatalf("drain --idle did not return after the traffic stopped:\n%s", errOut.String())
	}
	if !strings.Contains(out.String(), "lb/tc1 idle for 1s on all 3 instance(s)") {
		t.Errorf("drain --idle output:\n%s", out.String())
	}
	last := errOut.String()
	if i := strings.LastIndex(last, "waiting: "); i >= 0 {
		last = last[i:]
	}
	t.Logf("drain --idle, last progress: %s", last)
}
