package worker

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHTTPIdleConnectionsExpire: Maintain closes the connections idle
// longer than connection_pool_timeout and keeps the others; the next
// request then dials a fresh one.
func TestHTTPIdleConnectionsExpire(t *testing.T) {
	be := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool { return ok200(w) })
	m := newHTTPMember(t, httpSpec(t, be.ln.Addr().String(), "connection_pool_timeout=60"))
	getOK(t, m, "/")
	tr := m.tr.(*httpTransport)
	m.Maintain()
	if s := tr.stats(); s.Open != 1 || s.Idle != 1 {
		t.Fatalf("a fresh idle connection was not kept: %+v", s)
	}
	tr.mu.Lock()
	tr.idle[0].since = time.Now().Add(-61 * time.Second)
	tr.mu.Unlock()
	m.Maintain()
	if s := tr.stats(); s.Open != 0 {
		t.Fatalf("an expired idle connection is still open: %+v", s)
	}
	getOK(t, m, "/")
	if seen := be.log(); len(seen) != 2 || !strings.HasPrefix(seen[1], "1/0 ") {
		t.Fatalf("member saw %q; want the second request on a new connection", seen)
	}
}

// TestHTTPIdleConnectionHoldsNoBuffers: a connection back in the pool has
// given its buffers back, and carries the next request with new ones; a
// connection with bytes nobody asked for is closed instead of kept.
func TestHTTPIdleConnectionHoldsNoBuffers(t *testing.T) {
	be := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool {
		if r.URL.Path == "/extra" {
			io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokJUNK")
			return true
		}
		return ok200(w)
	})
	m := newHTTPMember(t, httpSpec(t, be.ln.Addr().String()))
	tr := m.tr.(*httpTransport)
	for range 2 {
		getOK(t, m, "/")
		tr.mu.Lock()
		idle := tr.idle
		tr.mu.Unlock()
		if len(idle) != 1 || idle[0].br != nil || idle[0].bw != nil {
			t.Fatalf("idle connections %d, the first holding buffers: %v", len(idle), len(idle) == 1 && idle[0].br != nil)
		}
	}
	getOK(t, m, "/extra")
	if s := tr.stats(); s.Idle != 0 {
		t.Fatalf("a connection with unread bytes went back to the pool: %+v", s)
	}
	if seen := be.log(); len(seen) != 3 || !strings.HasPrefix(seen[1], "0/1 ") {
		t.Fatalf("member saw %q; want the first two requests on one connection", seen)
	}
}
