package sticky

import (
	"strings"
	"testing"
)

// FuzzSessionID feeds hostile URIs and Cookie headers to the session-id
// parser: it must never panic, and what it returns must be a piece of the
// input cut where mod_jk cuts (docs/compat.md#sticky-sessions).
func FuzzSessionID(f *testing.F) {
	for _, s := range [][2]string{
		{"/app;jsessionid=ABC.t1?x=1", ""},
		{"/app", "JSESSIONID=ABC.t1; other=2"},
		{"/app", `JSESSIONID="q.t2", JSESSIONID = x.t3`},
		{"/a;jsessionid=;jsessionid=B.t1/x", "JSESSIONID=C.t2"},
		{"/;jsessionid", "JSESSIONID"},
		{"/", "xJSESSIONID=no; JSESSIONID=a.b.c;"},
		{"/", "JSESSIONID=\"\""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, uri, cookie string) {
		headers := []string{cookie, cookie[len(cookie)/2:]}
		id := SessionID(uri, headers, ";jsessionid", "JSESSIONID")
		if v, found := pathValue(uri, ";jsessionid"); found {
			if id != v || !strings.Contains(uri, ";jsessionid="+v) || strings.ContainsAny(v, "?;/") {
				t.Fatalf("path value %q (id %q) is not a cut piece of %q", v, id, uri)
			}
		} else {
			for cand := range Candidates(id) {
				if strings.ContainsAny(cand, ";,") || !strings.Contains(cookie, cand) {
					t.Fatalf("cookie candidate %q is not a cut piece of %q", cand, cookie)
				}
			}
		}
		var viaNext []string
		for rest, n := id, 0; rest != "" && n <= len(id); n++ {
			var cand string
			cand, rest = Next(rest)
			viaNext = append(viaNext, cand)
		}
		var viaSeq []string
		for cand := range Candidates(id) {
			viaSeq = append(viaSeq, cand)
		}
		// Next's loop drops one empty trailing candidate, nothing else.
		if strings.Join(viaSeq, ";") != id || strings.Join(viaNext, ";") != strings.TrimSuffix(id, ";") {
			t.Fatalf("Next %q and Candidates %q do not split %q", viaNext, viaSeq, id)
		}
		for cand := range Candidates(id) {
			if route, ok := Route(cand); ok {
				head := cand[:len(cand)-len(route)-1]
				if !strings.HasSuffix(cand, "."+route) || strings.Contains(head, ".") {
					t.Fatalf("route %q of %q is not after the first dot", route, cand)
				}
			} else if strings.Contains(cand, ".") {
				t.Fatalf("%q has a dot but no route", cand)
			}
		}
	})
}
