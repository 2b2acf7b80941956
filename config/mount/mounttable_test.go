package mount

import (
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

// rule builds a Mount the way the parsers do, from uriworkermap syntax.
func rule(t testing.TB, text string, src Source) Rule {
	t.Helper()
	pattern, worker, _ := strings.Cut(text, "=")
	var c diag.Collector
	m, ok := NewRule(pattern, worker, src, diag.Pos{}, &c)
	if !ok {
		t.Fatalf("bad rule %q: %v", text, c.Problems)
	}
	return m
}

func table(t testing.TB, rules ...string) *Table {
	var ms []Rule
	for _, r := range rules {
		src := SourceURIMap
		switch {
		case strings.HasPrefix(r, "J:"):
			src, r = SourceJkMount, r[2:]
		case strings.HasPrefix(r, "W:"):
			src, r = SourceWorkerDef, r[2:]
		}
		ms = append(ms, rule(t, r, src))
	}
	return NewTable(ms)
}

func TestMountTableOrder(t *testing.T) {
	// docs/compat.md#mount-precedence, verified in mod_jk's status output: /x/*.jsp
	// (2 slashes, len 8) > /app/* (2, len 6) > /dis from the file >
	// /dis JkMount ≈ /app JkMount.
	tb := table(t, "J:/app=a", "J:/dis=a", "/dis=a", "/app/*=a", "/x/*.jsp=a", "W:/a/b/c=w", "W:/zz=w", "J:/zz=j")
	var got []string
	for _, r := range tb.Rules {
		got = append(got, r.Pattern+"("+r.Source.String()+")")
	}
	want := "/a/b/c(worker definition) /x/*.jsp(uriworkermap) /app/*(uriworkermap) /dis(uriworkermap) /app(JkMount) /dis(JkMount) /zz(JkMount) /zz(worker definition)"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("order\n got %s\nwant %s", g, want)
	}
}

func TestMatch(t *testing.T) {
	long := "/" + strings.Repeat("a", MaxMatchURI-1)
	tests := []struct {
		name   string
		rules  []string
		path   string
		worker string // "" = not mapped
		rule   string // the matched pattern, when it matters
	}{
		{"more slashes first", []string{"/app/*=a", "/x/*.jsp=b"}, "/x/y.jsp", "b", "/x/*.jsp"},
		{"longer first at equal slashes", []string{"/app/*=a", "/app/*.do=b"}, "/app/x.do", "b", ""},
		{"file before JkMount", []string{"J:/dis=j", "/dis=f"}, "/dis", "f", ""},
		{"JkMount before worker mount", []string{"W:/dis=w", "J:/dis=j"}, "/dis", "j", ""},
		{"exact beats nothing else: /app/* does not match /app", []string{"/app/*=a"}, "/app", "", ""},
		{"/app/* matches /app/", []string{"/app/*=a"}, "/app/", "a", ""},
		{"/app/* matches deep paths", []string{"/app/*=a"}, "/app/a/b/c", "a", ""},
		{"/app exact", []string{"/app/*=a", "/app=b"}, "/app", "b", ""},
		{"/*.jsp at any depth", []string{"/*.jsp=a"}, "/a/b/c.jsp", "a", ""},
		{"case-sensitive", []string{"/App/*=a"}, "/app/x", "", ""},
		{"? is one byte", []string{"/v?/api=a"}, "/v1/api", "a", ""},
		{"? is not zero bytes", []string{"/v?/api=a"}, "/v/api", "", ""},
		{"? is not two bytes", []string{"/v?/api=a"}, "/v12/api", "", ""},
		{"* matches empty", []string{"/a*b=a"}, "/ab", "a", ""},
		{"exclusion by same worker", []string{"/app/*=a", "!/app/static/*=a"}, "/app/static/x.css", "", ""},
		{"exclusion by other worker does not apply", []string{"/app/*=a", "!/app/static/*=b"}, "/app/static/x.css", "a", ""},
		{"exclusion by *", []string{"/app/*=a", "!/*.gif=*"}, "/app/img/x.gif", "", ""},
		{"broad exclusion beats narrower positive", []string{"/app/img/deep/*=a", "!/*=a"}, "/app/img/deep/x", "", ""},
		{"exclusion never maps", []string{"!/app/*=a"}, "/app/x", "", ""},
		{"disabled rule ignored", []string{"-/dis=a"}, "/dis", "", ""},
		{"disabled rule does not disable same pattern of other source", []string{"-/dis=a", "J:/dis=a"}, "/dis", "a", ""},
		{"disabled exclusion does not exclude", []string{"/app/*=a", "-!/app/x=a"}, "/app/x", "a", ""},
		{"first positive wins, then exclusions of its worker only", []string{"/app/x/*=a", "/app/*=b", "!/app/x/*=b"}, "/app/x/1", "a", ""},
		{"4095 bytes are mapped", []string{"/*=a"}, long, "a", ""},
		{"4096 bytes are not", []string{"/*=a"}, long + "a", "", ""},
		{"no rules", nil, "/", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := table(t, tt.rules...).Match(tt.path)
			switch {
			case tt.worker == "" && got != nil:
				t.Errorf("Match(%q) = %s=%s, want not mapped", tt.path, got.Pattern, got.Worker)
			case tt.worker != "" && got == nil:
				t.Errorf("Match(%q) = nil, want %s", tt.path, tt.worker)
			case tt.worker != "" && got.Worker != tt.worker:
				t.Errorf("Match(%q) = %s=%s, want worker %s", tt.path, got.Pattern, got.Worker, tt.worker)
			case tt.rule != "" && got.Pattern != tt.rule:
				t.Errorf("Match(%q) matched %s, want %s", tt.path, got.Pattern, tt.rule)
			}
		})
	}
}

