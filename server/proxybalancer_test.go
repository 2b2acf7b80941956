package server

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
)

func TestProxyForward(t *testing.T) {
	pp := &config.ProxyPass{Path: "/app/", BackendPath: "/backend/"}
	root := &config.ProxyPass{Path: "/app/", BackendPath: "/"}
	noPath := &config.ProxyPass{Path: "/app", BackendPath: ""}
	tests := []struct {
		pp             *config.ProxyPass
		match, forward string
		want           string
	}{
		{pp, "/app/x", "/app/x", "/backend/x"},
		{pp, "/app/", "/app/", "/backend/"},
		{pp, "/app/a b", "/app/a%20b", "/backend/a%20b"},
		// the path parameter of the session survives the mapping
		{pp, "/app/x", "/app/x;jsessionid=1.a1", "/backend/x;jsessionid=1.a1"},
		// the prefix itself hidden behind a parameter: mapped from the
		// normalised path, re-encoded
		{pp, "/app/y", "/app;v=1/y", "/backend/y"},
		{pp, "/app/ü", "/app/%C3%BC", "/backend/%C3%BC"},
		{root, "/app/x", "/app/x", "/x"},
		{noPath, "/app/x", "/app/x", "/x"},
		{noPath, "/app", "/app", "/"},
		{&config.ProxyPass{Path: "/", BackendPath: "/"}, "/x", "/x;p", "/x;p"},
		{&config.ProxyPass{Path: "/é/", BackendPath: "/b/"}, "/é/x", "/%C3%A9/x", "/b/x"},
	}
	for _, tt := range tests {
		got := proxyForward(tt.pp, paths{match: tt.match, forward: tt.forward})
		if got != tt.want {
			t.Errorf("%s -> %s: %q (forward %q), want %q", tt.pp.Path, tt.pp.BackendPath, got, tt.forward, tt.want)
		}
	}
}

func TestReverseURL(t *testing.T) {
	pp := &config.ProxyPass{Path: "/app/", BackendPath: "/backend/"}
	root := &config.ProxyPass{Path: "/app/", BackendPath: "/"}
	tests := []struct {
		pp   *config.ProxyPass
		in   string
		want string
	}{
		{pp, "/backend/login", "/app/login"},
		{pp, "/backend/", "/app/"},
		{pp, "/backend", "/backend"}, // not under "/backend/", as in httpd
		{pp, "/other/x", "/other/x"},
		{pp, "http://front.example/backend/x?y=1", "http://front.example/app/x?y=1"},
		{pp, "http://FRONT.example:80/backend/x", "http://FRONT.example:80/app/x"},
		{pp, "https://front.example/backend/x", "https://front.example/app/x"},
		{pp, "http://elsewhere.example/backend/x", "http://elsewhere.example/backend/x"},
		{pp, "//front.example/backend/x", "//front.example/backend/x"},
		{pp, "relative/x", "relative/x"},
		{root, "/login", "/app/login"},
		{root, "http://front.example", "http://front.example"},
		{root, "http://front.example/", "http://front.example/app/"},
	}
	for _, tt := range tests {
		got, _ := reverseURL(tt.in, tt.pp, "front.example")
		if got != tt.want {
			t.Errorf("%s with %s -> %s: %q, want %q", tt.in, tt.pp.BackendPath, tt.pp.Path, got, tt.want)
		}
	}
}

func TestReverseCookie(t *testing.T) {
	pp := &config.ProxyPass{Path: "/app/", BackendPath: "/backend/"}
	root := &config.ProxyPass{Path: "/app/", BackendPath: "/"}
	toRoot := &config.ProxyPass{Path: "/", BackendPath: "/backend/"}
	tests := []struct {
		pp   *config.ProxyPass
		in   string
		want string
	}{
		// Tomcat's context path, without the trailing slash
		{pp, "JSESSIONID=1.a1; Path=/backend; HttpOnly", "JSESSIONID=1.a1; Path=/app; HttpOnly"},
		{pp, "JSESSIONID=1.a1; Path=/backend/", "JSESSIONID=1.a1; Path=/app/"},
		{pp, "x=1;path=/backend/sub;Secure", "x=1;path=/app/sub;Secure"},
		{pp, "x=1; Path=/backendx", "x=1; Path=/backendx"},
		{pp, "x=1; Path=/", "x=1; Path=/"},
		{pp, "x=1", "x=1"},
		{pp, "x=path=/backend; Domain=a", "x=path=/backend; Domain=a"},
		{root, "x=1; Path=/", "x=1; Path=/app/"},
		{root, "x=1; Path=/sub", "x=1; Path=/app/sub"},
		{toRoot, "x=1; Path=/backend", "x=1; Path=/"},
	}
	for _, tt := range tests {
		got, _ := reverseCookie(tt.in, tt.pp)
		if got != tt.want {
			t.Errorf("%q with %s -> %s: %q, want %q", tt.in, tt.pp.BackendPath, tt.pp.Path, got, tt.want)
		}
	}
}

