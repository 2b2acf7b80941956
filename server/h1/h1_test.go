package h1

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// start serves h on a loopback listener until the test ends; configure
// changes the server's settings before it serves.
func start(t *testing.T, h http.Handler, configure ...func(*Server)) (string, *Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second}
	for _, f := range configure {
		f(s)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.ServeConn(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.Close()
		wg.Wait()
	})
	return ln.Addr().String(), s
}

// exchange writes raw on a new connection and returns everything the
// server sent until it closed the connection (or 5 s passed).
func exchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c := dial(t, addr)
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(c)
	return string(out)
}

// dial opens a client connection closed when the test ends; no read or
// write on it waits longer than 5 s.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

// responses parses every response in out, for requests with the methods
// given.
func responses(t *testing.T, out string, methods ...string) []*http.Response {
	t.Helper()
	br := bufio.NewReader(strings.NewReader(out))
	var rs []*http.Response
	for _, m := range methods {
		r, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			t.Fatalf("response %d of %q: %v", len(rs)+1, out, err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		rs = append(rs, r)
	}
	if rest, _ := io.ReadAll(br); len(rest) > 0 {
		t.Fatalf("bytes after the responses: %q", rest)
	}
	return rs
}

func bodyOf(r *http.Response) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// echo answers with the method, path, Host and body it got.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "body error: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, r.Method+" "+r.URL.Path+" host="+r.Host+" body="+string(b))
	for k, v := range r.Trailer {
		io.WriteString(w, " trailer "+k+"="+strings.Join(v, ","))
	}
})

// TestKeepAliveAndPipelining: requests on one connection, pipelined,
// with Content-Length and chunked bodies, each answered in order; the
// last one asks to close.
func TestKeepAliveAndPipelining(t *testing.T) {
	addr, _ := start(t, echo)
	raw := "GET /a HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
		"POST /c HTTP/1.1\r\nHost: y:8080\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Sum: 12\r\n\r\n" +
		"GET http://abs.example/z?q HTTP/1.1\r\nHost: ignored\r\nConnection: close\r\n\r\n"
	rs := responses(t, exchange(t, addr, raw), "GET", "POST", "POST", "GET")
	want := []string{"GET /a host=x body=", "POST /p host=x body=hello",
		"POST /c host=y:8080 body=hello, world trailer X-Sum=12", "GET /z host=abs.example body="}
	for i, r := range rs {
		if got := bodyOf(r); got != want[i] || r.StatusCode != 200 {
			t.Errorf("response %d: %d %q, want 200 %q", i+1, r.StatusCode, got, want[i])
		}
	}
	if !rs[3].Close {
		t.Error("the last response does not say Connection: close")
	}
}

// TestRefusesAmbiguousFraming: a head that request smuggling relies on
// gets 400 and a closed connection; neither it nor what follows reaches
// the handler. A request before it on the same connection is answered.
func TestRefusesAmbiguousFraming(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path)
		mu.Unlock()
		io.Copy(io.Discard, r.Body)
	}))
	ok := "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"
	smuggled := "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	cases := map[string]string{
		"CL and TE":           "POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"TE and CL":           "POST /r HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\n",
		"duplicate CL":        "POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd",
		"conflicting CL":      "POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\ncontent-length: 40\r\n\r\nabcd",
		"CL list":             "POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\nabcd",
		"CL sign":             "POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\nabcd",
		"TE in HTTP/1.0":      "POST /r HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"obs-fold":            "GET /r HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
		"obs-fold tab":        "GET /r HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n",
		"folded CL":           "POST /r HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n 4\r\n\r\nabcd",
		"bare LF everywhere":  "GET /r HTTP/1.1\nHost: x\n\n",
		"bare LF in a header": "GET /r HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n",
		"bare LF ending head": "GET /r HTTP/1.1\r\nHost: x\r\n\n",
		"bare CR":             "GET /r HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n",
		"NUL in value":        "GET /r HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
		"space before colon":  "GET /r HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n",
		"no colon":            "GET /r HTTP/1.1\r\nHost: x\r\nX-A\r\n\r\n",
		"no Host":             "GET /r HTTP/1.1\r\n\r\n",
		"two Hosts":           "GET /r HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
		"bad Host":            "GET /r HTTP/1.1\r\nHost: x y\r\n\r\n",
		"empty request line":  "\r\nGET /r HTTP/1.1\r\nHost: x\r\n\r\n",
		"bad method":          "G(T /r HTTP/1.1\r\nHost: x\r\n\r\n",
		"bad version":         "GET /r HTTP/x\r\nHost: x\r\n\r\n",
		"control in target":   "GET /r\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
		"forbidden trailer":   "POST /r HTTP/1.1\r\nHost: x\r\nTrailer: Content-Length\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	}
	for name, in := range cases {
		for _, first := range []string{"", ok} {
			mu.Lock()
			seen = nil
			mu.Unlock()
			out := exchange(t, addr, first+in+smuggled)
			methods := []string{"GET"}
			if first != "" {
				methods = append(methods, "GET")
			}
			rs := responses(t, out, methods...)
			last := rs[len(rs)-1]
			if last.StatusCode != http.StatusBadRequest || !last.Close {
				t.Errorf("%s: %d (close %v), want 400 and close", name, last.StatusCode, last.Close)
			}
			mu.Lock()
			if want := strings.Count(first, "/ok"); len(seen) != want {
				t.Errorf("%s: the handler saw %v", name, seen)
			}
			mu.Unlock()
		}
	}
}

