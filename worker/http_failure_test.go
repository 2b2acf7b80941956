package worker

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// rawBackend is an HTTP/1.1 member written on raw TCP, so a test decides
// what happens on which connection. act gets the connection's number, the
// request's number on it and the request; it answers, or returns false to
// close the connection without answering.
type rawBackend struct {
	ln  net.Listener
	act func(conn, n int, r *http.Request, body string, w io.Writer) bool
	wg  sync.WaitGroup

	mu    sync.Mutex
	conns int
	seen  []string // "conn/n METHOD path body"
}

func newRawBackend(t *testing.T, act func(conn, n int, r *http.Request, body string, w io.Writer) bool) *rawBackend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &rawBackend{ln: ln, act: act}
	b.wg.Add(1)
	go b.accept()
	t.Cleanup(func() { ln.Close(); b.wg.Wait() })
	return b
}

func (b *rawBackend) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		id := b.conns
		b.conns++
		b.mu.Unlock()
		b.wg.Add(1)
		go b.serve(c, id)
	}
}

func (b *rawBackend) serve(c net.Conn, id int) {
	defer b.wg.Done()
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	for n := 0; ; n++ {
		r, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.seen = append(b.seen, fmt.Sprintf("%d/%d %s %s %s", id, n, r.Method, r.URL.Path, body))
		b.mu.Unlock()
		if !b.act(id, n, r, string(body), c) {
			return
		}
	}
}

func (b *rawBackend) log() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.seen...)
}

func ok200(w io.Writer) bool {
	io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	return true
}

// TestHTTPStaleKeepAlive: the member closes a kept-alive connection as the
// next request arrives on it (it read it and said nothing). The request
// was written, so the member may have processed it: sending it again is
// recovery_options' call and spends one of worker.retries, like mod_jk's
// ajp_service after a failed ajp_get_reply. With recovery_options 0 and
// retries=2 the client never notices; with retries=1, or with 1 (no
// resend once the member got the request), it gets 502 and the member saw
// the request once.
func TestHTTPStaleKeepAlive(t *testing.T) {
	for _, c := range []struct {
		method, ro, retries string
		resend              bool
	}{{"GET", "0", "2", true}, {"POST", "0", "2", true}, {"GET", "1", "2", false}, {"POST", "1", "2", false},
		{"GET", "17", "2", true}, {"GET", "0", "1", false}, {"POST", "0", "1", false}} {
		t.Run(c.method+"_recovery_options="+c.ro+"_retries="+c.retries, func(t *testing.T) {
			staleCase(t, c.method, c.ro, c.retries, c.resend)
		})
	}
}

func staleCase(t *testing.T, method, ro, retries string, resend bool) {
	// The first request's connection must be the one the second request
	// gets; the pool takes it back before Forward returns, so it is, but a
	// round where the second request got a fresh connection would prove
	// nothing and is redone (bounded).
	for round := 0; round < 20; round++ {
		be := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool {
			if conn == 0 && n == 1 {
				return false // the keep-alive race: read, then close
			}
			return ok200(w)
		})
		m := newHTTPMember(t, httpSpec(t, be.ln.Addr().String(), "recovery_options="+ro, "retries="+retries))
		rec := httptest.NewRecorder()
		if _, err := m.Forward(rec, toRequest(t, httptest.NewRequest("GET", "/first", nil), 8192), &Attempt{}); err != nil {
			t.Fatal(err)
		}
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("order=1")
		}
		rec = httptest.NewRecorder()
		_, err := m.Forward(rec, toRequest(t, httptest.NewRequest(method, "/second", body), 8192), &Attempt{})
		seen := be.log()
		if len(seen) < 2 || !strings.HasPrefix(seen[1], "0/1 ") {
			continue // the second request did not reuse the first connection
		}
		if resend {
			if err != nil || rec.Code != 200 || len(seen) != 3 || seen[2] != "1/0 "+seen[1][len("0/1 "):] {
				t.Fatalf("err=%v code=%d member saw %q; want the request resent on a fresh connection", err, rec.Code, seen)
			}
			if n := m.Metrics().Snapshot().Retries; n != 1 {
				t.Fatalf("the resend spent %d retries, want 1", n)
			}
			return
		}
		we := classOf(t, err)
		// Out of retries, the failure stays recoverable for the lb (another
		// member) when recovery_options allow a resend.
		if we.Class != ClassClosed || we.Recoverable != (ro == "0") || Status(err) != 502 || len(seen) != 2 {
			t.Fatalf("class=%s recoverable=%v status=%d member saw %q", we.Class, we.Recoverable, Status(err), seen)
		}
		return
	}
	// Not a skip: a case that never reached the stale connection would
	// pass without checking anything (150 runs here: reuse within the
	// first rounds every time).
	t.Fatal("the second request never reused the first connection in 20 rounds")
}

