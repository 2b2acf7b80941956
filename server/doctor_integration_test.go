//go:build integration

// The session-route doctor against real Tomcat 10: tc1 runs with
// jvmRoute="tc1", but workers.properties says worker.tc1.route=node1, the
// classic jvmRoute mismatch. Sessions created on tc1 then never come back
// to it; the doctor says so once, in the log and on the status page, and
// check --probe says so before go-live.

package server

import (
	"bytes"
	"context"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/probe"
)

func TestTomcatDoctorReportsJvmRouteMismatch(t *testing.T) {
	tcs := itTomcats(t)
	workers := tcWorkers(tcs, "R") + "worker.tc1.route=node1\n"
	j := itStartJKB(t, itSpec{workers: workers, jkMounts: tcMounts}, "")

	// New sessions alternate between tc1 and tc2 (method R); a client
	// with a cookie jar keeps the one tc1 created.
	var onTC1 *tcClient
	for i := 0; i < 4; i++ {
		jar, _ := cookiejar.New(nil)
		c := newTCClient(t, j.addr, jar)
		if tcFields(string(stDo(c, "/session.jsp")))["node"] == "tc1" && onTC1 == nil {
			onTC1 = c
		}
	}
	if onTC1 == nil {
		t.Fatal("no session created on tc1 in 4 requests")
	}
	// The symptom operators see: the session does not stick. Its route
	// "tc1" names no member, so every request is balanced anew.
	nodes := map[string]bool{}
	for i := 0; i < 6; i++ {
		nodes[tcFields(string(stDo(onTC1, "/session.jsp")))["node"]] = true
	}
	if !nodes["tc2"] {
		t.Errorf("the tc1 session stuck to %v although its route names no member", nodes)
	}

	logs := readLog(t, j.logPath)
	if n := strings.Count(logs, "session-route doctor"); n != 1 {
		t.Errorf("%d doctor lines in the log, want 1 (the mismatch, not the unknown route it causes):\n%s", n, logs)
	}
	for _, s := range []string{"member=tc1", "kind=route_mismatch", "seen=tc1", "configured=node1",
		`set jvmRoute=\"node1\" on the Engine in server.xml of ` + tcs[0].ajpAddr(), "or set worker.tc1.route=tc1"} {
		if !strings.Contains(logs, s) {
			t.Errorf("the log lacks %q:\n%s", s, logs)
		}
	}
	txt := stGet(t, j.addr, "/jk-status?mime=txt")
	if n := strings.Count(txt, "Session Route Problem:"); n != 1 ||
		!strings.Contains(txt, `member="tc1" kind="route_mismatch" seen="tc1" configured="node1"`) {
		t.Errorf("status txt:\n%s", txt)
	}
	if html := stGet(t, j.addr, "/jk-status"); !strings.Contains(html, "Session-route problems (1)") {
		t.Errorf("status html lacks the block")
	}

	t.Run("check --probe", func(t *testing.T) { tcProbe(t, workers, tcs) })
}

// tcProbe runs what check --probe runs against the same files: tc1 is a
// mismatch, tc2 is fine, and "/" creates no session on either.
func tcProbe(t *testing.T, workers string, tcs []*itTomcat) {
	wf := filepath.Join(t.TempDir(), "workers.properties")
	if err := os.WriteFile(wf, []byte(workers), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: wf, Listen: []string{"127.0.0.1:0"}})
	if cfg == nil {
		t.Fatal(problems)
	}
	ctx := context.Background()
	rs := Probe(ctx, cfg, probe.Options{Path: "/session.jsp", Timeout: 30 * time.Second})
	var table bytes.Buffer
	if n := probe.WriteTable(&table, rs); n != 1 {
		t.Errorf("%d problems, want 1:\n%s", n, table.String())
	}
	out := table.String()
	t.Logf("check --probe --probe-path /session.jsp:\n%s", out)
	if len(rs) != 2 || rs[0].Result != "route_mismatch" || rs[0].SessionRoute != "tc1" || rs[0].Route != "node1" ||
		rs[1].Result != "ok" || rs[1].SessionRoute != "tc2" || rs[0].Cookie != "JSESSIONID" {
		t.Errorf("results: %+v", rs)
	}
	if !strings.Contains(out, `set jvmRoute="node1" on the Engine in server.xml of `+tcs[0].ajpAddr()) {
		t.Errorf("no fix in:\n%s", out)
	}
	rs = Probe(ctx, cfg, probe.Options{Path: "/", Timeout: 30 * time.Second})
	table.Reset()
	if n := probe.WriteTable(&table, rs); n != 0 || !strings.Contains(table.String(), "no session created at /") {
		t.Errorf("probe of /:\n%s", table.String())
	}
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
