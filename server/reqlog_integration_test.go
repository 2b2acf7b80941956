//go:build integration

package server

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestRequestLogRouteAfterFailoverLikeModJK: after a failover, mod_jk's %R
// (the JK_WORKER_ROUTE note, s->route) is the route of the first member
// tried, not of the one that answered: jk_lb_worker.c sets s->route only
// while it is empty. Real httpd + mod_jk 1.2.48 and jkbalancer log the
// same line for the same request.
func TestRequestLogRouteAfterFailoverLikeModJK(t *testing.T) {
	tcs := itTomcats(t)
	dead := itFreePort(t) // nothing listens: t1's connect is refused
	workers := fmt.Sprintf(`worker.list=lb
worker.t1.host=127.0.0.1
worker.t1.port=%d
worker.t1.route=t1
worker.t2.host=127.0.0.1
worker.t2.port=%d
worker.t2.secret=%s
worker.t2.route=%s
worker.lb.type=lb
worker.lb.balance_workers=t1,t2
`, dead, tcs[0].ajpPort, itSecret, tcs[0].name)
	spec := itSpec{workers: workers}
	const format = "w=%w R=%R s=%s"

	h := itStartHTTPD(t, spec)
	h.stop(t)
	conf, err := os.ReadFile(h.conf)
	if err != nil {
		t.Fatal(err)
	}
	conf = append(conf, "JkRequestLogFormat \""+format+"\"\n"...)
	if err := os.WriteFile(h.conf, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.start(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reqLog := filepath.Join(dir, "request.log")
	j := itStartJKB(t, spec, "log:\n  request_format: \""+format+"\"\n  request_file: "+reqLog+"\n")

	line := regexp.MustCompile(`w=\S+ R=\S+ s=\d+`)
	for _, c := range []struct {
		name, addr, log string
	}{{"mod_jk", h.addr, filepath.Join(h.dir, "mod_jk.log")}, {"jkbalancer", j.addr, reqLog}} {
		resp, err := itRawGet(c.addr, "/echo.jsp")
		if err != nil || resp.status != 200 {
			t.Fatalf("%s: %v %+v", c.name, err, resp)
		}
		var got string
		itWaitFor(10*time.Second, func() bool {
			b, _ := os.ReadFile(c.log)
			got = line.FindString(string(b))
			return got != ""
		})
		if want := "w=lb R=t1 s=200"; got != want {
			t.Errorf("%s logged %q, want %q (the first member's route)", c.name, got, want)
		}
	}
}
