package worker

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
)

// ajpSpec compiles a one-worker workers.properties so the tests run with
// exactly the defaults an operator gets.
func ajpSpec(t *testing.T, addr string, props ...string) *config.Member {
	t.Helper()
	return workerSpec(t, "ajp13", addr, props...)
}

// workerSpec compiles workers.properties with the one worker w of type
// typ at addr (host:port) and the given attributes.
func workerSpec(t testing.TB, typ, addr string, props ...string) *config.Member {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	text := "worker.list=w\nworker.w.type=" + typ + "\nworker.w.host=" + host + "\nworker.w.port=" + port +
		"\nworker.w.retry_interval=1\n"
	for _, p := range props {
		text += "worker.w." + p + "\n"
	}
	path := filepath.Join(t.TempDir(), "workers.properties")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: path, Mounts: []string{"/*=w"}})
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	return cfg.Workers["w"].Member
}

// newTestMember builds a member whose retry sleeps are counted, not slept.
func newTestMember(t *testing.T, a *config.Member, opts ...func(*Options)) (*Member, *atomic.Int32) {
	t.Helper()
	var sleeps atomic.Int32
	o := Options{Sleep: func(context.Context, time.Duration) error { sleeps.Add(1); return nil }}
	for _, f := range opts {
		f(&o)
	}
	m := NewMember(Spec{Name: "w", Attrs: a, Options: o})
	t.Cleanup(m.Close)
	return m, &sleeps
}

// newReq builds a worker.Request for method and path with an optional body.
func newReq(method, path, body string) *Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	req := &Request{HTTP: r, Body: &ajp.Body{}}
	req.Forward = ajp.Request{Method: method, Protocol: "HTTP/1.1", URI: path, RemoteAddr: "127.0.0.1",
		ServerName: "localhost", ServerPort: 80, SSLKeySize: -1, RemotePort: "1234", LocalAddr: "127.0.0.1"}
	if body != "" {
		req.Body = &ajp.Body{ContentLength: int64(len(body)), Kept: []byte(body)}
		req.Forward.Headers = []ajp.Header{{Name: "Content-Length", Value: strconv.Itoa(len(body))}}
	}
	return req
}

func classOf(t *testing.T, err error) *Error {
	t.Helper()
	var we *Error
	if !errors.As(err, &we) {
		t.Fatalf("error %v is not a *worker.Error", err)
	}
	return we
}

func TestForwardSuccessCountsAndSendsSecret(t *testing.T) {
	be := ajptest.NewServer(ajptest.EchoHandler("t1"), ajptest.WithSecret("s3cret"))
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "secret=s3cret"))
	rec := httptest.NewRecorder()
	out, err := m.Forward(rec, newReq("GET", "/x", ""), &Attempt{Route: "t1"})
	if err != nil || rec.Code != 200 || !strings.Contains(rec.Body.String(), "route=t1") {
		t.Fatalf("err=%v code=%d body=%q", err, rec.Code, rec.Body.String())
	}
	c := m.Counters()
	if c.Used() != 1 || c.Busy() != 0 || c.Read() != out.Received || out.Received == 0 || out.Sent == 0 {
		t.Fatalf("counters used=%d busy=%d read=%d out=%+v", c.Used(), c.Busy(), c.Read(), out)
	}
}

func TestLBSecretAppliesWhenMemberHasNone(t *testing.T) {
	be := ajptest.NewServer(ajptest.EchoHandler("t1"), ajptest.WithSecret("lbsecret"))
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr()), func(o *Options) { o.Secret = "lbsecret" })
	rec := httptest.NewRecorder()
	if _, err := m.Forward(rec, newReq("GET", "/x", ""), &Attempt{}); err != nil || rec.Code != 200 {
		t.Fatalf("err=%v code=%d", err, rec.Code)
	}
}

// TestConnectFailureFailsOverAtOnce: nothing listens, so the member gives
// up after one try instead of sleeping retry_interval between retries.
func TestConnectFailureFailsOverAtOnce(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	m, sleeps := newTestMember(t, ajpSpec(t, addr, "retries=3"))
	_, err := m.Forward(httptest.NewRecorder(), newReq("GET", "/", ""), &Attempt{})
	we := classOf(t, err)
	if we.Class != ClassConnect || !we.Recoverable || !we.Unreachable || Status(err) != 503 {
		t.Fatalf("class=%s recoverable=%v unreachable=%v status=%d", we.Class, we.Recoverable, we.Unreachable, Status(err))
	}
	if sleeps.Load() != 0 {
		t.Fatalf("retry_interval sleeps = %d, want 0", sleeps.Load())
	}
	if m.Counters().Errors() != 1 {
		t.Fatalf("errors = %d, want 1", m.Counters().Errors())
	}
}

