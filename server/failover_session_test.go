package server

import (
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// replicaMember is a Tomcat with jvmRoute route and JvmRouteBinderValve
// that holds a replica of the sessions whose id base is in known: a known
// session coming with another route is rebound to route, an unknown one
// gets a new session.
func replicaMember(route string, known ...string) ajptest.Handler {
	return func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		id := ""
		for _, h := range r.Request.Headers {
			if strings.EqualFold(h.Name, "cookie") {
				if _, v, ok := strings.Cut(h.Value, "JSESSIONID="); ok {
					id, _, _ = strings.Cut(v, ";")
				}
			}
		}
		base, sroute, _ := strings.Cut(id, ".")
		hs := []ajp.Header{{Name: "Content-Length", Value: "2"}}
		switch {
		case id != "" && sroute == route:
		case id != "" && contains(known, base):
			hs = append(hs, ajp.Header{Name: "Set-Cookie", Value: "JSESSIONID=" + base + "." + route + "; Path=/; HttpOnly"})
		default:
			hs = append(hs, ajp.Header{Name: "Set-Cookie", Value: "JSESSIONID=NEW" + base + "." + route + "; Path=/; HttpOnly"})
		}
		w.SendHeaders(200, hs...)
		w.Write([]byte("ok"))
		w.End(true)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestSessionFailoverClassified: t1 is gone; sessions of t1 fail over to
// t2, which knows one of them (replicated) and not the others. The
// counter, the session_lost finding, its one log line, the status
// worker's formats and the gauge all say so.
func TestSessionFailoverClassified(t *testing.T) {
	t1 := ajptest.NewServer(ajptest.EchoHandler("t1"))
	t2 := ajptest.NewServer(replicaMember("t2", "KEPT"))
	defer t2.Close()
	props := strings.Replace(twoMembers(t1, t2, "worker.jkstatus.type=status\n"), "worker.list=lb\n", "worker.list=lb,jkstatus\n", 1)
	ts := startServer(t, map[string]string{"workers.properties": props, "jkbalancer.yaml": adminYAML}, "/*=lb", "/jk-status=jkstatus")
	t1.Close()
	for _, id := range []string{"KEPT.t1", "GONE1.t1", "GONE2.t1", "MINE.t2", "X.nobody"} {
		if code := docGet(t, ts.base+"/x", "JSESSIONID="+id); code != 200 {
			t.Fatalf("%s: %d", id, code)
		}
	}
	m := scrapeMetrics(t, ts.srv.AdminAddr())
	for result, want := range map[string]float64{"kept": 1, "lost": 2, "unknown": 0} {
		if v := m.get("jkbalancer_session_failovers_total", "lb", "lb", "from", "t1", "to", "t2", "result", result); v != want {
			t.Errorf("failovers t1>t2 %s: %v, want %v", result, v, want)
		}
	}
	if v := m.get("jkbalancer_session_failovers_total", "lb", "lb", "from", "t2", "to", "t1", "result", "lost"); v != -1 {
		t.Errorf("a series for t2>t1: %v", v)
	}
	if v := m.get("jkbalancer_session_route_problems", "lb", "lb", "member", "t2", "kind", "session_lost"); v != 1 {
		t.Errorf("session_lost gauge: %v", v)
	}
	fs := ts.srv.Findings()
	if len(fs) != 1 || fs[0].Kind.String() != "session_lost" || fs[0].Member != "t2" || fs[0].Seen != "t1" || fs[0].Count != 2 {
		t.Fatalf("findings: %+v", fs)
	}
	if n := strings.Count(ts.log.String(), "kind=session_lost"); n != 1 {
		t.Errorf("%d log lines:\n%s", n, ts.log)
	}
	_, txt, _ := get(t, ts.base+"/jk-status?mime=txt")
	_, prop, _ := get(t, ts.base+"/jk-status?mime=prop")
	_, xml, _ := get(t, ts.base+"/jk-status?mime=xml")
	_, html, _ := get(t, ts.base+"/jk-status")
	for what, s := range map[string]string{
		"txt":  `Session Route Problem: id=1 member="t2" kind="session_lost" seen="t1"`,
		"prop": "worker.lb.session_route_problem.1.kind=session_lost\n",
		"xml":  `kind="session_lost"`,
		"html": "session replication between t1 (127.0.0.1:" + portOf(t1) + ") and t2",
	} {
		page := map[string]string{"txt": txt, "prop": prop, "xml": xml, "html": html}[what]
		if !strings.Contains(page, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, page)
		}
	}
	if !strings.Contains(xml, "&lt;Cluster&gt;") {
		t.Errorf("xml does not escape the fix:\n%s", xml)
	}
}
