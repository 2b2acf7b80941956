package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestTwoInstancesRouteAlike: two balancers over the same members, with
// the same workers.properties and nothing shared between them, place
// every session on the same member, because the route travels in the
// session id (mod_jk's design; what lets several instances run behind a
// VIP or a Kubernetes Service). Fresh instances also hand out new
// sessions in the same order, since method R is deterministic.
func TestTwoInstancesRouteAlike(t *testing.T) {
	t1 := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer t1.Close()
	t2 := ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t2.Close()
	workers := twoMembers(t1, t2, "worker.t1.route=t1\nworker.t2.route=t2\nworker.t2.lbfactor=3\n")
	a := startServer(t, map[string]string{"workers.properties": workers}, "/*=lb")
	b := startServer(t, map[string]string{"workers.properties": workers}, "/*=lb")

	newSessions := func(base string) (routes []string, cookies []string) {
		for i := 0; i < 8; i++ {
			_, body, h := get(t, base+"/app")
			routes = append(routes, routeOf(body))
			c := h.Get("Set-Cookie")
			id, _, _ := strings.Cut(c, ";")
			if !strings.HasPrefix(id, "JSESSIONID=") {
				t.Fatalf("no session cookie: %q", c)
			}
			cookies = append(cookies, id)
		}
		return routes, cookies
	}
	routesA, cookiesA := newSessions(a.base)
	routesB, cookiesB := newSessions(b.base)
	if strings.Join(routesA, " ") != strings.Join(routesB, " ") {
		t.Errorf("new sessions: instance A %v, instance B %v", routesA, routesB)
	}
	if n := strings.Count(strings.Join(routesA, " "), "t2"); n != 6 {
		t.Errorf("lbfactor 1:3 over 8 new sessions gave t2 %d times: %v", n, routesA)
	}
	for i, cookie := range append(cookiesA, cookiesB...) {
		want := cookie[strings.IndexByte(cookie, '.')+1:]
		for j, base := range []string{a.base, b.base, a.base, b.base} {
			code, body, _ := get(t, base+"/app", "Cookie", cookie)
			if code != http.StatusOK || routeOf(body) != want {
				t.Errorf("session %d (%s), request %d: status %d from %q, want %q", i, cookie, j, code, routeOf(body), want)
			}
		}
	}
}