func TestFailOnStatus(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(503, ajp.Header{Name: "Content-Type", Value: "text/plain"})
		w.Write([]byte("backend says no"))
		w.End(true)
	})
	defer be.Close()
	for _, tc := range []struct {
		prop  string
		class Class
	}{
		{"fail_on_status=500,503", ClassFailStatus},
		{"fail_on_status=-503", ClassFailStatusSoft},
	} {
		m, _ := newTestMember(t, ajpSpec(t, be.Addr(), tc.prop, "retries=1"))
		rec := httptest.NewRecorder()
		_, err := m.Forward(rec, newReq("GET", "/", ""), &Attempt{})
		we := classOf(t, err)
		if we.Class != tc.class || !we.Recoverable || we.HeadSent || we.Status != 503 {
			t.Fatalf("%s: %+v", tc.prop, we)
		}
		if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
			t.Fatalf("%s: the client saw the rejected response: %q", tc.prop, rec.Body.String())
		}
	}
	// A rule's fail_on_status replaces the worker's list.
	m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "fail_on_status=503"))
	req := newReq("GET", "/", "")
	req.Rule = &config.Mount{Ext: config.Extensions{ReplyTimeout: -1, HasFailOnStatus: true, FailOnStatus: []int{404}}}
	rec := httptest.NewRecorder()
	if _, err := m.Forward(rec, req, &Attempt{}); err != nil || rec.Code != 503 {
		t.Fatalf("rule override: err=%v code=%d", err, rec.Code)
	}
}

// dieAfterRequest is a backend that receives the request and dies before
// answering: the order-processed-twice scenario.
func dieAfterRequest(seen *atomic.Int32) ajptest.Handler {
	return func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		seen.Add(1)
		w.CloseConn()
	}
}

func TestRecoveryOptions(t *testing.T) {
	cases := []struct {
		opts   string
		method string
		seen   int32
	}{
		{"recovery_options=0", "POST", 2},  // mod_jk default: replayed
		{"recovery_options=1", "POST", 1},  // never twice
		{"recovery_options=1", "GET", 1},   // bit 1 covers every method
		{"recovery_options=17", "GET", 2},  // bit 16: GET still retried
		{"recovery_options=17", "POST", 1}, //   but not POST
		{"recovery_options=9", "HEAD", 2},  // bit 8: HEAD retried
		{"recovery_options=25", "GET", 1},  // 8+16: the quirk, GET not retried
	}
	for _, tc := range cases {
		var seen atomic.Int32
		be := ajptest.NewServer(dieAfterRequest(&seen))
		m, _ := newTestMember(t, ajpSpec(t, be.Addr(), tc.opts, "retries=2"))
		body := ""
		if tc.method == "POST" {
			body = "order=42"
		}
		_, err := m.Forward(httptest.NewRecorder(), newReq(tc.method, "/buy", body), &Attempt{})
		be.Close()
		we := classOf(t, err)
		if seen.Load() != tc.seen {
			t.Errorf("%s %s: backend saw the request %d times, want %d", tc.opts, tc.method, seen.Load(), tc.seen)
		}
		if we.Class != ClassClosed || Status(err) != 502 {
			t.Errorf("%s %s: class %s status %d, want closed/502", tc.opts, tc.method, we.Class, Status(err))
		}
		if wantRec := tc.seen == 2; we.Recoverable != wantRec {
			t.Errorf("%s %s: recoverable=%v, want %v", tc.opts, tc.method, we.Recoverable, wantRec)
		}
	}
}

