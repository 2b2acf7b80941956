package sticky

import (
	"slices"
	"testing"
)

func TestSessionIDPathParameter(t *testing.T) {
	tests := []struct {
		name, uri, param string
		cookies          []string
		want             string
	}{
		{"plain", "/app/x;jsessionid=ABC.t1", ";jsessionid", nil, "ABC.t1"},
		{"ends at ?", "/app/x;jsessionid=ABC.t1?a=b", ";jsessionid", nil, "ABC.t1"},
		{"ends at ;", "/app/x;jsessionid=ABC.t1;foo=bar", ";jsessionid", nil, "ABC.t1"},
		{"ends at /", "/app/x;jsessionid=ABC.t1/more", ";jsessionid", nil, "ABC.t1"},
		{"earliest terminator wins", "/a;jsessionid=A/B;C?D", ";jsessionid", nil, "A"},
		{"first occurrence", "/a;jsessionid=one.t1/b;jsessionid=two.t2", ";jsessionid", nil, "one.t1"},
		{"case sensitive", "/a;JSESSIONID=x.t1", ";jsessionid", nil, ""},
		{"needs '=' directly", "/a;jsessionid =x.t1", ";jsessionid", nil, ""},
		{"needs the ';'", "/a?jsessionid=x.t1", ";jsessionid", nil, ""},
		{"skips non '=' occurrence", "/a;jsessionidx;jsessionid=y.t2", ";jsessionid", nil, "y.t2"},
		{"beats cookie", "/a;jsessionid=p.t1", ";jsessionid", []string{"JSESSIONID=c.t2"}, "p.t1"},
		{"= at end falls back to cookie", "/a;jsessionid=", ";jsessionid", []string{"JSESSIONID=c.t2"}, "c.t2"},
		// mod_jk found the parameter, its value is empty: no session and
		// no cookie lookup.
		{"empty value hides cookie", "/a;jsessionid=;x", ";jsessionid", []string{"JSESSIONID=c.t2"}, ""},
		{"empty value before /", "/a;jsessionid=/b", ";jsessionid", nil, ""},
		// The path parameter name is independent of the cookie name
		// (verified): ;jsessionid routes, ;ROUTEID does not.
		{"custom param", "/a;ROUTEID=.t1", ";ROUTEID", nil, ".t1"},
		{"jsessionid ignored under ROUTEID", "/a;jsessionid=x.t1", ";ROUTEID", nil, ""},
		{"ROUTEID ignored under jsessionid", "/a;ROUTEID=.t1", ";jsessionid", nil, ""},
		{"empty param name disables", "/a;jsessionid=x.t1", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SessionID(tt.uri, tt.cookies, tt.param, "JSESSIONID"); got != tt.want {
				t.Fatalf("SessionID(%q, %q) = %q, want %q", tt.uri, tt.cookies, got, tt.want)
			}
		})
	}
}

func TestSessionIDCookies(t *testing.T) {
	tests := []struct {
		name    string
		cookies []string
		cookie  string
		want    string
	}{
		{"single", []string{"JSESSIONID=ABC.t1"}, "JSESSIONID", "ABC.t1"},
		{"after ;", []string{"a=b;JSESSIONID=ABC.t1"}, "JSESSIONID", "ABC.t1"},
		{"after ; and space", []string{"a=b; JSESSIONID=ABC.t1; c=d"}, "JSESSIONID", "ABC.t1"},
		{"after ,", []string{"a=b,JSESSIONID=ABC.t1"}, "JSESSIONID", "ABC.t1"},
		{"after tab", []string{"a=b;\tJSESSIONID=ABC.t1"}, "JSESSIONID", "ABC.t1"},
		{"value ends at ,", []string{"JSESSIONID=ABC.t1,x=y"}, "JSESSIONID", "ABC.t1"},
		{"blanks before =", []string{"JSESSIONID  =ABC.t1"}, "JSESSIONID", "ABC.t1"},
		{"blank after = kept", []string{"JSESSIONID= ABC.t1"}, "JSESSIONID", " ABC.t1"},
		{"quoted", []string{`JSESSIONID="ABC.t1"`}, "JSESSIONID", "ABC.t1"},
		{"quoted then more", []string{`JSESSIONID="ABC.t1"; x=1`}, "JSESSIONID", "ABC.t1"},
		{"lone quote kept", []string{`JSESSIONID="`}, "JSESSIONID", `"`},
		{"half quoted kept", []string{`JSESSIONID="ABC.t1`}, "JSESSIONID", `"ABC.t1`},
		{"suffix of another name", []string{"MYJSESSIONID=x.t1"}, "JSESSIONID", ""},
		{"suffix then real", []string{"MYJSESSIONID=x.t1; JSESSIONID=y.t2"}, "JSESSIONID", "y.t2"},
		{"prefix of another name", []string{"JSESSIONIDX=x.t1"}, "JSESSIONID", ""},
		{"case sensitive", []string{"jsessionid=x.t1"}, "JSESSIONID", ""},
		{"two in one header", []string{"JSESSIONID=a.t1; JSESSIONID=b.t2"}, "JSESSIONID", "a.t1;b.t2"},
		{"across headers", []string{"JSESSIONID=a.t1", "x=1", "JSESSIONID=b.t2"}, "JSESSIONID", "a.t1;b.t2"},
		{"three", []string{"JSESSIONID=a; JSESSIONID=b", "JSESSIONID=\"c\""}, "JSESSIONID", "a;b;c"},
		{"empty value", []string{"JSESSIONID=;x=1"}, "JSESSIONID", ""},
		{"empty then real", []string{"JSESSIONID=; JSESSIONID=b.t2"}, "JSESSIONID", ";b.t2"},
		{"= at end is no value", []string{"JSESSIONID="}, "JSESSIONID", ""},
		{"no =", []string{"JSESSIONID; a=b"}, "JSESSIONID", ""},
		{"custom cookie", []string{"JSESSIONID=x.t1; ROUTEID=.t2"}, "ROUTEID", ".t2"},
		{"no headers", nil, "JSESSIONID", ""},
		{"empty cookie name", []string{"=x"}, "", ""},
		// mod_jk resumes one byte after the blanks that followed a name
		// without '=', so a name starting right there is skipped.
		{"quirk: name after blank skipped", []string{"JSESSIONID JSESSIONID=x.t1"}, "JSESSIONID", ""},
		{"quirk: two blanks found", []string{"JSESSIONID  ;JSESSIONID=x.t1"}, "JSESSIONID", "x.t1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SessionID("/app/index.jsp", tt.cookies, ";jsessionid", tt.cookie); got != tt.want {
				t.Fatalf("SessionID(cookies %q, %q) = %q, want %q", tt.cookies, tt.cookie, got, tt.want)
			}
		})
	}
}

