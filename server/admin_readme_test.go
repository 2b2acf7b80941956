package server

import (
	"bufio"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestAdminMetricsREADME keeps the metric table of docs/metrics.md true: every lb,
// member and worker family /metrics exports is in it, and every such name
// in it is exported.
func TestAdminMetricsREADME(t *testing.T) {
	data, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "<!-- metrics: begin -->")
	table, _, ok2 := strings.Cut(table, "<!-- metrics: end -->")
	if !ok || !ok2 {
		t.Fatal("docs/metrics.md has no metric table between the markers")
	}
	documented := make(map[string]bool)
	for _, m := range regexp.MustCompile("`(jkbalancer_(?:lb|member|worker)_[a-z_]+)`").FindAllStringSubmatch(table, -1) {
		documented[m[1]] = true
	}

	t1 := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer t1.Close()
	workers := "worker.list=lb,solo\nworker.t1.host=127.0.0.1\nworker.t1.port=" + portOf(t1) +
		"\nworker.lb.type=lb\nworker.lb.balance_workers=t1\n" +
		"worker.solo.host=127.0.0.1\nworker.solo.port=" + portOf(t1) + "\n"
	ts := startServer(t, map[string]string{"workers.properties": workers, "jkbalancer.yaml": adminYAML},
		"/app/*=lb", "/solo/*=solo")
	get(t, ts.base+"/app/x")
	if code, _, _ := get(t, ts.base+"/solo/x"); code != 200 {
		t.Fatalf("/solo/x: %d", code)
	}
	resp, err := http.Get("http://" + ts.srv.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	exported := make(map[string]bool)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[1] == "TYPE" &&
			regexp.MustCompile(`^jkbalancer_(lb|member|worker)_`).MatchString(f[2]) {
			exported[f[2]] = true
		}
	}
	for name := range exported {
		asMember := strings.Replace(name, "jkbalancer_worker_", "jkbalancer_member_", 1)
		if !documented[name] && !documented[asMember] {
			t.Errorf("%s is exported but not in the metric table of docs/metrics.md", name)
		}
	}
	for name := range documented {
		if !exported[name] {
			t.Errorf("the metric table of docs/metrics.md names %s, which /metrics does not export", name)
		}
	}
	if len(exported) < 20 {
		t.Errorf("only %d jkbalancer families exported", len(exported))
	}
	m := scrapeMetrics(t, ts.srv.AdminAddr())
	if got := m.get("jkbalancer_worker_requests_total", "worker", "solo"); got != 1 {
		t.Errorf("the direct worker's requests: %v, want 1", got)
	}
	if got := m.get("jkbalancer_worker_state", "worker", "solo", "state", "OK"); got != 1 {
		t.Errorf("the direct worker's state OK: %v, want 1", got)
	}
}