// TestNoReplayAfterResponseBytes: whatever recovery_options says, once the
// client saw the headers the request is never sent again.
func TestNoReplayAfterResponseBytes(t *testing.T) {
	var seen atomic.Int32
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		seen.Add(1)
		w.SendHeaders(200, ajp.Header{Name: "Content-Type", Value: "text/plain"})
		w.Write([]byte("partial"))
		w.Flush()
		w.CloseConn()
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "recovery_options=0", "retries=3"))
	rec := httptest.NewRecorder()
	_, err := m.Forward(rec, newReq("GET", "/", ""), &Attempt{})
	we := classOf(t, err)
	if !we.HeadSent || we.Recoverable || seen.Load() != 1 {
		t.Fatalf("headSent=%v recoverable=%v seen=%d", we.HeadSent, we.Recoverable, seen.Load())
	}
	if rec.Body.String() != "partial" {
		t.Fatalf("client got %q", rec.Body.String())
	}
}

// TestStalePooledConnectionIsNotAClientError: the member restarts while
// its connections sit in the pool; the next request still succeeds and
// does not use up a retry.
func TestStalePooledConnectionIsNotAClientError(t *testing.T) {
	be := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer be.Close()
	m, sleeps := newTestMember(t, ajpSpec(t, be.Addr(), "retries=1"))
	for i := 0; i < 3; i++ {
		rec := httptest.NewRecorder()
		if _, err := m.Forward(rec, newReq("GET", "/", ""), &Attempt{}); err != nil || rec.Code != 200 {
			t.Fatalf("request %d: err=%v code=%d", i, err, rec.Code)
		}
		be.CloseIdleConns() // the member restarts between requests
	}
	if sleeps.Load() != 0 || be.Connections() != 3 {
		t.Fatalf("sleeps=%d connections=%d, want 0 and 3", sleeps.Load(), be.Connections())
	}
}

func TestBusyLimitAndNoEndpoint(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		started <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.SendHeaders(200)
		w.End(true)
	})
	defer be.Close()
	defer close(release)
	for _, tc := range []struct {
		prop  string
		class Class
	}{
		{"busy_limit=1", ClassBusy},
		{"connection_pool_size=1", ClassNoEndpoint},
	} {
		m, _ := newTestMember(t, ajpSpec(t, be.Addr(), tc.prop, "connection_acquire_timeout=1"))
		done := make(chan error, 1)
		go func() {
			_, err := m.Forward(httptest.NewRecorder(), newReq("GET", "/slow", ""), &Attempt{})
			done <- err
		}()
		<-started
		if m.Available() {
			t.Fatalf("%s: Available() while the only slot is taken", tc.prop)
		}
		_, err := m.Forward(httptest.NewRecorder(), newReq("GET", "/", ""), &Attempt{})
		if we := classOf(t, err); we.Class != tc.class || !we.Recoverable || Status(err) != 503 {
			t.Fatalf("%s: class=%s recoverable=%v", tc.prop, we.Class, we.Recoverable)
		}
		release <- struct{}{}
		if err := <-done; err != nil {
			t.Fatalf("%s: slow request: %v", tc.prop, err)
		}
	}
}

func TestRequestHeadersTooLarge(t *testing.T) {
	be := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr()))
	req := newReq("GET", "/", "")
	req.Forward.Headers = []ajp.Header{{Name: "X-Big", Value: strings.Repeat("a", 9000)}}
	_, err := m.Forward(httptest.NewRecorder(), req, &Attempt{})
	if we := classOf(t, err); we.Class != ClassTooLarge || we.Recoverable || Status(err) != 413 {
		t.Fatalf("class=%s recoverable=%v status=%d", we.Class, we.Recoverable, Status(err))
	}
	if be.Requests() != 0 {
		t.Fatalf("backend saw %d requests, want 0", be.Requests())
	}
}

func TestReplyTimeoutAndRuleOverride(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		if r.URI == "/hang" {
			select {
			case <-hang:
			case <-r.Context().Done():
				return
			}
		}
		w.SendHeaders(200)
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "reply_timeout=50", "retries=1"))
	err := m.Serve(httptest.NewRecorder(), newReq("GET", "/hang", ""))
	if err == nil {
		t.Fatal("hung backend: no error")
	}
	if we := classOf(t, err); we.Class != ClassReplyTimeout || Status(err) != 504 {
		t.Fatalf("class=%s status=%d", we.Class, Status(err))
	}
	if m.Counters().ReplyTimeouts() != 1 {
		t.Fatalf("direct worker reply timeouts = %d, want 1", m.Counters().ReplyTimeouts())
	}
}

