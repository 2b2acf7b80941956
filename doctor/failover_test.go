package doctor

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

func TestClassifyFailover(t *testing.T) {
	const ck, pp = "JSESSIONID", ";jsessionid"
	for _, tc := range []struct {
		name         string
		head         http.Header
		cookie, path string
		want         FailoverResult
	}{
		{"rebound by JvmRouteBinderValve", respHead("Set-Cookie", "JSESSIONID=ABC.n2; Path=/app; HttpOnly"), ck, pp, FailoverKept},
		{"unchanged id", respHead("Set-Cookie", "JSESSIONID=ABC.n1; Path=/app"), ck, pp, FailoverKept},
		{"id without route", respHead("Set-Cookie", "JSESSIONID=ABC"), ck, pp, FailoverKept},
		{"new id", respHead("Set-Cookie", "JSESSIONID=XYZ.n2; Path=/app; HttpOnly"), ck, pp, FailoverLost},
		{"new id, same route", respHead("Set-Cookie", "JSESSIONID=XYZ.n1"), ck, pp, FailoverLost},
		{"base is a prefix", respHead("Set-Cookie", "JSESSIONID=ABCD.n2"), ck, pp, FailoverLost},
		{"no cookie", respHead("Content-Type", "text/html"), ck, pp, FailoverUnknown},
		{"other cookies only", respHead("Set-Cookie", "lang=ko", "Set-Cookie", "MYSESSIONID=XYZ.n2"), ck, pp, FailoverUnknown},
		{"deletion", respHead("Set-Cookie", "JSESSIONID=; Max-Age=0; Path=/app"), ck, pp, FailoverUnknown},
		{"quoted, blanks", respHead("Set-Cookie", ` JSESSIONID = "ABC.n2" ; Path=/`), ck, pp, FailoverKept},
		{"quoted new", respHead("Set-Cookie", `JSESSIONID="XYZ.n2"`), ck, pp, FailoverLost},
		{"case-sensitive name", respHead("Set-Cookie", "jsessionid=XYZ.n2"), ck, pp, FailoverUnknown},
		{"several cookies, one kept", respHead("Set-Cookie", "JSESSIONID=XYZ.n2; Path=/other",
			"Set-Cookie", "JSESSIONID=ABC.n2; Path=/app"), ck, pp, FailoverKept},
		{"several cookies, none kept", respHead("Set-Cookie", "lang=ko", "Set-Cookie", "JSESSIONID=XYZ.n2; Path=/a",
			"Set-Cookie", "JSESSIONID=QRS.n2; Path=/b"), ck, pp, FailoverLost},
		{"deletion then new", respHead("Set-Cookie", "JSESSIONID=; Max-Age=0", "Set-Cookie", "JSESSIONID=XYZ.n2"), ck, pp, FailoverLost},
		{"lb's own cookie name", respHead("Set-Cookie", "MYSESSIONID=ABC.n2", "Set-Cookie", "JSESSIONID=XYZ.n2"),
			"MYSESSIONID", pp, FailoverKept},
		{"lb's own cookie name, new", respHead("Set-Cookie", "MYSESSIONID=XYZ.n2", "Set-Cookie", "JSESSIONID=ABC.n2"),
			"MYSESSIONID", pp, FailoverLost},
		{"path parameter kept", respHead("Location", "http://h/app/;jsessionid=ABC.n2?x=1"), ck, pp, FailoverKept},
		{"path parameter new", respHead("Location", "/app/x;jsessionid=XYZ.n2#top"), ck, pp, FailoverLost},
		{"lb's own path parameter", respHead("Location", "/app/x;sid=ABC.n2;jsessionid=XYZ.n2"), ck, ";sid", FailoverKept},
		{"path parameter case", respHead("Location", "/app/x;JSESSIONID=XYZ.n2"), ck, pp, FailoverUnknown},
		{"no path parameter name", respHead("Location", "/app/x;jsessionid=XYZ.n2"), ck, "", FailoverUnknown},
		{"cookie before location", respHead("Set-Cookie", "JSESSIONID=ABC.n2", "Location", "/x;jsessionid=XYZ.n2"), ck, pp, FailoverKept},
		{"two locations", respHead("Location", "/x;jsessionid=XYZ.n2", "Location", "/y"), ck, pp, FailoverUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ClassifyFailover(tc.head, tc.cookie, tc.path, "ABC"); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// failoverRig is an lb of three members with checks that send n1's
// sessions to n2.
func failoverRig(t *testing.T) (*Doctor, *testutil.LockedBuffer, *LB, [3]*Member) {
	t.Helper()
	d, log := docLog(Spec{})
	l := d.LB("lb", "JSESSIONID")
	var ms [3]*Member
	for i := range ms {
		name := fmt.Sprintf("n%d", i+1)
		ms[i] = l.Member(name, fmt.Sprintf("10.0.0.%d:8009", i+1), name, "")
	}
	return d, log, l, ms
}

func failoverCheck(to, from *Member, route string) *SessionCheck {
	return &SessionCheck{M: to, Route: route, Cookie: "JSESSIONID", Path: ";jsessionid", From: from, Base: "ABC"}
}

func TestFailoverCountsAndSessionLost(t *testing.T) {
	d, log, _, ms := failoverRig(t)
	n1, n2, n3 := ms[0], ms[1], ms[2]
	to2 := failoverCheck(n2, n1, "n2")
	for i := 0; i < 3; i++ {
		to2.Inspect(respHead("Set-Cookie", "JSESSIONID=ABC.n2; Path=/"))         // kept, rebound
		to2.Inspect(respHead("Set-Cookie", "JSESSIONID=ABC.n1; Path=/"))         // kept, unchanged
		to2.Inspect(respHead("Content-Type", "text/html"))                       // unknown
		to2.Inspect(respHead("Set-Cookie", fmt.Sprintf("JSESSIONID=N%d.n2", i))) // lost
	}
	failoverCheck(n3, n1, "n3").Inspect(respHead("Location", "/a;jsessionid=NEW.n3"))
	// A request that is no failover counts nothing.
	(&SessionCheck{M: n2, Route: "n2", Cookie: "JSESSIONID"}).Inspect(respHead("Set-Cookie", "JSESSIONID=Q.n2"))
	got := d.Failovers()
	want := []FailoverCount{
		{LB: "lb", From: "n1", To: "n2", Count: [3]uint64{FailoverUnknown: 3, FailoverKept: 6, FailoverLost: 3}},
		{LB: "lb", From: "n1", To: "n3", Count: [3]uint64{FailoverLost: 1}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("failovers %+v, want %+v", got, want)
	}
	fs := d.FindingsFor("lb")
	if len(fs) != 2 {
		t.Fatalf("findings (an unchanged id is no route_mismatch of n2): %+v", fs)
	}
	f := fs[0]
	if f.Member != "n2" || f.Kind != KindSessionLost || f.Seen != "n1" || f.Count != 3 || f.From != "Set-Cookie" ||
		f.Addr != "10.0.0.2:8009" || fs[1].Member != "n3" || fs[1].From != "Location" || fs[1].Count != 1 {
		t.Fatalf("findings: %+v", fs)
	}
	for _, s := range []string{"between n1 (10.0.0.1:8009) and n2 (10.0.0.2:8009)", "<Cluster>", "<distributable/>",
		"4000-4100", "228.0.0.4:45564", "static membership", "Serializable", "failover will log users out"} {
		if !strings.Contains(f.Fix, s) {
			t.Errorf("fix lacks %q: %s", s, f.Fix)
		}
	}
	if !strings.Contains(f.Problem, "member n1") || !strings.Contains(f.Problem, "member n2") {
		t.Errorf("problem: %s", f.Problem)
	}
	out := log.String()
	if n := strings.Count(out, "kind=session_lost"); n != 2 {
		t.Errorf("%d log lines, want one per pair:\n%s", n, out)
	}
	if !strings.Contains(out, "lb=lb member=n2 address=10.0.0.2:8009 kind=session_lost seen=n1") {
		t.Errorf("log:\n%s", out)
	}
}

func TestFailoverForgottenWithItsMembers(t *testing.T) {
	d, _, l, ms := failoverRig(t)
	n1, n2, n3 := ms[0], ms[1], ms[2]
	lost := func(route string) http.Header { return respHead("Set-Cookie", "JSESSIONID=NEW."+route) }
	failoverCheck(n2, n1, "n2").Inspect(lost("n2"))
	failoverCheck(n3, n1, "n3").Inspect(lost("n3"))
	failoverCheck(n1, n3, "n1").Inspect(lost("n1"))
	// The status worker's reset of n3 forgets the findings it is part of,
	// not the counters (they never go down).
	l.Reset("n3")
	if fs := d.FindingsFor("lb"); len(fs) != 1 || fs[0].Member != "n2" {
		t.Fatalf("after reset of n3: %+v", fs)
	}
	if n := len(d.Failovers()); n != 3 {
		t.Fatalf("%d pairs after a reset", n)
	}
	// A reload without n1: every pair and finding with n1 goes.
	d.Retain(func(lb, member string) bool { return member != "n1" })
	if fs, fo := d.FindingsFor("lb"), d.Failovers(); len(fs) != 0 || len(fo) != 0 {
		t.Fatalf("after n1 left: %+v %+v", fs, fo)
	}
	// A check that names a member of another lb, or the member itself, counts nothing.
	other := d.LB("other", "JSESSIONID").Member("x", "h:1", "x", "")
	failoverCheck(n2, other, "n2").Inspect(lost("n2"))
	failoverCheck(n2, n2, "n2").Inspect(lost("n2"))
	if fo := d.Failovers(); len(fo) != 0 {
		t.Fatalf("counted: %+v", fo)
	}
}

func TestFailoverInspectDoesNotAllocate(t *testing.T) {
	_, _, _, ms := failoverRig(t)
	c := failoverCheck(ms[1], ms[0], "n2")
	kept := respHead("Set-Cookie", "JSESSIONID=ABC.n2; Path=/")
	lost := respHead("Set-Cookie", "JSESSIONID=XYZ.n2; Path=/")
	none := respHead("Content-Type", "text/plain")
	c.Inspect(lost) // the pair and the finding exist from now on
	if n := testing.AllocsPerRun(100, func() { c.Inspect(kept); c.Inspect(lost); c.Inspect(none) }); n != 0 {
		t.Errorf("%v allocations per failover", n)
	}
	if n := testing.AllocsPerRun(100, func() { ClassifyFailover(kept, "JSESSIONID", ";jsessionid", "ABC") }); n != 0 {
		t.Errorf("%v allocations per classification", n)
	}
}

func FuzzClassifyFailover(f *testing.F) {
	f.Add("JSESSIONID=ABC.n2; Path=/", "", "/x;jsessionid=Q.n1", "JSESSIONID", ";jsessionid", "ABC")
	f.Add(`JSESSIONID="XYZ"`, "JSESSIONID=; Max-Age=0", "", "JSESSIONID", ";jsessionid", "ABC")
	f.Add("", "", "/x;sid=A.b;sid=C", "S", ";sid", "A")
	f.Fuzz(func(t *testing.T, c1, c2, loc, cookie, path, base string) {
		h := http.Header{}
		for _, c := range []string{c1, c2} {
			if c != "" {
				h["Set-Cookie"] = append(h["Set-Cookie"], c)
			}
		}
		if loc != "" {
			h["Location"] = []string{loc}
		}
		res := ClassifyFailover(h, cookie, path, base)
		if res >= failoverResults {
			t.Fatalf("result %d", res)
		}
		if cookie == "" {
			return
		}
		// Unknown exactly when the answer hands out no session id.
		if s := ReadSession(h, cookie, path); (s.ID == "") != (res == FailoverUnknown) {
			t.Fatalf("result %v, but ReadSession says %+v", res, s)
		}
		if res == FailoverKept && !strings.Contains(c1+c2+loc, base) {
			t.Fatalf("kept without the base %q", base)
		}
	})
}
