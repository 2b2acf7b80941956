package worker

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHTTPRequestHeaders: what the member sees of a client request —
// hop-by-hop headers and Expect removed, forged X-Forwarded-*/X-SSL-*
// dropped, X-Forwarded-For appended, Host unchanged, the URI and query
// byte for byte, no user agent of jkbalancer's own.
func TestHTTPRequestHeaders(t *testing.T) {
	seen := make(chan *http.Request, 1)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r
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
	fmt.Fprint(c, "GET /a%2Fb/c;x=1?q=%20y&z HTTP/1.1\r\nHost: shop.example:8443\r\n"+
		"Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nTE: trailers\r\n"+
		"X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil\r\n"+
		"X-SSL-Client-Cert: forged\r\nX_SSL_Cipher: forged\r\nx-ssl-protocol: forged\r\n"+
		"Proxy-Connection: x\r\nCookie: JSESSIONID=abc.t1\r\nX-App: kept\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r := <-seen
	if r.RequestURI != "/a%2Fb/c;x=1?q=%20y&z" {
		t.Errorf("request URI %q", r.RequestURI)
	}
	if r.Host != "shop.example:8443" {
		t.Errorf("Host %q, want the client's", r.Host)
	}
	for _, h := range []string{"X-Hop", "Keep-Alive", "Te", "Proxy-Connection", "X-Ssl-Client-Cert", "X_ssl_cipher",
		"X-Ssl-Protocol", "X-Ssl-Cipher", "User-Agent", "Expect"} {
		if v, ok := r.Header[h]; ok {
			t.Errorf("member got %s: %q", h, v)
		}
	}
	client := strings.Split(c.LocalAddr().String(), ":")[0]
	_, fport, _ := net.SplitHostPort(fs.Listener.Addr().String())
	want := map[string]string{"X-Forwarded-For": "203.0.113.9, " + client, "X-Forwarded-Proto": "http",
		"X-Forwarded-Host": "shop.example:8443", "X-Forwarded-Port": fport, "Cookie": "JSESSIONID=abc.t1",
		"X-App": "kept"}
	for k, v := range want {
		if got := r.Header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

// TestHTTPTLSHeaders: the client's TLS session reaches the member as the
// documented X-SSL-* headers, built from the server's TLSInfo.
func TestHTTPTLSHeaders(t *testing.T) {
	r := httptest.NewRequest("GET", "https://shop.example/x", nil)
	r.TLS = &tls.ConnectionState{}
	pem := "-----BEGIN CERTIFICATE-----\nMIIB+x/y=\n-----END CERTIFICATE-----\n"
	req := &Request{HTTP: r, TLS: &TLSInfo{Cipher: "TLS_AES_128_GCM_SHA256", Protocol: "TLSv1.3", KeyBits: 128,
		SessionID: "abcd", ClientCert: pem}}
	h := forwarded(req)
	want := map[string]string{"X-Ssl-Cipher": "TLS_AES_128_GCM_SHA256", "X-Ssl-Protocol": "TLSv1.3",
		"X-Ssl-Key-Size": "128", "X-Ssl-Session-Id": "abcd", "X-Forwarded-Proto": "https"}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	enc := h.Get("X-Ssl-Client-Cert")
	if !strings.HasPrefix(enc, "-----BEGIN%20CERTIFICATE-----%0A") || strings.ContainsAny(enc, "+ \n") {
		t.Errorf("X-SSL-Client-Cert %q is not URL-encoded PEM with %%20", enc)
	}
	if dec, err := url.PathUnescape(enc); err != nil || dec != pem {
		t.Errorf("X-SSL-Client-Cert decodes to %q, %v", dec, err)
	}
	// Without a TLS connection nothing of the kind is sent, whatever
	// TLSInfo says.
	r.TLS = nil
	h = forwarded(req)
	for k := range want {
		if k != "X-Forwarded-Proto" && h.Get(k) != "" {
			t.Errorf("plain request got %s", k)
		}
	}
}

// TestHTTPResponseHeadersAndLocation: hop-by-hop response headers are
// dropped, Set-Cookie passes one by one, Location pointing at the member
// itself is turned into the client's scheme and Host; others stay.
func TestHTTPResponseHeadersAndLocation(t *testing.T) {
	var self string
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Connection", "X-Private")
		h.Set("X-Private", "1")
		h.Set("Keep-Alive", "timeout=5")
		h.Add("Set-Cookie", "a=1; Path=/")
		h.Add("Set-Cookie", "b=2; Path=/x; HttpOnly")
		switch r.URL.Path {
		case "/self":
			h.Set("Location", "http://"+self+"/next?a=%20b#f")
			h.Set("Content-Location", "http://"+self+"/doc")
		case "/other":
			h.Set("Location", "http://elsewhere.example:"+strings.Split(self, ":")[1]+"/next")
		}
		w.WriteHeader(http.StatusFound)
	}))
	defer be.Close()
	self = backendAddr(be)
	m := newHTTPMember(t, httpSpec(t, self))
	fs := front(t, m, nil)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, _ := mustDo(t, noRedirect, "GET", fs.URL+"/self", nil)
	if got, want := resp.Header.Get("Location"), fs.URL+"/next?a=%20b#f"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if got, want := resp.Header.Get("Content-Location"), fs.URL+"/doc"; got != want {
		t.Errorf("Content-Location %q, want %q", got, want)
	}
	if v := resp.Header.Values("Set-Cookie"); len(v) != 2 || v[1] != "b=2; Path=/x; HttpOnly" {
		t.Errorf("Set-Cookie %q", v)
	}
	for _, h := range []string{"X-Private", "Keep-Alive"} {
		if v := resp.Header.Get(h); v != "" {
			t.Errorf("client got %s: %q", h, v)
		}
	}
	resp, _ = mustDo(t, noRedirect, "GET", fs.URL+"/other", nil)
	if got := resp.Header.Get("Location"); !strings.HasPrefix(got, "http://elsewhere.example:") {
		t.Errorf("foreign Location rewritten to %q", got)
	}
}

