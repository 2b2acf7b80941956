package admin

import (
	"strings"
	"testing"
)

// TestAdminPprof: admin.pprof serves Go's profiles on the admin listener
// (a heap profile here; the CPU profile is the same handler family), and
// without it /debug/pprof/ does not exist.
func TestAdminPprof(t *testing.T) {
	for _, on := range []bool{true, false} {
		cfg := adminConfig
		cfg.Pprof = on
		l := newListener(t, cfg, &fakeSource{ready: true})
		admin := "http://" + l.Addr()
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
