package server

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/probe"
)

// ajpSessions is the sessions of one Tomcat, or of a cluster when shared.
type ajpSessions struct {
	mu  sync.Mutex
	n   int
	ids map[string]bool
}

// ajpTomcat answers like Tomcat with jvmRoute=route and
// JvmRouteBinderValve: /login creates a session unless the request brings
// one st knows, a known session is rebound to route. With urls it hands
// ids out in a Location and reads them from the ;jsessionid path
// parameter only (cookies disabled), else in Set-Cookie and the cookie.
func ajpTomcat(route string, st *ajpSessions, urls bool) ajptest.Handler {
	return func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		path, sent, _ := strings.Cut(r.URI, ";jsessionid=")
		if !urls {
			sent = ""
			for _, h := range r.Headers {
				if _, v, ok := strings.Cut(h.Value, "JSESSIONID="); ok && strings.EqualFold(h.Name, "cookie") {
					sent, _, _ = strings.Cut(v, ";")
				}
			}
		}
		base, _, _ := strings.Cut(sent, ".")
		st.mu.Lock()
		hand := ""
		switch {
		case sent != "" && st.ids[base]:
			hand = base + "." + route
		case path == "/login":
			st.n++
			base = route + "S" + strconv.Itoa(st.n)
			st.ids[base] = true
			hand = base + "." + route
		}
		st.mu.Unlock()
		hs := []ajp.Header{{Name: "Content-Length", Value: "0"}}
		switch {
		case hand != "" && urls:
			hs = append(hs, ajp.Header{Name: "Location", Value: "/next;jsessionid=" + hand})
		case hand != "":
			hs = append(hs, ajp.Header{Name: "Set-Cookie", Value: "JSESSIONID=" + hand + "; Path=/"})
		}
		w.SendHeaders(200, hs...)
		w.End(true)
	}
}

// TestProbeReplicationAJP: over AJP, through the request the server
// builds, a cluster's sessions are kept (by cookie, and by the path
// parameter when the member hands ids out in URLs); separate Tomcats lose
// them.
func TestProbeReplicationAJP(t *testing.T) {
	cluster, urls := &ajpSessions{ids: map[string]bool{}}, &ajpSessions{ids: map[string]bool{}}
	servers := map[string]*ajptest.Server{
		"c1": ajptest.NewServer(ajpTomcat("c1", cluster, false)),
		"c2": ajptest.NewServer(ajpTomcat("c2", cluster, false)),
		"u1": ajptest.NewServer(ajpTomcat("u1", urls, true)),
		"u2": ajptest.NewServer(ajpTomcat("u2", urls, true)),
		"p1": ajptest.NewServer(ajpTomcat("p1", &ajpSessions{ids: map[string]bool{}}, false)),
		"p2": ajptest.NewServer(ajpTomcat("p2", &ajpSessions{ids: map[string]bool{}}, false)),
	}
	props := "worker.list=cluster,urls,plain\nworker.cluster.type=lb\nworker.cluster.balance_workers=c1,c2\n" +
		"worker.urls.type=lb\nworker.urls.balance_workers=u1,u2\nworker.plain.type=lb\nworker.plain.balance_workers=p1,p2\n"
	for name, s := range servers {
		defer s.Close()
		host, port, _ := net.SplitHostPort(s.Addr())
		props += "worker." + name + ".host=" + host + "\nworker." + name + ".port=" + port + "\n"
	}
	lbs := ProbeReplication(context.Background(), probeConfig(t, props), probe.Options{Path: "/login", Timeout: 5 * time.Second}, 0)
	var got []string
	for _, p := range probe.Pairs(lbs) {
		got = append(got, p.From+">"+p.To+"="+p.Result)
	}
	if want := "c1>c2=kept c2>c1=kept u1>u2=kept u2>u1=kept p1>p2=lost p2>p1=lost"; strings.Join(got, " ") != want {
		t.Fatalf("pairs\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}
