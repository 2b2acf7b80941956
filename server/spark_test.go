package server

import (
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// TestStatusPageSparklines: what the maintenance loop's sample records
// reaches the status page of a running server, and a reload that keeps the
// member keeps its history (docs/metrics.md#sparklines).
func TestStatusPageSparklines(t *testing.T) {
	t1 := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer t1.Close()
	workers := "worker.list=lb,jkstatus\nworker.t1.host=127.0.0.1\nworker.t1.port=" + portOf(t1) +
		"\nworker.lb.type=lb\nworker.lb.balance_workers=t1\nworker.jkstatus.type=status\n"
	ts := startServer(t, map[string]string{"workers.properties": workers}, "/app/*=lb", "/jk-status=jkstatus")
	if _, page, _ := get(t, ts.base+"/jk-status"); strings.Contains(page, "Last 15 minutes") {
		t.Fatal("sparklines before any sample")
	}
	ts.srv.rt.Load().sample(time.Now().Add(-worker.HistoryStep))
	for range 5 {
		if code, _, _ := get(t, ts.base+"/app/x"); code != 200 {
			t.Fatalf("/app/x: %d", code)
		}
	}
	ts.srv.rt.Load().sample(time.Now())
	_, page, _ := get(t, ts.base+"/jk-status")
	i := strings.Index(page, "<h4>Last 15 minutes</h4>")
	if i < 0 {
		t.Fatalf("no sparklines after two samples:\n%s", page)
	}
	if row := page[i:]; !strings.Contains(row, `<td class="n">t1</td>`) || !strings.Contains(row, "0.5/s") {
		t.Errorf("t1's row does not show 5 requests in 10 s:\n%s", row)
	}

	cfg, ps := config.Load(config.Sources{WorkersFile: writeTemp(t, workers+"worker.t1.lbfactor=2\n"),
		Mounts: []string{"/app/*=lb", "/jk-status=jkstatus"}, Listen: []string{"127.0.0.1:0"}})
	if cfg == nil {
		t.Fatal(ps)
	}
	if err := ts.srv.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if _, page, _ := get(t, ts.base+"/jk-status"); !strings.Contains(page, "0.5/s") {
		t.Errorf("the reload lost t1's history:\n%s", page)
	}
}
