package server

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestAdminReloadMetrics: a refused and an accepted SIGHUP reload show in
// /metrics, so a refused reload can raise an alert.
func TestAdminReloadMetrics(t *testing.T) {
	t1 := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer t1.Close()
	ms := []*ajptest.Server{t1}
	yaml := lbYAML("admin: {listen: \"127.0.0.1:0\"}\n")
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": yaml, "workers.properties": lbWorkers(ms, "")})
	scrape := func() string {
		t.Helper()
		resp, err := http.Get("http://" + r.srv.AdminAddr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	value := func(text, series string) float64 {
		t.Helper()
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("no %s in:\n%s", series, text)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	before := scrape()
	if v := value(before, `jkbalancer_last_reload_success_timestamp_seconds`); v != 0 {
		t.Errorf("last reload before any: %v", v)
	}
	if err := r.reload(map[string]string{"workers.properties": lbWorkers(ms, "worker.t1.bogus=1\n")}); err == nil {
		t.Fatal("a broken configuration was accepted")
	}
	r.mustReload(map[string]string{"workers.properties": lbWorkers(ms, "")})
	after := scrape()
	for series, want := range map[string]float64{
		`jkbalancer_reloads_total{kind="config",result="failed"}`:     1,
		`jkbalancer_reloads_total{kind="config",result="ok"}`:         1,
		`jkbalancer_reloads_total{kind="mount_file",result="failed"}`: 0,
	} {
		if got := value(after, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if v := value(after, `jkbalancer_last_reload_success_timestamp_seconds`); v < 1e9 {
		t.Errorf("last reload timestamp %v", v)
	}
}