func TestRoute(t *testing.T) {
	tests := []struct {
		id, route string
		ok        bool
	}{
		{"ABC.t1", "t1", true},
		{"a.b.t2", "b.t2", true}, // first dot, verified on mod_jk
		{".t1", "t1", true},
		{"ABC.", "", true},
		{"ABC", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		route, ok := Route(tt.id)
		if route != tt.route || ok != tt.ok {
			t.Errorf("Route(%q) = %q, %v; want %q, %v", tt.id, route, ok, tt.route, tt.ok)
		}
	}
}

func TestNextAndCandidates(t *testing.T) {
	tests := []struct {
		ids       string
		loop, all []string
	}{
		{"", nil, nil},
		{"a.t1", []string{"a.t1"}, []string{"a.t1"}},
		{"a.t1;b.t2", []string{"a.t1", "b.t2"}, []string{"a.t1", "b.t2"}},
		{";b.t2", []string{"", "b.t2"}, []string{"", "b.t2"}},
		{"a.t1;", []string{"a.t1"}, []string{"a.t1", ""}},
		{"a;;b", []string{"a", "", "b"}, []string{"a", "", "b"}},
	}
	for _, tt := range tests {
		var loop []string
		for rest := tt.ids; rest != ""; {
			var cand string
			cand, rest = Next(rest)
			loop = append(loop, cand)
		}
		if !slices.Equal(loop, tt.loop) {
			t.Errorf("Next loop over %q = %q, want %q", tt.ids, loop, tt.loop)
		}
		all := slices.Collect(Candidates(tt.ids))
		if !slices.Equal(all, tt.all) {
			t.Errorf("Candidates(%q) = %q, want %q", tt.ids, all, tt.all)
		}
	}
	// Early stop.
	for c := range Candidates("a;b;c") {
		if c != "a" {
			t.Fatalf("break ignored, got %q", c)
		}
		break
	}
}

func TestZeroAllocations(t *testing.T) {
	cookies := []string{"lang=en; JSESSIONID=0123456789ABCDEF.t1; theme=dark"}
	var sink string
	checks := map[string]func(){
		"path":   func() { sink = SessionID("/app/a;jsessionid=ABC.t1/b", cookies, ";jsessionid", "JSESSIONID") },
		"cookie": func() { sink = SessionID("/app/a", cookies, ";jsessionid", "JSESSIONID") },
		"none":   func() { sink = SessionID("/app/a", nil, ";jsessionid", "JSESSIONID") },
		"route":  func() { sink, _ = Route("0123.t1") },
		"next":   func() { sink, _ = Next("a.t1;b.t2") },
		"iterate": func() {
			for c := range Candidates("a.t1;b.t2") {
				sink = c
			}
		},
	}
	for name, f := range checks {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
	_ = sink
}

func BenchmarkSessionIDCookie(b *testing.B) {
	cookies := []string{"lang=en; _ga=GA1.2.3; JSESSIONID=0123456789ABCDEF0123456789ABCDEF.node1; theme=dark"}
	b.ReportAllocs()
	for b.Loop() {
		if SessionID("/shop/cart/view.do", cookies, ";jsessionid", "JSESSIONID") == "" {
			b.Fatal("no id")
		}
	}
}

func BenchmarkSessionIDPath(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if SessionID("/shop/cart/view.do;jsessionid=0123456789ABCDEF.node1", nil, ";jsessionid", "JSESSIONID") == "" {
			b.Fatal("no id")
		}
	}
}

func BenchmarkSessionIDNone(b *testing.B) {
	cookies := []string{"lang=en; _ga=GA1.2.3; theme=dark"}
	b.ReportAllocs()
	for b.Loop() {
		if SessionID("/shop/cart/view.do", cookies, ";jsessionid", "JSESSIONID") != "" {
			b.Fatal("id")
		}
	}
}

func BenchmarkRouteCandidates(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for rest := "AAAA.node1;BBBB.node2;CCCC.node3"; rest != ""; {
			var cand string
			cand, rest = Next(rest)
			if _, ok := Route(cand); !ok {
				b.Fatal("no route")
			}
		}
	}
}