// TestHTTPNoReplayAfterStreamedBody: a body longer than the kept part was
// streamed to the member, so the request is never sent again, whatever
// recovery_options say.
func TestHTTPNoReplayAfterStreamedBody(t *testing.T) {
	be := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool { return false })
	m := newHTTPMember(t, httpSpec(t, be.ln.Addr().String(), "recovery_options=0", "retries=3"))
	payload := strings.Repeat("x", 100)
	req := toRequest(t, httptest.NewRequest("POST", "/up", strings.NewReader(payload)), 10) // keep 10 bytes
	_, err := m.Forward(httptest.NewRecorder(), req, &Attempt{})
	we := classOf(t, err)
	if we.Class != ClassClosed || we.Recoverable {
		t.Fatalf("class=%s recoverable=%v", we.Class, we.Recoverable)
	}
	if seen := be.log(); len(seen) != 1 || !strings.HasSuffix(seen[0], payload) {
		t.Fatalf("member saw %q, want the whole body once", seen)
	}
}

// TestHTTPNeverReplayAfterClientSawBytes: the member dies in the middle of
// the body, after more than the responder keeps back went to the client;
// the client's response is aborted, never completed by another attempt.
func TestHTTPNeverReplayAfterClientSawBytes(t *testing.T) {
	partial := strings.Repeat("p", holdBody+1)
	be := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool {
		io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"+partial)
		return false
	})
	m := newHTTPMember(t, httpSpec(t, be.ln.Addr().String(), "recovery_options=0", "retries=3"))
	rec := httptest.NewRecorder()
	_, err := m.Forward(rec, toRequest(t, httptest.NewRequest("GET", "/", nil), 8192), &Attempt{})
	we := classOf(t, err)
	if we.Class != ClassClosed || we.Recoverable || !we.HeadSent || rec.Body.String() != partial {
		t.Fatalf("class=%s recoverable=%v headSent=%v body=%d bytes", we.Class, we.Recoverable, we.HeadSent, rec.Body.Len())
	}
	if seen := be.log(); len(seen) != 1 {
		t.Fatalf("member saw %q", seen)
	}
}

// TestHTTPConnectFailure: nothing listens: 503, the member is
// unreachable, the lb fails over at once.
func TestHTTPConnectFailure(t *testing.T) {
	m := newHTTPMember(t, httpSpec(t, unreachableAddr(t), "retries=3"))
	_, err := m.Forward(httptest.NewRecorder(), toRequest(t, httptest.NewRequest("POST", "/", strings.NewReader("a")), 8192), &Attempt{})
	we := classOf(t, err)
	if we.Class != ClassConnect || !we.Unreachable || !we.Recoverable || Status(err) != 503 {
		t.Fatalf("class=%s unreachable=%v recoverable=%v", we.Class, we.Unreachable, we.Recoverable)
	}
}

// TestHTTPReplyTimeout: no head within reply_timeout is a reply timeout
// (504), and a request the member got is not resent with bit 1 set.
func TestHTTPReplyTimeout(t *testing.T) {
	release := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer be.Close()
	defer close(release)
	m := newHTTPMember(t, httpSpec(t, backendAddr(be), "reply_timeout=50", "recovery_options=1"))
	_, err := m.Forward(httptest.NewRecorder(), toRequest(t, httptest.NewRequest("GET", "/", nil), 8192), &Attempt{})
	we := classOf(t, err)
	if we.Class != ClassReplyTimeout || we.Recoverable || Status(err) != 504 {
		t.Fatalf("class=%s recoverable=%v status=%d", we.Class, we.Recoverable, Status(err))
	}
}

