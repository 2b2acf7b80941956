package server

import (
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestAdminPprof: admin.pprof serves Go's profiles on the admin listener
// (a heap profile here; the CPU profile is the same handler family), and
// without it /debug/pprof/ does not exist.
func TestAdminPprof(t *testing.T) {
	t1 := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer t1.Close()
	workers := "worker.list=lb\nworker.t1.host=127.0.0.1\nworker.t1.port=" + portOf(t1) +
		"\nworker.lb.type=lb\nworker.lb.balance_workers=t1\n"
	for _, on := range []bool{true, false} {
		yaml := adminYAML
		if on {
			yaml += "  pprof: true\n"
		}
		as := newAdminServer(t, workers, yaml)
		admin := "http://" + as.srv.AdminAddr()
		index, body := httpStatus(t, admin+"/debug/pprof/")
		heap, _ := httpStatus(t, admin+"/debug/pprof/heap?debug=1")
		if on && (index != 200 || !strings.Contains(body, "goroutine") || heap != 200) {
			t.Fatalf("pprof on: index %d heap %d %q", index, heap, body)
		}
		if !on && (index != 404 || heap != 404) {
			t.Fatalf("pprof off: index %d heap %d", index, heap)
		}
		if code, _ := httpStatus(t, admin+"/healthz"); code != 200 {
			t.Fatalf("/healthz: %d", code)
		}
	}
}