// TestRefusalStatuses: what is not HTTP/1 framing at all gets the status
// net/http gives it.
func TestRefusalStatuses(t *testing.T) {
	addr, _ := start(t, echo, func(s *Server) { s.MaxHeaderBytes = 1024 })
	for in, want := range map[string]int{
		"GET / HTTP/2.0\r\nHost: x\r\n\r\n":                                           http.StatusHTTPVersionNotSupported,
		"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n":                http.StatusNotImplemented,
		"GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("a", 6000) + "\r\n\r\n":   http.StatusRequestHeaderFieldsTooLarge,
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: magic\r\n\r\nabc": http.StatusExpectationFailed,
	} {
		rs := responses(t, exchange(t, addr, in), "GET")
		if rs[0].StatusCode != want || !rs[0].Close {
			t.Errorf("%.40q: %d (close %v), want %d and close", in, rs[0].StatusCode, rs[0].Close, want)
		}
	}
}

// TestMalformedChunksFailTheBody: the handler's body read fails at a
// malformed chunk, and the connection ends after its response.
func TestMalformedChunksFailTheBody(t *testing.T) {
	addr, _ := start(t, echo)
	head := "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	for name, b := range map[string]string{
		"control byte in extension": "4;\x01\r\nabcd\r\n0\r\n\r\n",
		"bare LF after size":        "4\nabcd\r\n0\r\n\r\n",
		"no CRLF after data":        "4\r\nabcdX\r\n0\r\n\r\n",
		"size not hex":              "g\r\nabcd\r\n0\r\n\r\n",
		"size overflow":             "ffffffffffffffff1\r\nabcd\r\n0\r\n\r\n",
		"junk after size":           "4 x\r\nabcd\r\n0\r\n\r\n",
		"obs-fold in trailer":       "0\r\nX-A: 1\r\n b\r\n\r\n",
		"truncated":                 "4\r\nab",
	} {
		rs := responses(t, exchange(t, addr, head+b+"GET /next HTTP/1.1\r\nHost: x\r\n\r\n"), "POST")
		if got := bodyOf(rs[0]); rs[0].StatusCode != 400 || !strings.HasPrefix(got, "body error") || !rs[0].Close {
			t.Errorf("%s: %d %q (close %v)", name, rs[0].StatusCode, got, rs[0].Close)
		}
	}
}