// TestProxyPassEndToEnd runs a balancers:/proxy_pass: configuration
// against an in-process AJP member: the member sees the backend path, and
// its Location and cookie path come back under the front prefix.
func TestProxyPassEndToEnd(t *testing.T) {
	member := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		host := ""
		for _, h := range r.Headers {
			if strings.EqualFold(h.Name, "host") {
				host = h.Value
			}
		}
		w.SendHeaders(http.StatusFound,
			ajp.Header{Name: "X-Uri", Value: r.URI},
			ajp.Header{Name: "X-Query", Value: r.QueryString},
			ajp.Header{Name: "Location", Value: "http://" + host + "/backend/login"},
			ajp.Header{Name: "Content-Location", Value: "/backend/page"},
			ajp.Header{Name: "Set-Cookie", Value: "JSESSIONID=1.a1; Path=/backend; HttpOnly"},
			ajp.Header{Name: "Content-Length", Value: "0"})
		w.End(true)
	})
	defer member.Close()
	yaml := fmt.Sprintf(`listen: ["127.0.0.1:0"]
balancers:
  b:
    stickysession: JSESSIONID|jsessionid
    members: [{url: "ajp://127.0.0.1:%s", route: a1}]
proxy_pass:
  - {path: /static/, to: "!"}
  - {path: /app/, to: "balancer://b/backend/", reverse: true, reverse_cookie_path: true}
  - {path: /plain/, to: "balancer://b/backend/"}
  - {path: /seg, to: "balancer://b/backend"}
`, portOf(member))
	ts := startServer(t, map[string]string{"jkbalancer.yaml": yaml})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(path string) *http.Response {
		resp, err := client.Get(ts.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	host := strings.TrimPrefix(ts.base, "http://")
	resp := do("/app/x;jsessionid=1.a1?q=1")
	if got := resp.Header.Get("X-Uri"); got != "/backend/x;jsessionid=1.a1" {
		t.Errorf("member saw URI %q, want /backend/x;jsessionid=1.a1", got)
	}
	if got := resp.Header.Get("X-Query"); got != "q=1" {
		t.Errorf("query %q", got)
	}
	if got, want := resp.Header.Get("Location"), "http://"+host+"/app/login"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if got := resp.Header.Get("Content-Location"); got != "/app/page" {
		t.Errorf("Content-Location %q, want /app/page", got)
	}
	if got := resp.Header.Get("Set-Cookie"); got != "JSESSIONID=1.a1; Path=/app; HttpOnly" {
		t.Errorf("Set-Cookie %q", got)
	}
	// Without reverse: the mapping applies, the headers pass unchanged.
	resp = do("/plain/y")
	if got := resp.Header.Get("X-Uri"); got != "/backend/y" {
		t.Errorf("/plain/y: member saw %q", got)
	}
	if got := resp.Header.Get("Content-Location"); got != "/backend/page" {
		t.Errorf("/plain/y: Content-Location rewritten to %q", got)
	}
	// A path without '/' at the end: itself and below it, on a segment
	// boundary, as httpd's alias_match.
	for in, want := range map[string]string{"/seg/x": "/backend/x", "/seg": "/backend"} {
		if got := do(in).Header.Get("X-Uri"); got != want {
			t.Errorf("%s: member saw %q, want %q", in, got, want)
		}
	}
	for _, p := range []string{"/static/a.css", "/other", "/app", "/segment"} {
		if resp := do(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, resp.StatusCode)
		}
	}
}