func TestMatchNilTable(t *testing.T) {
	var tb *Table
	if tb.Match("/") != nil {
		t.Error("nil table matched")
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"/*", "/", true},
		{"/*", "", false},
		{"*", "", true},
		{"/a*", "/a", true},
		{"/a*b*c", "/aXbYc", true},
		{"/a*b*c", "/aXbYcZ", false},
		{"/a*b*c", "/abcabc", true},
		{"/*a*a*a*a*b", "/" + strings.Repeat("a", 200), false},
		{"/*a*a*a*a*b", "/" + strings.Repeat("a", 200) + "b", true},
		{"/??", "/ab", true},
		{"/??", "/abc", false},
		{"/a?c*", "/abc", true},
		{"/**", "/x", true},
		{"/x/*.jsp", "/x/a/b.jsp", true},
		{"/x/*.jsp", "/x/a/b.jspx", false},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestMatchPathological(t *testing.T) {
	// A backtracking matcher takes exponential time here; ours is bounded
	// by len(pattern)*len(path) steps.
	pattern := "/" + strings.Repeat("*a", 30) + "*b"
	path := "/" + strings.Repeat("a", MaxMatchURI-1)
	tb := table(t, pattern+"=w")
	allocs := testing.AllocsPerRun(3, func() {
		if tb.Match(path) != nil {
			t.Fatal("matched")
		}
	})
	if allocs != 0 {
		t.Errorf("Match allocated %v times", allocs)
	}
}

// benchTable is a realistic table: a few dozen rules, exclusions, a
// wildcard that misses and one that hits late.
func benchTable(b *testing.B) *Table {
	rules := []string{"/app/*=lb", "!/app/static/*=lb", "!/*.gif=*", "/jkstatus=status", "-/old/*=lb",
		"/x/*.jsp=lb", "/api/v?/*=api", "/shop=lb", "/shop/*=lb"}
	for _, p := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		rules = append(rules, "/"+p+"/deep/path/*=lb", "/"+p+"/exact/file.html=lb")
	}
	return table(b, rules...)
}

func BenchmarkMatch(b *testing.B) {
	tb := benchTable(b)
	paths := []string{"/app/orders/123", "/app/static/site.css", "/shop/cart", "/nothing/here", "/x/y/z.jsp"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tb.Match(paths[i%len(paths)])
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	tb := table(t, "/app/*=lb", "!/app/static/*=lb", "!/*.gif=*", "/x/*.jsp=lb", "/shop=lb")
	for _, p := range []string{"/app/orders/123", "/app/static/site.css", "/nothing", "/x/a/b.jsp"} {
		if n := testing.AllocsPerRun(100, func() { tb.Match(p) }); n != 0 {
			t.Errorf("Match(%q) allocates %v times", p, n)
		}
	}
}
