//go:build integration

package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/probe"
)

// TestSecretRefusedByRealTomcat: Tomcat 10's AJP connector (secretRequired,
// secret s3cret) answers a wrong or missing secret with its bare 403.
// check --probe reports a secret problem for exactly those members, and
// serving logs it once per member, not per request.
func TestSecretRefusedByRealTomcat(t *testing.T) {
	tcs := itTomcats(t)
	workers := fmt.Sprintf(`worker.list=lb,bad
worker.wrong.host=127.0.0.1
worker.wrong.port=%[1]d
worker.wrong.secret=not-the-secret
worker.none.host=127.0.0.1
worker.none.port=%[1]d
worker.right.host=127.0.0.1
worker.right.port=%[2]d
worker.right.secret=%[3]s
worker.right.route=%[4]s
worker.lb.type=lb
worker.lb.balance_workers=wrong,none,right
worker.bad.type=lb
worker.bad.balance_workers=wrong
`, tcs[0].ajpPort, tcs[1].ajpPort, itSecret, tcs[1].name)
	dir := t.TempDir()
	wf := filepath.Join(dir, "workers.properties")
	if err := os.WriteFile(wf, []byte(workers), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: wf, Listen: []string{"127.0.0.1:0"},
		Mounts: []string{"/*=bad"}})
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	rs := Probe(context.Background(), cfg, probe.Options{Path: "/session.jsp", Timeout: 10 * time.Second})
	got := map[string]probe.Result{}
	for _, r := range rs {
		got[r.LB+"/"+r.Member] = r
	}
	for _, name := range []string{"lb/wrong", "lb/none", "bad/wrong"} {
		if r := got[name]; r.Result != "secret" || r.Status != 403 || !r.Failed() || !strings.Contains(r.Problem, ".secret") {
			t.Errorf("%s: %+v, want a secret problem", name, r)
		}
	}
	if r := got["lb/right"]; r.Result != "ok" {
		t.Errorf("lb/right: %+v, want ok", r)
	}

	j := itRunJKB(t, dir, cfg)
	for i := range 3 {
		resp, err := itRawGet(j.addr, "/echo.jsp")
		if err != nil {
			t.Fatal(err)
		}
		if resp.status != 403 {
			t.Fatalf("request %d: %d, want Tomcat's 403", i, resp.status)
		}
	}
	logs, _ := os.ReadFile(j.logPath)
	if n := strings.Count(string(logs), "AJP secret refused"); n != 1 || !strings.Contains(string(logs), "property=worker.wrong.secret") {
		t.Errorf("%d secret log lines, want 1 naming worker.wrong.secret:\n%s", n, j.logs())
	}
}
