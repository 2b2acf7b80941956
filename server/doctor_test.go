package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/doctor"
)

// cookieMember is an AJP member whose application names its session cookie
// name (Tomcat's sessionCookieName), with the right route.
func cookieMember(name, route string) ajptest.Handler {
	return func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200, ajp.Header{Name: "Set-Cookie", Value: name + "=ABC." + route + "; Path=/"},
			ajp.Header{Name: "Content-Length", Value: "2"})
		w.Write([]byte("ok"))
		w.End(true)
	}
}

// redirectMember is an AJP member that rewrites URLs (a client without
// cookies): its session id travels in the Location's ;jsessionid.
func redirectMember(route string) ajptest.Handler {
	return func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(302, ajp.Header{Name: "Location", Value: "http://x/app/;jsessionid=F00." + route + "?a=1"},
			ajp.Header{Name: "Content-Length", Value: "0"})
		w.End(true)
	}
}

// doctorRig is an lb over a correct member and one of each kind of broken
// member, another lb that owns the route "elsewhere", and a status worker.
func doctorRig(t *testing.T) *testServer {
	t.Helper()
	members := map[string]ajptest.Handler{
		"good":     ajptest.EchoHandler("good"),
		"wrong":    ajptest.EchoHandler("xyz"),
		"noroute":  ajptest.EchoHandler(""),
		"cookie":   cookieMember("MYSESSIONID", "cookie"),
		"redirect": redirectMember("elsewhere"),
		"other":    ajptest.EchoHandler("elsewhere"),
	}
	props := "worker.list=lb,lb2,jkstatus\nworker.jkstatus.type=status\n" +
		"worker.lb.type=lb\nworker.lb.balance_workers=good,wrong,noroute,cookie,redirect,web\n" +
		"worker.lb2.type=lb\nworker.lb2.balance_workers=other\nworker.other.route=elsewhere\n"
	for name, h := range members {
		s := ajptest.NewServer(h)
		t.Cleanup(s.Close)
		props += fmt.Sprintf("worker.%s.host=127.0.0.1\nworker.%s.port=%s\nworker.%s.retries=1\n", name, name, portOf(s), name)
	}
	// An HTTP member whose Tomcat has jvmRoute "h9".
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "JSESSIONID=W.h9; Path=/")
		fmt.Fprint(w, "route=h9")
	}))
	t.Cleanup(web.Close)
	host, port := hostPort(t, web)
	props += "worker.web.type=http\nworker.web.host=" + host + "\nworker.web.port=" + port + "\n"
	return startServer(t, map[string]string{"workers.properties": props, "jkbalancer.yaml": adminYAML},
		"/app/*=lb", "/two/*=lb2", "/jk-status=jkstatus")
}

