package h1

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// headWriter is what the worker finds on the ResponseWriter to keep a
// member's reason phrase and header spelling.
type headWriter interface {
	SetReason(string)
	SetFieldName(key, name string)
}

// TestStatusLineLikeHTTPD: httpd answers "HTTP/1.1" to an HTTP/1.0
// client too, with the reason phrase copied from the member (an empty one
// too: mod_proxy_http keeps it), and the standard one when there is none
// or it holds a control byte.
func TestStatusLineLikeHTTPD(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/std" {
			w.WriteHeader(200) // no SetReason: the standard phrase
			return
		}
		hw := w.(headWriter)
		hw.SetReason(map[string]string{"/fine": "Fine", "/num": "200", "/ctl": "Fi\x01ne", "/del": "a\x7f",
			"/crlf": "A\r\nX-Injected: 1", "/tab": "a\tb", "/utf8": "caf\xc3\xa9"}[r.URL.Path])
		w.Header().Set("Content-Length", "2")
		w.Write([]byte("ok"))
	}))
	for _, c := range []struct{ req, line string }{
		{"GET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 Fine"},
		{"GET /num HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 200"},
		{"GET /none HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 "},
		{"GET /std HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK"},
		{"GET /ctl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK"},
		{"GET /del HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK"},
		{"GET /crlf HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK"},
		{"GET /tab HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 a\tb"},
		{"GET /utf8 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 caf\xc3\xa9"},
		{"GET /fine HTTP/1.0\r\n\r\n", "HTTP/1.1 200 Fine"},
	} {
		out := exchange(t, addr, c.req)
		if line, _, _ := strings.Cut(out, "\r\n"); line != c.line {
			t.Errorf("%q: status line %q, want %q", c.req, line, c.line)
		}
		if strings.Contains(out, "X-Injected") {
			t.Errorf("%q: the reason phrase injected a field:\n%s", c.req, out)
		}
	}
}

// TestHTTP10KeepsItsConnectionRules: the "HTTP/1.1" status line does not
// make an HTTP/1.0 exchange chunked or persistent.
func TestHTTP10KeepsItsConnectionRules(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("a"))
		w.(http.Flusher).Flush()
		w.Write([]byte("b"))
	}))
	for _, req := range []string{"GET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"} {
		out := exchange(t, addr, req)
		head, body, _ := strings.Cut(out, "\r\n\r\n")
		if !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") || strings.Contains(head, "chunked") ||
			!strings.Contains(head, "\r\nConnection: close") || body != "ab" {
			t.Errorf("%q: got\n%s", req, out)
		}
	}
	// With a length, keep-alive is honoured.
	addr, _ = start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ab")) }))
	out := exchange(t, addr, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n")
	if n := strings.Count(out, "HTTP/1.1 200 OK\r\n"); n != 2 || !strings.Contains(out, httpdKeepAlive) {
		t.Errorf("two HTTP/1.0 requests on a kept connection: got\n%s", out)
	}
}

// httpdKeepAlive is what httpd 2.4 (KeepAliveTimeout 5,
// MaxKeepAliveRequests 0) answers a client that sent the keep-alive
// token, seen on a real httpd + mod_jk.
const httpdKeepAlive = "\r\nKeep-Alive: timeout=5\r\nConnection: Keep-Alive\r\n"

// TestKeepAliveAnswerLikeHTTPD: a client that asks for keep-alive, over
// HTTP/1.0 or HTTP/1.1, gets httpd's Keep-Alive and "Connection:
// Keep-Alive" back (ap_set_keepalive); an HTTP/1.1 client that did not
// ask gets neither, one that asked to close gets "Connection: close".
func TestKeepAliveAnswerLikeHTTPD(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ab")) }))
	for _, c := range []struct {
		req  string
		want string // "" : no Keep-Alive and no Connection field
	}{
		{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", httpdKeepAlive},
		{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", httpdKeepAlive},
		{"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", httpdKeepAlive},
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "\r\nConnection: close\r\n"},
	} {
		head := firstHead(t, addr, c.req)
		switch {
		case c.want == "" && (strings.Contains(head, "Keep-Alive") || strings.Contains(head, "Connection:")):
			t.Errorf("%q: want neither Keep-Alive nor Connection, got\n%s", c.req, head)
		case c.want != "" && !strings.Contains(head, c.want):
			t.Errorf("%q: want %q, got\n%s", c.req, c.want, head)
		case strings.Count(head, "Connection:") > 1:
			t.Errorf("%q: two Connection fields:\n%s", c.req, head)
		}
	}
}

// TestResponseFieldSpelling: a field goes out spelled as the member sent
// it (httpd keeps the spelling mod_jk adds), the first spelling of a
// repeated field; the map stays canonical, so lookups keep working.
func TestResponseFieldSpelling(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hw, h := w.(headWriter), w.Header()
		h["Www-Authenticate"] = []string{"Basic", "Digest"}
		hw.SetFieldName("Www-Authenticate", "WWW-Authenticate")
		hw.SetFieldName("Www-Authenticate", "www-authenticate")
		h["X-Lower"] = []string{"1"}
		hw.SetFieldName("X-Lower", "x-lower")
		h["Content-Length"] = []string{"2"}
		hw.SetFieldName("Content-Length", "content-length")
		hw.SetFieldName("X-Other", "X-Else") // not the same name: ignored
		h["X-Other"] = []string{"3"}
		w.WriteHeader(401)
		w.Write([]byte("ok"))
	}))
	out := exchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	for _, want := range []string{"\r\nWWW-Authenticate: Basic\r\n", "\r\nWWW-Authenticate: Digest\r\n",
		"\r\nx-lower: 1\r\n", "\r\ncontent-length: 2\r\n", "\r\nX-Other: 3\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	// The next response on the connection starts with no spellings.
	addr, _ = start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			w.(headWriter).SetFieldName("X-A", "x-a")
		}
		w.Header().Set("X-A", "1")
	}))
	out = exchange(t, addr, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if strings.Count(out, "x-a: 1") != 1 || strings.Count(out, "X-A: 1") != 1 {
		t.Errorf("spelling leaked into the next response:\n%s", out)
	}
}