func TestResponseHeadersPassedOn(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		status := 200
		if r.URI == "/nocontent" {
			status = 204
		}
		w.SendHeaders(status,
			ajp.Header{Name: "Set-Cookie", Value: "a=1"},
			ajp.Header{Name: "Set-Cookie", Value: "b=2"},
			ajp.Header{Name: "Connection", Value: "close"},
			ajp.Header{Name: "Transfer-Encoding", Value: "chunked"},
			ajp.Header{Name: "Content-Length", Value: "506"},
			ajp.Header{Name: "x-custom", Value: "v"})
		if status == 200 {
			w.Write(make([]byte, 506))
		}
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr()))
	rec := httptest.NewRecorder()
	at := &Attempt{SetCookie: "JSESSIONID=.t1;PATH=/;HttpOnly"}
	if _, err := m.Forward(rec, newReq("GET", "/", ""), at); err != nil {
		t.Fatal(err)
	}
	h := rec.Header()
	if got := h["Set-Cookie"]; len(got) != 3 || got[2] != at.SetCookie {
		t.Fatalf("Set-Cookie = %q", got)
	}
	if h.Get("Connection") != "" || h.Get("Transfer-Encoding") != "" || h.Get("X-Custom") != "v" {
		t.Fatalf("headers = %v", h)
	}
	rec = httptest.NewRecorder()
	if _, err := m.Forward(rec, newReq("GET", "/nocontent", ""), &Attempt{}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 204 || rec.Header().Get("Content-Length") != "" {
		t.Fatalf("204: code=%d Content-Length=%q", rec.Code, rec.Header().Get("Content-Length"))
	}
}

func TestUseServerErrors(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(500, ajp.Header{Name: "X-Leak", Value: "stacktrace"})
		w.Write([]byte("java.lang.NullPointerException at ..."))
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr()))
	req := newReq("GET", "/", "")
	req.Rule = &config.Mount{Ext: config.Extensions{ReplyTimeout: -1, UseServerErrors: 400}}
	rec := httptest.NewRecorder()
	if _, err := m.Forward(rec, req, &Attempt{}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "NullPointer") || rec.Header().Get("X-Leak") != "" {
		t.Fatalf("code=%d body=%q headers=%v", rec.Code, rec.Body.String(), rec.Header())
	}
}

func TestStatusMapping(t *testing.T) {
	want := map[Class]int{
		ClassConnect: 503, ClassClosed: 502, ClassProtocol: 502, ClassInvalid: 500,
		ClassReplyTimeout: 504, ClassFailStatus: 503, ClassFailStatusSoft: 503, ClassBusy: 503,
		ClassClient: 400, ClassTooLarge: 413, ClassUnavailable: 503, ClassInternal: 500, ClassNoEndpoint: 503,
	}
	for c, s := range want {
		if got := Status(&Error{Class: c}); got != s {
			t.Errorf("%s -> %d, want %d", c, got, s)
		}
	}
	if Status(nil) != http.StatusOK || Status(errors.New("x")) != 500 {
		t.Error("nil or foreign errors mapped wrongly")
	}
}

// TestClientGoneWhileWaitingIsNotAMemberError: a request whose client
// disconnected while it waited for a pool slot must not count against the
// member or fail over.
func TestClientGoneWhileWaitingIsNotAMemberError(t *testing.T) {
	be := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr()))
	req := newReq("GET", "/", "")
	ctx, cancel := context.WithCancel(req.HTTP.Context())
	cancel()
	req.HTTP = req.HTTP.WithContext(ctx)
	_, err := m.Forward(httptest.NewRecorder(), req, &Attempt{})
	we := classOf(t, err)
	if we.Class != ClassClient || we.Recoverable || m.Counters().Errors() != 0 {
		t.Fatalf("class=%s recoverable=%v errors=%d", we.Class, we.Recoverable, m.Counters().Errors())
	}
}