// TestResponseFraming: a short response gets a Content-Length, a long or
// flushed one is chunked (HTTP/1.1) or ends with the connection
// (HTTP/1.0); HEAD, 204 and 304 carry no body; Date and a sniffed
// Content-Type are added when missing.
func TestResponseFraming(t *testing.T) {
	long := strings.Repeat("x", 3*heldMax)
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/short":
			io.WriteString(w, "<html>hi")
		case "/long":
			io.WriteString(w, long)
		case "/flushed":
			io.WriteString(w, "a")
			w.(http.Flusher).Flush()
			io.WriteString(w, "b")
		case "/length":
			w.Header().Set("Content-Length", "2")
			io.WriteString(w, "ok")
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/trailer":
			w.Header().Set("Trailer", "X-T")
			io.WriteString(w, "a")
			w.(http.Flusher).Flush()
			w.Header().Set("X-T", "done")
		}
	}))
	rs := responses(t, exchange(t, addr, "GET /short HTTP/1.1\r\nHost: x\r\n\r\nGET /long HTTP/1.1\r\nHost: x\r\n\r\n"+
		"GET /flushed HTTP/1.1\r\nHost: x\r\n\r\nHEAD /short HTTP/1.1\r\nHost: x\r\n\r\nGET /length HTTP/1.1\r\nHost: x\r\n\r\n"+
		"GET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /trailer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
		"GET", "GET", "GET", "HEAD", "GET", "GET", "GET")
	check := func(i int, cl int64, chunked bool, b string) {
		t.Helper()
		r := rs[i]
		if r.ContentLength != cl || (len(r.TransferEncoding) > 0) != chunked || bodyOf(r) != b {
			t.Errorf("response %d: length %d chunked %v body %.20q, want %d %v %.20q",
				i+1, r.ContentLength, r.TransferEncoding, bodyOf(r), cl, chunked, b)
		}
		if r.Header.Get("Date") == "" {
			t.Errorf("response %d has no Date", i+1)
		}
	}
	check(0, 8, false, "<html>hi")
	check(1, -1, true, long)
	check(2, -1, true, "ab")
	check(3, 8, false, "")
	check(4, 2, false, "ok")
	check(5, 0, false, "")
	check(6, -1, true, "a")
	if ct := rs[0].Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("sniffed Content-Type %q", ct)
	}
	if got := rs[6].Trailer.Get("X-T"); got != "done" {
		t.Errorf("trailer X-T = %q", got)
	}
	// HTTP/1.0: no chunking; a body of unknown length ends with the connection.
	rs = responses(t, exchange(t, addr, "GET /flushed HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), "GET")
	if bodyOf(rs[0]) != "ab" || !rs[0].Close || rs[0].Proto != "HTTP/1.1" {
		t.Errorf("HTTP/1.0 flushed: %q close %v %s", bodyOf(rs[0]), rs[0].Close, rs[0].Proto)
	}
}

// TestExpectContinue: 100 Continue goes out only when the handler reads
// the body; a handler that answers without reading it gets the
// connection closed, since the client may still send the body.
func TestExpectContinue(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/read" {
			b, _ := io.ReadAll(r.Body)
			io.WriteString(w, string(b))
		}
	}))
	c := dial(t, addr)
	io.WriteString(c, "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("before the body: %q, %v", line, err)
	}
	br.ReadString('\n')
	io.WriteString(c, "abc")
	r, err := http.ReadResponse(br, nil)
	if err != nil || bodyOf(r) != "abc" {
		t.Fatalf("after the body: %v", err)
	}
	out := exchange(t, addr, "POST /skip HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
	if strings.Contains(out, "100 Continue") || !responses(t, out, "POST")[0].Close {
		t.Errorf("an unread body waiting for 100: %q", out)
	}
}

