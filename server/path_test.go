package server

import (
	"errors"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

func TestSplitPathsMatchForm(t *testing.T) {
	cases := []struct {
		raw, match string
		status     int // 0 = no error
	}{
		{"/", "/", 0},
		{"/app/x.jsp", "/app/x.jsp", 0},
		{"/app/x.jsp;jsessionid=ABC.t1", "/app/x.jsp", 0},
		{"/app;v=1/x;a=b/y", "/app/x/y", 0},
		{"/app/..;/manager/html", "/manager/html", 0},
		{"/a//b///c", "/a/b/c", 0},
		{"/a/./b/.", "/a/b/", 0},
		{"/a/b/../c", "/a/c", 0},
		{"/a/%2e%2e/x", "/x", 0},
		{"/a/%2E%2E/%2e/x", "/x", 0},
		{"/a/%252e%252e/x", "/a/%2e%2e/x", 0}, // decoded once, never twice
		{"/jk%2dstatus", "/jk-status", 0},
		{"/x%3bjsessionid=1", "/x", 0}, // mod_jk strips from the ';' httpd decoded, as Tomcat gets it
		{"/..", "", 400},
		{"/a/../..", "", 400},
		{"/%2e%2e/etc", "", 400},
		{"/..;/x", "", 400},
		{"/a%2Fb", "", 404},
		{"/a%00b", "", 404},
		{"/a%zz", "", 400},
		{"/a%2", "", 400},
		{"relative", "", 400},
		{"", "", 400},
	}
	for _, c := range cases {
		got, err := splitPaths(c.raw, config.ForwardURIProxy)
		if c.status != 0 {
			var pe *pathError
			if !errors.As(err, &pe) || pe.status != c.status {
				t.Errorf("%q: err = %v, want status %d", c.raw, err, c.status)
			}
			continue
		}
		if err != nil || got.match != c.match {
			t.Errorf("%q: match = %q, %v; want %q", c.raw, got.match, err, c.match)
		}
	}
}

func TestForwardURIModes(t *testing.T) {
	cases := []struct {
		raw  string
		mode config.ForwardURI
		want string
	}{
		// Proxy (default): decode then re-encode; ';' params survive, '%' is re-escaped.
		{"/app/x.jsp;jsessionid=ABC.t1", config.ForwardURIProxy, "/app/x.jsp;jsessionid=ABC.t1"},
		{"/a%20b/%7euser", config.ForwardURIProxy, "/a%20b/~user"},
		{"/a/%252e%252e/x", config.ForwardURIProxy, "/a/%252e%252e/x"},
		{"/caf%C3%A9", config.ForwardURIProxy, "/caf%C3%A9"},
		{"/a//b/./c", config.ForwardURIProxy, "/a/b/c"},
		{"/a/%2e%2e/b", config.ForwardURIProxy, "/b"}, // httpd decodes unreserved escapes before resolving dots
		{"/app/%2E%2E/x%41", config.ForwardURIProxy, "/xA"},
		{"/a/%252e%252e/b", config.ForwardURIProxy, "/a/%252e%252e/b"},
		// CompatUnparsed: exactly what the client sent.
		{"/a//b/%7e;x=1", config.ForwardURICompatUnparsed, "/a//b/%7e;x=1"},
		// Compat: the decoded form (unsafe, on request only).
		{"/a%20b/%252e", config.ForwardURICompat, "/a b/%2e"},
		// Escaped: like Proxy but ';' is escaped too.
		{"/x;jsessionid=1", config.ForwardURIEscaped, "/x%3Bjsessionid=1"},
	}
	for _, c := range cases {
		got, err := splitPaths(c.raw, c.mode)
		if err != nil || got.forward != c.want {
			t.Errorf("%q %v: forward = %q, %v; want %q", c.raw, c.mode, got.forward, err, c.want)
		}
	}
}

func TestPlainPathNeedsNoAllocation(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := splitPaths("/app/items/list.jsp", config.ForwardURIProxy); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("plain path: %v allocations per call, want 0", allocs)
	}
}

func FuzzSplitPaths(f *testing.F) {
	for _, s := range []string{"/", "/a/../b", "/a;x/..;/b", "/%2e%2e/", "/a%2f", "//x/./y", "/x%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := splitPaths(raw, config.ForwardURIProxy)
		if err != nil {
			return
		}
		// The match form is always absolute, clean and free of dot segments.
		if p.match == "" || p.match[0] != '/' {
			t.Fatalf("%q: match %q not absolute", raw, p.match)
		}
		again, err := normalizeForMatch(p.match)
		if err == nil && again != p.match && !containsParamOrEscape(p.match) {
			t.Fatalf("%q: match %q not idempotent (%q)", raw, p.match, again)
		}
		if p.forward == "" || p.forward[0] != '/' {
			t.Fatalf("%q: forward %q not absolute", raw, p.forward)
		}
	})
}

func containsParamOrEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ';' || s[i] == '%' {
			return true
		}
	}
	return false
}