// TestFailureAfterHeadBeforeBody: a backend that sends its head and then
// closes before any body byte leaves the client untouched (httpd buffers
// the head too), so the request may be retried unless recovery_options
// bit 2 (or bit 1) forbids it.
func TestFailureAfterHeadBeforeBody(t *testing.T) {
	for _, tc := range []struct {
		opts string
		seen int32
	}{
		{"recovery_options=0", 2},
		{"recovery_options=2", 1},
		{"recovery_options=1", 1},
	} {
		var seen atomic.Int32
		be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
			seen.Add(1)
			w.SendHeaders(200, ajp.Header{Name: "Set-Cookie", Value: "leak=1"})
			w.CloseConn()
		})
		m, _ := newTestMember(t, ajpSpec(t, be.Addr(), tc.opts, "retries=2"))
		rec := httptest.NewRecorder()
		_, err := m.Forward(rec, newReq("GET", "/", ""), &Attempt{})
		be.Close()
		we := classOf(t, err)
		if we.HeadSent || seen.Load() != tc.seen || we.Class != ClassClosed {
			t.Errorf("%s: headSent=%v seen=%d class=%s, want false %d closed", tc.opts, we.HeadSent, seen.Load(), we.Class, tc.seen)
		}
		if rec.Flushed || rec.Header().Get("Set-Cookie") != "" {
			t.Errorf("%s: the failed head leaked to the client: %v", tc.opts, rec.Header())
		}
	}
}

// TestResponseFramingLikeHttpd: no invented Content-Type, and no
// "Content-Length: 0" on HEAD, as httpd + mod_jk answer.
func TestResponseFramingLikeHttpd(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(302, ajp.Header{Name: "Location", Value: "/x"}, ajp.Header{Name: "Content-Length", Value: "0"})
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr()))
	for _, method := range []string{"HEAD", "GET"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			req := newReq(r.Method, "/", "")
			req.HTTP = r
			if _, err := m.Forward(w, req, &Attempt{}); err != nil {
				t.Error(err)
			}
		}))
		req, _ := http.NewRequest(method, srv.URL, nil)
		resp, err := (&http.Transport{}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		_, hasCT := resp.Header["Content-Type"]
		_, hasCL := resp.Header["Content-Length"]
		if hasCT || (method == "HEAD") == hasCL {
			t.Errorf("%s: headers %v: want no Content-Type, Content-Length only on GET", method, resp.Header)
		}
	}
}

// TestFailOnStatusAfterStreamedBodyIsFinal: a member that reads the whole
// body and then answers a fail_on_status code cannot be failed over from,
// because the rest of the body is gone; the request ends there.
func TestFailOnStatusAfterStreamedBodyIsFinal(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		w.SendHeaders(503)
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "fail_on_status=503", "retries=2"))
	body := strings.Repeat("x", 20000) // more than one packet: the rest is streamed
	req := newReq("POST", "/upload", "")
	req.HTTP = httptest.NewRequest("POST", "/upload", strings.NewReader(body))
	req.Body = &ajp.Body{ContentLength: int64(len(body)), Kept: []byte(body[:8186]), Rest: strings.NewReader(body[8186:])}
	req.Forward.Headers = []ajp.Header{{Name: "Content-Length", Value: strconv.Itoa(len(body))}}
	_, err := m.Forward(httptest.NewRecorder(), req, &Attempt{})
	if we := classOf(t, err); we.Class != ClassFailStatus || we.Recoverable {
		t.Fatalf("class=%s recoverable=%v, want fail-on-status, not recoverable", we.Class, we.Recoverable)
	}
	if be.Requests() != 1 {
		t.Fatalf("backend saw %d requests, want 1", be.Requests())
	}
}

// writeCounter is a ResponseRecorder that counts the writes it gets.
type writeCounter struct {
	*httptest.ResponseRecorder
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.ResponseRecorder.Write(p)
}

// TestBodyChunksReachClientInOneWrite: the AJP body chunks of a 12 KiB
// response that arrives in one read are handed to the client in one
// write, not one each (a write per chunk is a syscall per chunk), and the
// body is intact.
func TestBodyChunksReachClientInOneWrite(t *testing.T) {
	body := strings.Repeat("0123456789abcdef", 768)
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: strconv.Itoa(len(body))})
		w.Write([]byte(body)) // 8184 + 4104 bytes at the default packet size
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr()))
	w := &writeCounter{ResponseRecorder: httptest.NewRecorder()}
	if _, err := m.Forward(w, newReq("GET", "/", ""), &Attempt{}); err != nil {
		t.Fatal(err)
	}
	if w.Body.String() != body || w.writes != 1 {
		t.Fatalf("%d bytes in %d writes, want %d in 1", w.Body.Len(), w.writes, len(body))
	}
}