// TestHTTPTrailers: trailers the member announces and sends reach the
// client.
func TestHTTPTrailers(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "body")
		w.(http.Flusher).Flush()
		w.Header().Set("X-Sum", "42")
		w.Header().Set(http.TrailerPrefix+"X-Late", "7")
	}))
	defer be.Close()
	m := newHTTPMember(t, httpSpec(t, backendAddr(be)))
	fs := front(t, m, nil)
	resp, body := mustDo(t, nil, "GET", fs.URL+"/", nil)
	if body != "body" || resp.Trailer.Get("X-Sum") != "42" || resp.Trailer.Get("X-Late") != "7" {
		t.Errorf("body %q trailers %v", body, resp.Trailer)
	}
}

// TestHTTPStreamingFlush: a chunked response reaches the client piece by
// piece: the member sends its second piece only after the client has read
// the first, which deadlocks (and times out) if jkbalancer buffers.
func TestHTTPStreamingFlush(t *testing.T) {
	gotFirst := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		select {
		case <-gotFirst:
		case <-time.After(10 * time.Second):
			return
		}
		io.WriteString(w, "second\n")
	}))
	defer be.Close()
	m := newHTTPMember(t, httpSpec(t, backendAddr(be)))
	fs := front(t, m, nil)
	resp, err := http.Get(fs.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first piece %q, %v", line, err)
	}
	close(gotFirst)
	rest, _ := io.ReadAll(br)
	if string(rest) != "second\n" {
		t.Fatalf("second piece %q: the member gave up waiting, so the first piece was not flushed", rest)
	}
}

// TestHTTPExpectContinue: the front end answers 100-continue; the member
// never sees Expect and gets the whole body.
func TestHTTPExpectContinue(t *testing.T) {
	seen := make(chan string, 1)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen <- r.Header.Get("Expect") + "|" + string(b)
		io.WriteString(w, "ok")
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
	fmt.Fprint(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	status, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 100") {
		t.Fatalf("interim response %q, %v", status, err)
	}
	br.ReadString('\n') // the empty line ending the 100 response
	io.WriteString(c, "hello")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("final %d %q", resp.StatusCode, body)
	}
	if got := <-seen; got != "|hello" {
		t.Errorf("member saw Expect|body = %q, want |hello", got)
	}
}

