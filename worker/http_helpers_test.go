package worker

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/config"
)

// httpSpec compiles a one-worker workers.properties with an http worker
// at addr (host:port), so the tests run with an operator's defaults.
func httpSpec(t testing.TB, addr string, props ...string) *config.Member {
	t.Helper()
	return workerSpec(t, "http", addr, props...)
}

// backendAddr is the host:port of an httptest server.
func backendAddr(s *httptest.Server) string { return s.Listener.Addr().String() }

// toRequest builds the worker.Request the server would build for r: the
// forwarded URI and query, and the body with its first keep bytes kept
// for a failover.
func toRequest(t testing.TB, r *http.Request, keep int) *Request {
	req := &Request{HTTP: r, Secure: r.TLS != nil}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		_, req.LocalPort, _ = net.SplitHostPort(a.String()) // as the server fills it
	}
	req.Forward = ajp.Request{Method: r.Method, Protocol: r.Proto, URI: r.URL.EscapedPath(),
		QueryString: r.URL.RawQuery, HasQuery: r.URL.ForceQuery || r.URL.RawQuery != "",
		RemoteAddr: "127.0.0.1", ServerName: "localhost", ServerPort: 80, SSLKeySize: -1}
	b := &ajp.Body{ContentLength: r.ContentLength}
	req.Body = b
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		b.ContentLength = max(r.ContentLength, 0)
		return req
	}
	b.Rest = r.Body
	if r.ContentLength > 0 {
		b.Kept = make([]byte, min(r.ContentLength, int64(keep)))
		if _, err := io.ReadFull(r.Body, b.Kept); err != nil {
			t.Errorf("reading the kept body: %v", err)
		}
	}
	return req
}

// front serves every request through m, like a directly mounted worker:
// what the member returns is what a client of jkbalancer sees. Errors go
// to errs (when not nil) and are answered like the server answers them.
func front(t *testing.T, m *Member, errs chan<- error) *httptest.Server {
	t.Helper()
	fs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := toRequest(t, r, 8192)
		_, err := m.Forward(w, req, &Attempt{Activation: config.Active})
		if errs != nil {
			select {
			case errs <- err:
			default:
			}
		}
		if err != nil {
			if we, ok := err.(*Error); ok && we.HeadSent {
				panic(http.ErrAbortHandler)
			}
			WriteErrorPage(w, Status(err))
		}
	}))
	t.Cleanup(fs.Close)
	return fs
}

// newHTTPMember builds a member for spec a; retries sleep nothing.
func newHTTPMember(t *testing.T, a *config.Member) *Member {
	t.Helper()
	m := NewMember(Spec{Name: "w", Attrs: a, Options: Options{
		Sleep: func(context.Context, time.Duration) error { return nil }}})
	t.Cleanup(m.Close)
	return m
}

// mustGet sends GET url with the given header pairs and returns the
// response and its body.
func mustDo(t *testing.T, c *http.Client, method, url string, body io.Reader, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	if c == nil {
		c = &http.Client{Timeout: 20 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, url, err)
	}
	return resp, string(b)
}

// unreachableAddr returns a loopback address nothing listens on.
func unreachableAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// getOK forwards a GET for path through m and fails the test unless it
// was answered 200.
func getOK(t *testing.T, m *Member, path string) {
	t.Helper()
	rec := httptest.NewRecorder()
	if _, err := m.Forward(rec, toRequest(t, httptest.NewRequest("GET", path, nil), 8192), &Attempt{}); err != nil || rec.Code != 200 {
		t.Fatalf("GET %s: %v %d", path, err, rec.Code)
	}
}