func TestDoctorFindsEachCauseOnce(t *testing.T) {
	ts := doctorRig(t)
	// Method Request rotates new sessions over the six members: 30
	// requests give each member 5, enough for the cookie name (3).
	for i := 0; i < 30; i++ {
		if code := docGet(t, ts.base+"/app/x", ""); code != 200 && code != 302 {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	// Clients of a renamed route, repeatedly; and of a route another lb
	// has, which is not the doctor's business.
	for i := 0; i < 6; i++ {
		docGet(t, ts.base+"/app/x", "JSESSIONID=AAA.old1")
		docGet(t, ts.base+"/app/x", "JSESSIONID=AAA.elsewhere")
	}
	want := []struct{ member, kind, seen, configured string }{
		{"wrong", "route_mismatch", "xyz", "wrong"},
		{"noroute", "no_route", "", "noroute"},
		{"cookie", "cookie_name", "MYSESSIONID", "JSESSIONID"},
		{"redirect", "route_mismatch", "elsewhere", "redirect"},
		{"web", "route_mismatch", "h9", "web"},
		{"", "unknown_route", "old1", ""},
	}
	got := map[string]doctor.Finding{}
	for _, f := range ts.srv.Findings() {
		if f.LB != "lb" {
			t.Errorf("finding for another lb: %+v", f)
		}
		got[f.Member+"/"+f.Kind.String()] = f
	}
	if len(got) != len(want) {
		t.Errorf("%d findings, want %d: %+v", len(got), len(want), got)
	}
	log := ts.log.String()
	for _, w := range want {
		f, ok := got[w.member+"/"+w.kind]
		if !ok || f.Seen != w.seen || f.Configured != w.configured {
			t.Errorf("%s/%s: got %+v", w.member, w.kind, f)
			continue
		}
		line := fmt.Sprintf("member=%s address=", w.member)
		if w.member == "" {
			line = `member="" address=""`
		}
		if n := strings.Count(log, line); n != 1 || !strings.Contains(log, "kind="+w.kind) {
			t.Errorf("%s/%s: %d log lines with %q, want 1", w.member, w.kind, n, line)
		}
	}
	if strings.Contains(log, "member=good ") && strings.Contains(log, "session-route doctor") &&
		strings.Contains(log, "member=good address") {
		t.Errorf("a finding for the correct member:\n%s", log)
	}
	if f := got["web/route_mismatch"]; !strings.Contains(f.Fix, "set worker.web.route=h9") ||
		!strings.Contains(f.Fix, `jvmRoute="web"`) || f.From != "Set-Cookie" {
		t.Errorf("web: %+v", f)
	}
	if f := got["redirect/route_mismatch"]; f.From != "Location" || !strings.Contains(f.Problem, "member other") &&
		!strings.Contains(f.Problem, "elsewhere") {
		t.Errorf("redirect: %+v", f)
	}
	m := scrapeMetrics(t, ts.srv.AdminAddr())
	for _, w := range want {
		if v := m.get("jkbalancer_session_route_problems", "lb", "lb", "member", w.member, "kind", w.kind); v != 1 {
			t.Errorf("metric for %s/%s: %v", w.member, w.kind, v)
		}
	}
	if v := m.get("jkbalancer_session_route_problems", "lb", "lb", "member", "good", "kind", "route_mismatch"); v != -1 {
		t.Errorf("a series for the correct member: %v", v)
	}
	checkDoctorStatus(t, ts, want)
	if v := scrapeMetrics(t, ts.srv.AdminAddr()).get("jkbalancer_session_route_problems", "lb", "lb",
		"member", "wrong", "kind", "route_mismatch"); v != -1 {
		t.Errorf("the series outlived the reset: %v", v)
	}
}

// docGet sends a GET with an optional Cookie and does not follow
// redirects (the redirect member points nowhere).
func docGet(t *testing.T, url, cookie string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// checkDoctorStatus finds every finding on the status page, html and txt,
// and in prop and xml, once each.
func checkDoctorStatus(t *testing.T, ts *testServer, want []struct{ member, kind, seen, configured string }) {
	t.Helper()
	_, html, _ := get(t, ts.base+"/jk-status")
	if strings.Count(html, "Session-route problems (6)") != 1 {
		t.Errorf("html lacks the block:\n%s", html)
	}
	_, txt, _ := get(t, ts.base+"/jk-status?mime=txt")
	_, prop, _ := get(t, ts.base+"/jk-status?mime=prop")
	_, xml, _ := get(t, ts.base+"/jk-status?mime=xml")
	for _, w := range want {
		line := fmt.Sprintf(`member="%s" kind="%s" seen="%s" configured="%s"`, w.member, w.kind, w.seen, w.configured)
		if strings.Count(txt, line) != 1 {
			t.Errorf("txt lacks %s:\n%s", line, txt)
		}
		if !strings.Contains(html, w.kind) {
			t.Errorf("html lacks %s", w.kind)
		}
	}
	if strings.Count(txt, "Session Route Problem:") != 6 || strings.Count(prop, ".kind=") != 6 ||
		strings.Count(xml, "<jk:session_route_problem") != 6 {
		t.Errorf("machine formats:\n%s\n%s\n%s", txt, prop, xml)
	}
	if !strings.Contains(prop, "worker.lb.session_route_problem.1.member=wrong\n") &&
		!strings.Contains(prop, "worker.lb.session_route_problem.1.member=") {
		t.Errorf("prop keys:\n%s", prop)
	}
	// Reset of the lb clears them.
	if _, body, _ := get(t, ts.base+"/jk-status?cmd=reset&w=lb&mime=txt"); !strings.Contains(body, "OK") {
		t.Fatalf("reset: %s", body)
	}
	if n := len(ts.srv.Findings()); n != 0 {
		t.Errorf("%d findings after reset", n)
	}
	if _, txt, _ := get(t, ts.base+"/jk-status?mime=txt"); strings.Contains(txt, "Session Route Problem") {
		t.Errorf("txt after reset:\n%s", txt)
	}
}

// TestDoctorQuietOnHealthyLB: correct members, sessions coming back: no
// finding, no extra status key, nothing logged.
func TestDoctorQuietOnHealthyLB(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	props := strings.Replace(twoMembers(t1, t2, "worker.jkstatus.type=status\n"), "worker.list=lb\n", "worker.list=lb,jkstatus\n", 1)
	ts := startServer(t, map[string]string{"workers.properties": props}, "/*=lb", "/jk-status=jkstatus")
	for i := 0; i < 10; i++ {
		_, _, h := get(t, ts.base+"/x")
		get(t, ts.base+"/x", "Cookie", strings.Split(h.Get("Set-Cookie"), ";")[0])
	}
	if fs := ts.srv.Findings(); len(fs) != 0 {
		t.Errorf("findings: %+v", fs)
	}
	_, txt, _ := get(t, ts.base+"/jk-status?mime=txt")
	if strings.Contains(txt, "Session Route") || strings.Contains(ts.log.String(), "session-route doctor") {
		t.Errorf("status or log mention the doctor:\n%s\n%s", txt, ts.log)
	}
}

// TestDoctorFindingsSurviveReload: a reload keeps the findings of members
// that still exist (and logs nothing again), drops those of a member that
// is gone, and drops a finding the new configuration fixes (the route).
func TestDoctorFindingsSurviveReload(t *testing.T) {
	a, b := ajptest.NewServer(ajptest.EchoHandler("xa")), ajptest.NewServer(ajptest.EchoHandler("xb"))
	defer a.Close()
	defer b.Close()
	both := []*ajptest.Server{a, b}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""), "workers.properties": lbWorkers(both, "")})
	for i := 0; i < 4; i++ {
		docGet(t, r.url("/x"), "")
	}
	kinds := func() string {
		var out []string
		for _, f := range r.srv.Findings() {
			out = append(out, f.Member+":"+f.Seen)
		}
		return strings.Join(out, " ")
	}
	if got := kinds(); got != "t1:xa t2:xb" {
		t.Fatalf("before: %q", got)
	}
	r.mustReload(map[string]string{"workers.properties": lbWorkers(both, "worker.lb.method=B\n")})
	for i := 0; i < 4; i++ {
		docGet(t, r.url("/x"), "")
	}
	if got := kinds(); got != "t1:xa t2:xb" {
		t.Errorf("after a reload that changes nothing for them: %q", got)
	}
	if n := strings.Count(r.log.String(), "session-route doctor"); n != 2 {
		t.Errorf("%d doctor lines, want 2 (no second report after the reload)", n)
	}
	// t2 gone; t1's route fixed to what its Tomcat says.
	r.mustReload(map[string]string{"workers.properties": lbWorkers([]*ajptest.Server{a}, "worker.t1.route=xa\n")})
	if got := kinds(); got != "" {
		t.Errorf("after removing t2 and fixing t1: %q", got)
	}
}

// TestDoctorUnknownRouteWithForce: with sticky_session_force a session
// route that names no member is refused (503, as mod_jk); the doctor
// still says why.
func TestDoctorUnknownRouteWithForce(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	ts := startServer(t, map[string]string{"workers.properties": twoMembers(t1, t2, "worker.lb.sticky_session_force=true\n")}, "/*=lb")
	for i := 0; i < 5; i++ {
		if code := docGet(t, ts.base+"/x", "JSESSIONID=A.renamed"); code != 503 {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	fs := ts.srv.Findings()
	if len(fs) != 1 || fs[0].Kind.String() != "unknown_route" || fs[0].Seen != "renamed" || fs[0].Count != 5 {
		t.Fatalf("findings: %+v", fs)
	}
}