// TestHTTPFailOnStatus: a status in fail_on_status never reaches the
// client and fails over (soft for negative codes); the body is resent.
func TestHTTPFailOnStatus(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", "1")
		code := 503
		if r.URL.Path == "/soft" {
			code = 502
		}
		w.WriteHeader(code)
		io.WriteString(w, "backend error page")
	}))
	defer be.Close()
	m := newHTTPMember(t, httpSpec(t, backendAddr(be), "fail_on_status=503,-502", "retries=1"))
	for path, class := range map[string]Class{"/hard": ClassFailStatus, "/soft": ClassFailStatusSoft} {
		rec := httptest.NewRecorder()
		req := toRequest(t, httptest.NewRequest("POST", path, strings.NewReader("data")), 8192)
		_, err := m.Forward(rec, req, &Attempt{})
		we := classOf(t, err)
		if we.Class != class || !we.Recoverable || we.HeadSent || Status(err) != 503 {
			t.Errorf("%s: class=%s recoverable=%v headSent=%v status=%d", path, we.Class, we.Recoverable, we.HeadSent, Status(err))
		}
		if rec.Body.Len() != 0 || len(rec.Header()) != 0 || rec.Flushed {
			t.Errorf("%s: the client got something: %v %q", path, rec.Header(), rec.Body.String())
		}
	}
}

// TestHTTPUseServerErrorsAndSessionCookie: the rule extension
// use_server_errors replaces a member error page; set_session_cookie's
// cookie is appended.
func TestHTTPSessionCookie(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "app=1")
		io.WriteString(w, "ok")
	}))
	defer be.Close()
	m := newHTTPMember(t, httpSpec(t, backendAddr(be)))
	rec := httptest.NewRecorder()
	req := toRequest(t, httptest.NewRequest("GET", "/", nil), 8192)
	if _, err := m.Forward(rec, req, &Attempt{SetCookie: "JSESSIONID=.w1; Path=/"}); err != nil {
		t.Fatal(err)
	}
	if v := rec.Header().Values("Set-Cookie"); len(v) != 2 || v[1] != "JSESSIONID=.w1; Path=/" || rec.Body.String() != "ok" {
		t.Errorf("Set-Cookie %q body %q", v, rec.Body.String())
	}
}

// TestHTTPSMember: scheme=https verifies the member against tls_ca_file
// and shows it the client certificate of tls_cert_file; a member the CA
// did not sign is unreachable (503, fail over), not a client error.
func TestHTTPSMember(t *testing.T) {
	be := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cn := ""
		if len(r.TLS.PeerCertificates) > 0 {
			cn = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		io.WriteString(w, "client="+cn)
	}))
	be.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	var conns atomic.Int32
	be.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	be.StartTLS()
	defer be.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: be.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, key := writeClientCert(t, dir, "balancer")
	m := newHTTPMember(t, httpSpec(t, backendAddr(be), "scheme=https", "tls_ca_file="+ca,
		"tls_cert_file="+cert, "tls_key_file="+key))
	for range 3 {
		rec := httptest.NewRecorder()
		if _, err := m.Forward(rec, toRequest(t, httptest.NewRequest("GET", "/", nil), 8192), &Attempt{}); err != nil || rec.Body.String() != "client=balancer" {
			t.Fatalf("err=%v body=%q", err, rec.Body.String())
		}
	}
	// TLS connections are pooled like plain ones (the pooled-socket peek
	// cannot look beneath TLS, so for them it is not made).
	if n := conns.Load(); n != 1 {
		t.Errorf("3 requests took %d TLS connections, want 1 kept alive", n)
	}
	if err := m.Probe(context.Background()); err != nil {
		t.Errorf("probe (connect and handshake): %v", err)
	}

	untrusted := newHTTPMember(t, httpSpec(t, backendAddr(be), "scheme=https", "tls_cert_file="+cert, "tls_key_file="+key))
	_, err := untrusted.Forward(httptest.NewRecorder(), toRequest(t, httptest.NewRequest("GET", "/", nil), 8192), &Attempt{})
	if we := classOf(t, err); we.Class != ClassConnect || !we.Unreachable || Status(err) != 503 {
		t.Fatalf("unverified member: class=%s unreachable=%v", we.Class, we.Unreachable)
	}
	if err := untrusted.Probe(context.Background()); err == nil {
		t.Error("probe of an unverified member succeeded")
	}
}