// TestHTTPPoolFull: with connection_pool_size=1 and no acquire wait, a
// second request while one runs gets no connection (the lb sees the
// member busy and fails over); Available reports it.
func TestHTTPPoolFull(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	defer be.Close()
	m := newHTTPMember(t, httpSpec(t, backendAddr(be), "connection_pool_size=1", "connection_acquire_timeout=0"))
	done := make(chan error, 1)
	go func() {
		_, err := m.Forward(httptest.NewRecorder(), toRequest(t, httptest.NewRequest("GET", "/", nil), 8192), &Attempt{})
		done <- err
	}()
	<-entered
	if m.Available() {
		t.Error("Available with the only connection in use")
	}
	if s := m.ConnStats(); s.InUse != 1 || s.MaxOpen != 1 {
		t.Errorf("ConnStats %+v", s)
	}
	_, err := m.Forward(httptest.NewRecorder(), toRequest(t, httptest.NewRequest("GET", "/", nil), 8192), &Attempt{})
	if we := classOf(t, err); we.Class != ClassNoEndpoint || !we.Recoverable {
		t.Errorf("class=%s recoverable=%v", we.Class, we.Recoverable)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !m.Available() {
		t.Error("not Available after the request ended")
	}
}

// TestHTTPClientBodyShort: a client whose body ends before its
// Content-Length is a client error (400), not the member's.
func TestHTTPClientBodyShort(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.ReadAll(r.Body) }))
	defer be.Close()
	m := newHTTPMember(t, httpSpec(t, backendAddr(be)))
	r := httptest.NewRequest("PUT", "/", strings.NewReader("abc"))
	req := toRequest(t, r, 8192)
	req.Body.ContentLength = 10 // the client promised more than it sent
	_, err := m.Forward(httptest.NewRecorder(), req, &Attempt{})
	if we := classOf(t, err); we.Class != ClassClient || Status(err) != 400 {
		t.Fatalf("class=%s status=%d", we.Class, Status(err))
	}
	if m.Counters().ClientErrors() != 1 || m.Counters().Errors() != 0 {
		t.Errorf("client errors %d, errors %d", m.Counters().ClientErrors(), m.Counters().Errors())
	}
}

// TestHTTPNoBodyStatuses: HEAD, 204 and 304 pass without a body; HEAD
// keeps the GET length the member announced.
func TestHTTPNoBodyStatuses(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(204)
		case "/304":
			w.WriteHeader(304)
		default:
			w.Header().Set("Content-Length", "1000")
			if r.Method != "HEAD" {
				w.Write(make([]byte, 1000))
			}
		}
	}))
	defer be.Close()
	m := newHTTPMember(t, httpSpec(t, backendAddr(be)))
	fs := front(t, m, nil)
	for _, c := range []struct {
		method, path string
		code         int
		cl           string
	}{{"HEAD", "/doc", 200, "1000"}, {"GET", "/204", 204, ""}, {"GET", "/304", 304, ""}} {
		conn, err := net.Dial("tcp", fs.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", c.method, c.path)
		raw, _ := io.ReadAll(conn)
		conn.Close()
		head, rest, _ := strings.Cut(string(raw), "\r\n\r\n")
		if !strings.HasPrefix(head, fmt.Sprintf("HTTP/1.1 %d", c.code)) || rest != "" {
			t.Errorf("%s %s: %q + %d bytes after the head", c.method, c.path, head, len(rest))
		}
		if got := headerOf(head, "Content-Length"); got != c.cl {
			t.Errorf("%s %s: Content-Length %q, want %q", c.method, c.path, got, c.cl)
		}
	}
}

