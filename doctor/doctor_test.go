package doctor

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

func TestReadSession(t *testing.T) {
	for _, tc := range []struct {
		name                string
		setCookie, location []string
		cookie, path        string
		want                SessionSeen
	}{
		{"cookie", []string{"JSESSIONID=ABC.n1; Path=/; HttpOnly"}, nil, "JSESSIONID", ";jsessionid",
			SessionSeen{ID: "ABC.n1", From: "Set-Cookie"}},
		{"quoted, blanks", []string{` JSESSIONID = "ABC.n1" ;Path=/`}, nil, "JSESSIONID", ";jsessionid",
			SessionSeen{ID: "ABC.n1", From: "Set-Cookie"}},
		{"deletion is no session", []string{"JSESSIONID=; Max-Age=0"}, nil, "JSESSIONID", ";jsessionid", SessionSeen{}},
		{"other cookies", []string{"lang=de", "JSESSIONID=X.n2"}, nil, "JSESSIONID", ";jsessionid",
			SessionSeen{ID: "X.n2", From: "Set-Cookie"}},
		{"case-sensitive name", []string{"jsessionid=X.n2"}, nil, "JSESSIONID", ";jsessionid",
			SessionSeen{Foreign: "jsessionid"}},
		{"foreign", []string{"MYSESSIONID=X.n1; Path=/"}, nil, "JSESSIONID", ";jsessionid",
			SessionSeen{Foreign: "MYSESSIONID"}},
		{"spring session", []string{"SESSION=ZmFrZQ; Path=/"}, nil, "JSESSIONID", ";jsessionid",
			SessionSeen{Foreign: "SESSION"}},
		{"not session-like", []string{"remember=1"}, nil, "JSESSIONID", ";jsessionid", SessionSeen{}},
		{"location", nil, []string{"http://h/app/;jsessionid=ABC.n1?x=1"}, "JSESSIONID", ";jsessionid",
			SessionSeen{ID: "ABC.n1", From: "Location"}},
		{"location fragment", nil, []string{"/app/x;jsessionid=ABC.n3#top"}, "JSESSIONID", ";jsessionid",
			SessionSeen{ID: "ABC.n3", From: "Location"}},
		{"location without param", nil, []string{"/app/x;jsessionidx=1"}, "JSESSIONID", ";jsessionid", SessionSeen{}},
		{"cookie wins", []string{"JSESSIONID=A.c"}, []string{"/;jsessionid=B.l"}, "JSESSIONID", ";jsessionid",
			SessionSeen{ID: "A.c", From: "Set-Cookie"}},
		{"lb cookie renamed", []string{"ROUTEID=.n1"}, nil, "ROUTEID", ";jsessionid",
			SessionSeen{ID: ".n1", From: "Set-Cookie"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.setCookie != nil {
				h["Set-Cookie"] = tc.setCookie
			}
			if tc.location != nil {
				h["Location"] = tc.location
			}
			if got := ReadSession(h, tc.cookie, tc.path); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestJudgeRoute(t *testing.T) {
	for _, tc := range []struct {
		id, route, domain string
		kind              FindingKind
		seen              string
	}{
		{"ABC.n1", "n1", "", 0, "n1"},
		{"ABC.n2", "n1", "", KindRouteMismatch, "n2"},
		{"ABC", "n1", "", KindNoRoute, ""},
		{"ABC.", "n1", "", KindNoRoute, ""},
		// The first dot, as mod_jk: "a.b.n1" has the route "b.n1".
		{"a.b.n1", "n1", "", KindRouteMismatch, "b.n1"},
		{"a.d1.n1", "d1.n1", "d1", 0, "d1.n1"},
		// A route in the member's domain is served by domain routing.
		{"ABC.d1", "n1", "d1", 0, "d1"},
		{"ABC.d1.x", "n1", "d1", 0, "d1.x"},
		{"ABC.d2", "n1", "d1", KindRouteMismatch, "d2"},
	} {
		kind, seen := JudgeRoute(tc.id, tc.route, tc.domain)
		if kind != tc.kind || seen != tc.seen {
			t.Errorf("JudgeRoute(%q, %q, %q) = %v %q, want %v %q", tc.id, tc.route, tc.domain, kind, seen, tc.kind, tc.seen)
		}
	}
}

// docLog is a doctor with a log in memory and a fixed clock.
func docLog(spec Spec) (*Doctor, *testutil.LockedBuffer) {
	buf := new(testutil.LockedBuffer)
	spec.Logger = slog.New(slog.NewTextHandler(buf, nil))
	spec.Now = func() time.Time { return time.Unix(1700000000, 0) }
	return New(spec), buf
}

func respHead(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = append(h[kv[i]], kv[i+1])
	}
	return h
}

func TestDoctorReportsOncePerCause(t *testing.T) {
	d, log := docLog(Spec{})
	l := d.LB("lb", "JSESSIONID")
	n1 := l.Member("n1", "10.0.0.1:8009", "n1", "")
	n2 := l.Member("n2", "10.0.0.2:8009", "n2", "")
	c1 := SessionCheck{M: n1, Route: "n1", Cookie: "JSESSIONID", Path: ";jsessionid"}
	c2 := SessionCheck{M: n2, Route: "n2", Cookie: "JSESSIONID", Path: ";jsessionid"}
	for i := 0; i < 5; i++ {
		c1.Inspect(respHead("Set-Cookie", fmt.Sprintf("JSESSIONID=%d.xyz; Path=/", i)))
		c1.Inspect(respHead("Location", fmt.Sprintf("/a;jsessionid=%d.xyz", i)))
		c2.Inspect(respHead("Set-Cookie", fmt.Sprintf("JSESSIONID=%d.n2; Path=/", i)))
		c2.Inspect(respHead("Set-Cookie", fmt.Sprintf("JSESSIONID=%d; Path=/", i)))
	}
	fs := d.FindingsFor("lb")
	if len(fs) != 2 {
		t.Fatalf("findings: %+v", fs)
	}
	want := []struct {
		member string
		kind   FindingKind
		seen   string
		count  uint64
	}{{"n1", KindRouteMismatch, "xyz", 10}, {"n2", KindNoRoute, "", 5}}
	for i, w := range want {
		f := fs[i]
		if f.Member != w.member || f.Kind != w.kind || f.Seen != w.seen || f.Count != w.count || f.LB != "lb" {
			t.Errorf("finding %d: %+v, want %+v", i, f, w)
		}
	}
	if got := fs[0].Fix; got != `set jvmRoute="n1" on the Engine in server.xml of 10.0.0.1:8009 (or start it with -DjvmRoute=n1), or set worker.n1.route=xyz` {
		t.Errorf("fix: %s", got)
	}
	out := log.String()
	if n := strings.Count(out, "session-route doctor"); n != 2 {
		t.Errorf("%d log lines, want 2:\n%s", n, out)
	}
	for _, s := range []string{"level=WARN", "lb=lb member=n1 address=10.0.0.1:8009 kind=route_mismatch seen=xyz configured=n1 from=Set-Cookie",
		"member=n2", "kind=no_route", `set jvmRoute=\"n2\"`} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %q:\n%s", s, out)
		}
	}
}

func TestDoctorCookieName(t *testing.T) {
	d, log := docLog(Spec{CookieAfter: 3})
	l := d.LB("lb", "JSESSIONID")
	bad := SessionCheck{M: l.Member("n1", "h1:1", "n1", ""), Route: "n1", Cookie: "JSESSIONID"}
	good := SessionCheck{M: l.Member("n2", "h2:1", "n2", ""), Route: "n2", Cookie: "JSESSIONID"}
	for i := 0; i < 2; i++ {
		bad.Inspect(respHead("Set-Cookie", "MYSESSIONID=A.n1"))
	}
	if fs := d.FindingsFor("lb"); len(fs) != 0 {
		t.Fatalf("reported before CookieAfter responses: %+v", fs)
	}
	// A member that sets the lb's cookie too is fine: the other cookie is
	// the application's.
	good.Inspect(respHead("Set-Cookie", "JSESSIONID=B.n2", "Set-Cookie", "APPSESSIONID=x"))
	for i := 0; i < 4; i++ {
		bad.Inspect(respHead("Set-Cookie", "MYSESSIONID=A.n1"))
		good.Inspect(respHead("Set-Cookie", "APPSESSIONID=x"))
	}
	fs := d.FindingsFor("lb")
	if len(fs) != 1 || fs[0].Member != "n1" || fs[0].Kind != KindCookieName || fs[0].Seen != "MYSESSIONID" ||
		fs[0].Configured != "JSESSIONID" || fs[0].Count != 6 {
		t.Fatalf("findings: %+v", fs)
	}
	if !strings.Contains(fs[0].Fix, "set worker.lb.session_cookie=MYSESSIONID") {
		t.Errorf("fix: %s", fs[0].Fix)
	}
	if n := strings.Count(log.String(), "session-route doctor"); n != 1 {
		t.Errorf("%d log lines:\n%s", n, log)
	}
}

func TestDoctorUnknownRoutesBounded(t *testing.T) {
	d, log := docLog(Spec{UnknownRouteAfter: 5, UnknownRoutes: 4, MaxFindings: 3})
	l := d.LB("lb", "JSESSIONID")
	// A flood of distinct routes (a hostile client) is never reported
	// and keeps at most UnknownRoutes counters.
	for i := 0; i < 10000; i++ {
		l.UnknownRoute(fmt.Sprintf("r%d", i))
		if i%3 == 0 {
			l.UnknownRoute("old1") // a renamed route keeps coming back
		}
	}
	l.mu.Lock()
	tracked := len(l.unknown)
	l.mu.Unlock()
	if tracked > 4 {
		t.Errorf("%d unknown routes tracked", tracked)
	}
	fs := d.FindingsFor("lb")
	if len(fs) != 1 || fs[0].Kind != KindUnknownRoute || fs[0].Seen != "old1" || fs[0].Member != "" {
		t.Fatalf("findings: %+v", fs)
	}
	// Long and unprintable values are cut and masked.
	for i := 0; i < 5; i++ {
		l.UnknownRoute(strings.Repeat("x", 100) + "\n\"")
	}
	for i := 0; i < 5; i++ {
		l.UnknownRoute("bad\x00route")
	}
	for i := 0; i < 5; i++ {
		l.UnknownRoute("one-too-many")
	}
	fs = d.FindingsFor("lb")
	if len(fs) != 3 {
		t.Fatalf("findings: %+v", fs)
	}
	if fs[1].Seen != strings.Repeat("x", 60) || fs[2].Seen != "bad?route" {
		t.Errorf("stored values %q %q", fs[1].Seen, fs[2].Seen)
	}
	if !strings.Contains(log.String(), "too many findings") {
		t.Errorf("no warning about the cap:\n%s", log)
	}
}

type fakeBook map[string]string // route -> owner in lb "lb"

func (b fakeBook) RouteOwner(lb, route string) string { return b[route] }
func (b fakeBook) KnownRoute(route string) bool       { _, ok := b[route]; return ok }

func TestDoctorAsksTheBook(t *testing.T) {
	d, _ := docLog(Spec{UnknownRouteAfter: 2})
	d.SetBook(fakeBook{"n2": "n2", "other": "x1"})
	l := d.LB("lb", "JSESSIONID")
	c := SessionCheck{M: l.Member("n1", "h:1", "n1", ""), Route: "n1", Cookie: "JSESSIONID"}
	c.Inspect(respHead("Set-Cookie", "JSESSIONID=A.n2"))
	for i := 0; i < 3; i++ {
		l.UnknownRoute("other") // known to another lb: not reported
	}
	// Clients coming back with the route n1 hands out: that is n1's
	// route_mismatch, not an unknown route of its own.
	c.Inspect(respHead("Set-Cookie", "JSESSIONID=A.tomcat1"))
	for i := 0; i < 3; i++ {
		l.UnknownRoute("tomcat1")
	}
	fs := d.FindingsFor("lb")
	if len(fs) != 2 || fs[1].Seen != "tomcat1" || fs[1].Kind != KindRouteMismatch {
		t.Fatalf("findings: %+v", fs)
	}
	if !strings.Contains(fs[0].Problem, "they go to member n2") ||
		strings.Contains(fs[0].Fix, "worker.n1.route") {
		t.Fatalf("findings: %+v", fs)
	}
}

func TestDoctorReloadAndReset(t *testing.T) {
	d, _ := docLog(Spec{UnknownRouteAfter: 1})
	l := d.LB("lb", "JSESSIONID")
	n1 := l.Member("n1", "h:1", "n1", "")
	n2 := l.Member("n2", "h:2", "n2", "")
	(&SessionCheck{M: n1, Route: "n1", Cookie: "JSESSIONID"}).Inspect(respHead("Set-Cookie", "JSESSIONID=A.x"))
	(&SessionCheck{M: n2, Route: "n2", Cookie: "JSESSIONID"}).Inspect(respHead("Set-Cookie", "JSESSIONID=A.y"))
	l.UnknownRoute("gone")
	if n := len(d.Findings()); n != 3 {
		t.Fatalf("%d findings", n)
	}
	// A reload with n2 gone and n1 unchanged: n1's finding survives, and
	// the registration returns the same member state.
	d.SetBook(fakeBook{"gone": "n3"})
	if d.LB("lb", "JSESSIONID") != l || l.Member("n1", "h:1", "n1", "") != n1 {
		t.Fatal("registration did not return the existing state")
	}
	d.Retain(func(lb, member string) bool { return lb == "lb" && member != "n2" })
	fs := d.Findings()
	if len(fs) != 1 || fs[0].Member != "n1" {
		t.Fatalf("after the reload: %+v", fs)
	}
	// The route fixed in the configuration: the finding is moot.
	l.Member("n1", "h:1", "x", "")
	if fs := d.Findings(); len(fs) != 0 {
		t.Fatalf("after the route change: %+v", fs)
	}
	(&SessionCheck{M: n1, Route: "x", Cookie: "JSESSIONID"}).Inspect(respHead("Set-Cookie", "JSESSIONID=A"))
	l.Reset("")
	if fs := d.Findings(); len(fs) != 0 {
		t.Fatalf("after reset: %+v", fs)
	}
	var nilDoc *Doctor
	nilDoc.LB("x", "y").Member("a", "b", "c", "").SetRoute("z")
	if nilDoc.Findings() != nil {
		t.Fatal("nil doctor has findings")
	}
}

func TestDoctorInspectDoesNotAllocate(t *testing.T) {
	d, _ := docLog(Spec{})
	l := d.LB("lb", "JSESSIONID")
	c := SessionCheck{M: l.Member("n1", "h:1", "n1", ""), Route: "n1", Cookie: "JSESSIONID", Path: ";jsessionid"}
	ok := respHead("Set-Cookie", "JSESSIONID=ABC.n1; Path=/; HttpOnly", "Location", "/x;jsessionid=ABC.n1")
	bad := respHead("Set-Cookie", "JSESSIONID=ABC.n9; Path=/")
	c.Inspect(bad)
	none := respHead("Content-Type", "text/plain")
	if n := testing.AllocsPerRun(100, func() { c.Inspect(ok); c.Inspect(none); c.Inspect(bad) }); n != 0 {
		t.Errorf("%v allocations per inspection", n)
	}
}