// writeClientCert writes a self-signed certificate for cn and its key.
func writeClientCert(t *testing.T, dir, cn string) (string, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(k)
	cert, key := filepath.Join(dir, cn+".crt"), filepath.Join(dir, cn+".key")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return cert, key
}

// TestHTTPSetAddress: a status-worker address edit (vahst/vaprt) sends the
// next request of an http member to the new address, and its absolute
// Location URLs are recognised as the member's own under the new address.
func TestHTTPSetAddress(t *testing.T) {
	backend := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "http://"+r.Host+"/next")
			io.WriteString(w, name)
		}))
	}
	one, two := backend("one"), backend("two")
	defer one.Close()
	defer two.Close()
	m := newHTTPMember(t, httpSpec(t, backendAddr(one)))
	get := func() string {
		rec := httptest.NewRecorder()
		req := toRequest(t, httptest.NewRequest("GET", "/", nil), 8192)
		if _, err := m.Forward(rec, req, &Attempt{}); err != nil {
			t.Fatal(err)
		}
		return rec.Body.String()
	}
	if got := get(); got != "one" {
		t.Fatalf("before the edit: %q", got)
	}
	host, port, _ := net.SplitHostPort(backendAddr(two))
	p, _ := strconv.Atoi(port)
	if err := m.SetAddress(host, p, backendAddr(two)); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != "two" {
		t.Errorf("after the edit: %q, want two", got)
	}
	if got := m.Addr(); got != backendAddr(two) {
		t.Errorf("Addr() = %q, want %q", got, backendAddr(two))
	}
	if tail, ok := m.tr.(*httpTransport).ownURL("http://" + backendAddr(two) + "/x"); !ok || tail != "/x" {
		t.Errorf("ownURL of the new address: %q %v", tail, ok)
	}
	if err := m.SetAddress(host, 70000, backendAddr(two)); !errors.Is(err, ErrEditRange) {
		t.Errorf("port 70000: %v, want ErrEditRange", err)
	}
}

// forwarded collects what forwardHeaders passes on.
func forwarded(req *Request) http.Header {
	h := http.Header{}
	forwardHeaders(req, func(name, value string) { h[name] = append(h[name], value) })
	return h
}

// TestForwardedForUsesClientIP: X-Forwarded-For takes the client address
// the server split once for the connection (Request.ClientIP), and splits
// RemoteAddr itself only without one.
func TestForwardedForUsesClientIP(t *testing.T) {
	r := httptest.NewRequest("GET", "/x", nil)
	r.RemoteAddr = "192.0.2.7:4711"
	req := &Request{HTTP: r}
	if got := forwarded(req).Get("X-Forwarded-For"); got != "192.0.2.7" {
		t.Errorf("without ClientIP: %q, want 192.0.2.7", got)
	}
	req.ClientIP = "198.51.100.1" // not RemoteAddr's, to see which one is used
	if got := forwarded(req).Get("X-Forwarded-For"); got != "198.51.100.1" {
		t.Errorf("with ClientIP: %q, want 198.51.100.1", got)
	}
}

// TestStallWatchSharesHeadClock: with the member's clock being time.Now,
// the stall watch's reply time and the time-to-first-byte stamp are one
// clock read (responder.stamp), and the wait starts at Forward's own start.
func TestStallWatchSharesHeadClock(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer s.Close()
	m := NewMember(Spec{Name: "w", Attrs: httpSpec(t, backendAddr(s), "stall_min=2000")})
	defer m.Close()
	req := toRequest(t, httptest.NewRequest("GET", "/x", nil), 8192)
	if _, err := m.Forward(&discardWriter{h: http.Header{}}, req, &Attempt{}); err != nil {
		t.Fatal(err)
	}
	if req.headAt.IsZero() {
		t.Fatal("no head stamp")
	}
	if got, want := m.stall.lastProgress.Load(), int64(req.headAt.Sub(m.stall.base)); got != want {
		t.Errorf("stall watch's reply at %d, head stamped at %d: two clock reads", got, want)
	}
}