// TestRequestFieldsKeepSpellingAndOrder: the client's spelling of each
// field name's first occurrence and the order of arrival are kept for
// the request (httpd's headers_in keeps both), and reset for the next.
func TestRequestFieldsKeepSpellingAndOrder(t *testing.T) {
	seen := make(chan string, 2)
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := RequestFields(r)
		var b strings.Builder
		for i := range f.Len() {
			key, name := f.At(i)
			b.WriteString(key + "=" + name + " ")
		}
		seen <- b.String()
	}))
	exchange(t, addr, "GET / HTTP/1.1\r\nhost: x\r\nx-b: 1\r\nAccept: a\r\nX-B: 2\r\nWWW-thing: 3\r\n\r\n"+
		"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	for _, want := range []string{"Host=host X-B=x-b Accept=Accept Www-Thing=WWW-thing ", "Host=Host Connection=Connection "} {
		if got := <-seen; got != want {
			t.Errorf("fields %q, want %q", got, want)
		}
	}
	if RequestFields(httptestRequest()) != nil {
		t.Error("a request from elsewhere has fields")
	}
}

func httptestRequest() *http.Request {
	r, _ := http.NewRequest("GET", "http://x/", nil)
	return r
}

// TestRefusalIsAnErrorPage: a request refused before the handler gets an
// HTML error page with a length, as from httpd, not net/http's text.
func TestRefusalIsAnErrorPage(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	out := exchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
	rs := responses(t, out, "GET")
	body := bodyOf(rs[0])
	if rs[0].StatusCode != 400 || rs[0].Header.Get("Content-Type") != "text/html; charset=iso-8859-1" ||
		rs[0].ContentLength != int64(len(body)) || !strings.Contains(body, "<title>400 Bad Request</title>") ||
		rs[0].Header.Get("Date") == "" {
		t.Errorf("refusal:\n%s", out)
	}
}

// firstHead sends req and returns the response head up to and with the
// CRLF that ends its last field, without waiting for the connection to
// close (a kept one would not).
func firstHead(t *testing.T, addr, req string) string {
	t.Helper()
	c := dial(t, addr)
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var head strings.Builder
	for range 100 {
		line, err := br.ReadString('\n')
		if err != nil || line == "\r\n" {
			break
		}
		head.WriteString(line)
	}
	return head.String()
}

// TestResponseFieldOrder: fields go out as httpd writes a mod_jk
// response: Date first, then the fields the handler named with
// SetFieldName in the order it named them (a member's order; apr tables
// keep the order of adding), the framing, then the fields nobody named
// (a member's Content-Type: httpd writes r->content_type last).
func TestResponseFieldOrder(t *testing.T) {
	order := []string{"X-Zeta", "Content-Length", "X-Alpha", "Set-Cookie", "X-Mu", "Cache-Control", "X-Beta", "Etag"}
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hw, h := w.(headWriter), w.Header()
		for i, k := range order {
			h[k] = []string{strconv.Itoa(i)}
			hw.SetFieldName(k, k)
		}
		h["Set-Cookie"] = []string{"a=1", "b=2"}
		h["Content-Length"] = []string{"2"}
		h["Content-Type"] = []string{"text/plain"}
		hw.SetFieldName("X-Zeta", "x-zeta") // named already: neither respelled nor moved
		w.Write([]byte("ok"))
	}))
	head := firstHead(t, addr, "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
	var names []string
	for _, line := range strings.Split(strings.TrimSuffix(head, "\r\n"), "\r\n")[1:] {
		name, _, _ := strings.Cut(line, ":")
		names = append(names, name)
	}
	want := "Date,X-Zeta,Content-Length,X-Alpha,Set-Cookie,Set-Cookie,X-Mu,Cache-Control,X-Beta,Etag,Keep-Alive,Connection,Content-Type"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("fields in the order\n  %s\nwant\n  %s", got, want)
	}
}