func headerOf(head, name string) string {
	for _, line := range strings.Split(head, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestAJPRefusesUpgrade: an AJP member cannot switch protocols: 501, and
// the backend is not bothered.
func TestAJPRefusesUpgrade(t *testing.T) {
	var hits sync.WaitGroup
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) { hits.Add(1) })
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr()))
	r := httptest.NewRequest("GET", "/ws", nil)
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Upgrade", "websocket")
	rec := httptest.NewRecorder()
	out, err := m.Forward(rec, toRequest(t, r, 8192), &Attempt{})
	if err != nil || rec.Code != 501 || out.Status != 501 {
		t.Fatalf("err=%v code=%d", err, rec.Code)
	}
	// h2c is no upgrade to refuse: the request is served over HTTP/1.1.
	r.Header.Set("Upgrade", "h2c")
	rec = httptest.NewRecorder()
	if _, err := m.Forward(rec, toRequest(t, r, 8192), &Attempt{}); err != nil || rec.Code != 200 {
		t.Fatalf("h2c: err=%v code=%d", err, rec.Code)
	}
}

// TestHTTPProbe: with probe_uri the status must be in probe_status;
// without it a connect is enough.
func TestHTTPProbe(t *testing.T) {
	var mu sync.Mutex
	code, method := 200, ""
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		method = r.Method + " " + r.URL.RequestURI()
		w.WriteHeader(code)
	}))
	defer be.Close()
	m := newHTTPMember(t, httpSpec(t, backendAddr(be), "probe_uri=/health?deep=1", "probe_method=HEAD", "probe_status=200-299,401"))
	ctx := context.Background()
	for _, c := range []struct {
		code int
		ok   bool
	}{{200, true}, {401, true}, {302, false}, {500, false}} {
		mu.Lock()
		code = c.code
		mu.Unlock()
		err := m.Probe(ctx)
		if (err == nil) != c.ok {
			t.Errorf("status %d: probe error %v", c.code, err)
		}
	}
	mu.Lock()
	if method != "HEAD /health?deep=1" {
		t.Errorf("probe request %q", method)
	}
	mu.Unlock()

	plain := newHTTPMember(t, httpSpec(t, backendAddr(be)))
	if err := plain.Probe(ctx); err != nil {
		t.Errorf("connect probe: %v", err)
	}
	down := newHTTPMember(t, httpSpec(t, unreachableAddr(t)))
	if err := down.Probe(ctx); err == nil {
		t.Error("connect probe of a closed port succeeded")
	}
}

// TestHTTPUpgradeRelayAndClose: an upgraded connection relays bytes both
// ways and counts them; closing the member ends it (the relay has an
// owner), and the client sees the connection close.
func TestHTTPUpgradeRelayAndClose(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		io.Copy(conn, brw) // echo until the balancer closes
	}))
	defer be.Close()
	m := newHTTPMember(t, httpSpec(t, backendAddr(be)))
	fs := front(t, m, nil)
	c, err := net.Dial("tcp", fs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprint(c, "GET /x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil || resp.StatusCode != 101 || resp.Header.Get("Upgrade") != "echo" {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	io.WriteString(c, "ping")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo %q, %v", buf, err)
	}
	if m.Counters().Busy() != 1 {
		t.Errorf("busy %d while upgraded, want 1", m.Counters().Busy())
	}
	m.Close()
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("the upgraded connection outlived the member's Close")
	}
}

// TestHTTPMalformedHeadIs502: a member whose response head is malformed
// (two Content-Lengths that disagree, a framing a proxy must not guess)
// gets 502 as a protocol error, nothing reaches the client, and the
// connection is not used again.
func TestHTTPMalformedHeadIs502(t *testing.T) {
	be := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool {
		if r.URL.Path == "/bad" {
			io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
			return true
		}
		return ok200(w)
	})
	m := newHTTPMember(t, httpSpec(t, be.ln.Addr().String(), "retries=1"))
	rec := httptest.NewRecorder()
	_, err := m.Forward(rec, toRequest(t, httptest.NewRequest("GET", "/bad", nil), 8192), &Attempt{})
	if we := classOf(t, err); we.Class != ClassProtocol || Status(err) != 502 || rec.Body.Len() != 0 {
		t.Fatalf("class=%s status=%d client got %q", we.Class, Status(err), rec.Body.String())
	}
	getOK(t, m, "/next")
	if seen := be.log(); len(seen) != 2 || !strings.HasPrefix(seen[1], "1/0 ") {
		t.Fatalf("member saw %q; want the next request on a fresh connection", seen)
	}
}
