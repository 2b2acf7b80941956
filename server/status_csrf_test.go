package server

import (
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
)

// TestStatusCrossSiteThroughServer: the status worker mounted on a plain
// HTTP listener refuses the <img> attack (a Referer of another site,
// Accept: image/*) with 403, and keeps the same-origin and script forms.
func TestStatusCrossSiteThroughServer(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	workers := strings.Replace(twoMembers(t1, t2, "worker.jkstatus.type=status\n"), "worker.list=lb", "worker.list=lb,jkstatus", 1)
	ts := startServer(t, map[string]string{"workers.properties": workers}, "/*=lb", "/jk-status=jkstatus")
	update := ts.base + "/jk-status?cmd=update&mime=txt&w=lb&sw=t1&vwa="
	activation := func() config.Activation {
		for _, m := range ts.srv.rt.Load().lbByName["lb"].Snapshot().Members {
			if m.Name == "t1" {
				return m.Activation
			}
		}
		t.Fatal("no t1")
		return 0
	}
	if code, body, _ := get(t, update+"d", "Referer", "http://evil.example/page.html", "Accept", "image/avif,image/webp,*/*"); code != 403 ||
		!strings.Contains(body, "another site") || activation() != config.Active {
		t.Fatalf("img from another site: %d %q, t1 %s", code, body, activation().Code())
	}
	if code, body, _ := get(t, update+"d", "Referer", ts.base+"/jk-status"); code != 200 || !strings.Contains(body, "type=OK") ||
		activation() != config.Disabled {
		t.Fatalf("same-origin: %d %q, t1 %s", code, body, activation().Code())
	}
	if code, body, _ := get(t, update+"a"); code != 200 || !strings.Contains(body, "type=OK") || activation() != config.Active {
		t.Fatalf("script: %d %q, t1 %s", code, body, activation().Code())
	}
}