// TestUnreadBodies: a small unread body is read away and the connection
// kept; a large one closes it.
func TestUnreadBodies(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	small := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
	rs := responses(t, exchange(t, addr, small+"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "POST", "GET")
	if rs[0].Close {
		t.Error("a small unread body closed the connection")
	}
	large := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + strings.Repeat("y", 1000)
	rs = responses(t, exchange(t, addr, large), "POST")
	if !rs[0].Close {
		t.Error("a large unread body kept the connection")
	}
}

// TestShutdown closes idle connections at once and waits for a request
// in flight, whose response says Connection: close.
func TestShutdown(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	addr, s := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
	}))
	idle := dial(t, addr)
	io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	ib := bufio.NewReader(idle)
	if _, err := http.ReadResponse(ib, nil); err != nil {
		t.Fatal(err)
	}
	busy := dial(t, addr)
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	<-entered
	done := make(chan error)
	go func() { done <- s.Shutdown(context.Background()) }()
	if _, err := ib.ReadByte(); err != io.EOF {
		t.Errorf("the idle connection: %v, want EOF", err)
	}
	close(release)
	r, err := http.ReadResponse(bufio.NewReader(busy), nil)
	if err != nil || !r.Close {
		t.Fatalf("the request in flight: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestHijack hands the connection over with what the client sent after
// the head.
func TestHijack(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		b := make([]byte, 4)
		io.ReadFull(brw, b)
		c.Write(b)
	}))
	out := exchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nping")
	if !strings.HasPrefix(out, "HTTP/1.1 101 ") || !strings.HasSuffix(out, "\r\n\r\nping") {
		t.Errorf("got %q", out)
	}
}

// TestHandlerPanicEndsOnlyItsConnection: a panicking handler's client
// sees its connection end without a response; the server goes on.
func TestHandlerPanicEndsOnlyItsConnection(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
	}))
	if out := exchange(t, addr, "GET /panic HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n"); out != "" {
		t.Errorf("after a panic the client got %q", out)
	}
	rs := responses(t, exchange(t, addr, "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "GET")
	if rs[0].StatusCode != 200 {
		t.Errorf("the next connection got %d", rs[0].StatusCode)
	}
}

// TestSniffsALargeFirstWrite: a body whose first write is larger than
// what is held back still gets a sniffed Content-Type, as from net/http.
func TestSniffsALargeFirstWrite(t *testing.T) {
	page := "<html>" + strings.Repeat("x", 3*heldMax)
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, page)
	}))
	rs := responses(t, exchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "GET")
	if ct := rs[0].Header.Get("Content-Type"); ct != "text/html; charset=utf-8" || bodyOf(rs[0]) != page {
		t.Errorf("Content-Type %q", ct)
	}
}

// TestConnContextOncePerConnection: ConnContext runs once per connection,
// and what it puts in the context reaches every request on it.
func TestConnContextOncePerConnection(t *testing.T) {
	type key struct{}
	var calls atomic.Int32
	var seen []any
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Context().Value(key{}))
		mu.Unlock()
	})
	addr, _ := start(t, h, func(s *Server) {
		s.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, key{}, fmt.Sprintf("conn %d from %s", calls.Add(1), c.LocalAddr()))
		}
	})
	exchange(t, addr, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	want := "conn 1 from " + addr
	if calls.Load() != 1 || len(seen) != 2 || seen[0] != want || seen[1] != want {
		t.Fatalf("ConnContext ran %d times; requests saw %v, want %q twice", calls.Load(), seen, want)
	}
}

// TestRefusedHEADGetsTheHeadAlone: a HEAD request refused before the
// handler (here a bare LF ends a field line) gets 400 and the head only,
// as from httpd; body bytes after it would be read as the next response.
func TestRefusedHEADGetsTheHeadAlone(t *testing.T) {
	addr, _ := start(t, echo)
	for in, wantBody := range map[string]bool{
		"HEAD / HTTP/1.1\r\nX-LF: v\nHost: x\r\n\r\n": false,
		"GET / HTTP/1.1\r\nX-LF: v\nHost: x\r\n\r\n":  true,
		"HEAD /x#frag HTTP/1.0\r\n\r\n":               false, // refused in the request line
		"HEAD  /x HTTP/1.1\r\nHost: x\r\n\r\n":        false, // two blanks: no target
	} {
		method, _, _ := strings.Cut(in, " ")
		out := exchange(t, addr, in)
		head, body, ok := strings.Cut(out, "\r\n\r\n")
		if !ok || !strings.HasPrefix(head, "HTTP/1.1 400 ") || !strings.Contains(head, "Content-Length: ") {
			t.Fatalf("%s: %q", method, out)
		}
		if (body != "") != wantBody {
			t.Errorf("%s: body %q after the head, want a body: %v", method, body, wantBody)
		}
	}
}
