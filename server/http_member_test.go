package server

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// httpMember is an HTTP member answering like a Tomcat with jvmRoute
// route: its route in X-Route and the body, and a session cookie ending in
// .route when the request has none.
func httpMember(t *testing.T, route string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			wsEcho(w, r)
			return
		}
		if _, err := r.Cookie("JSESSIONID"); err != nil {
			w.Header().Add("Set-Cookie", "JSESSIONID=S"+route+"."+route+"; Path=/")
		}
		w.Header().Set("X-Route", route)
		fmt.Fprintf(w, "route=%s proto=%s xfp=%s", route, r.Proto, r.Header.Get("X-Forwarded-Proto"))
	}))
	t.Cleanup(s.Close)
	return s
}

func hostPort(t *testing.T, s *httptest.Server) (string, string) {
	h, p, err := net.SplitHostPort(s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

// TestMixedLBStickyRouting: one lb over an ajp13 member (route a1) and an
// http member (route h1): requests without a session alternate between
// them (method R, 1:1), and a session cookie's route pins the member
// whatever protocol it speaks.
func TestMixedLBStickyRouting(t *testing.T) {
	a1 := ajptest.NewServer(ajptest.EchoHandler("a1"))
	defer a1.Close()
	h1 := httpMember(t, "h1")
	host, port := hostPort(t, h1)
	props := "worker.list=lb\n" +
		"worker.a1.host=127.0.0.1\nworker.a1.port=" + portOf(a1) + "\n" +
		"worker.h1.type=http\nworker.h1.host=" + host + "\nworker.h1.port=" + port + "\n" +
		"worker.lb.type=lb\nworker.lb.balance_workers=a1,h1\n"
	ts := startServer(t, map[string]string{"workers.properties": props}, "/*=lb")

	var order []string
	for i := 0; i < 4; i++ {
		code, body, _ := get(t, ts.base+"/app")
		if code != 200 {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
		order = append(order, routeOf(body))
	}
	if strings.Join(order, " ") != "a1 h1 a1 h1" {
		t.Errorf("pick order %q, want a1 h1 a1 h1", order)
	}
	for _, route := range []string{"h1", "a1"} {
		for i := 0; i < 3; i++ {
			code, body, _ := get(t, ts.base+"/app", "Cookie", "JSESSIONID=0123."+route)
			if code != 200 || routeOf(body) != route {
				t.Fatalf("session .%s request %d went to %q (%d)", route, i, routeOf(body), code)
			}
		}
	}
	// A ;jsessionid path parameter routes the same way.
	if _, body, _ := get(t, ts.base+"/app;jsessionid=X.h1"); routeOf(body) != "h1" {
		t.Errorf(";jsessionid=X.h1 went to %q", routeOf(body))
	}
}

// routeOf finds "route=R" in an ajptest echo or httpMember body.
func routeOf(body string) string {
	for _, f := range strings.Fields(body) {
		if v, ok := strings.CutPrefix(f, "route="); ok {
			return v
		}
	}
	return ""
}

// TestHTTPMemberFailover: a dead http member is marked in error and the
// request goes to the other one; a sticky session of the dead member
// fails over too.
func TestHTTPMemberFailover(t *testing.T) {
	h2 := httpMember(t, "h2")
	dead := httptest.NewServer(http.NotFoundHandler())
	dhost, dport := hostPort(t, dead)
	dead.Close()
	host, port := hostPort(t, h2)
	props := "worker.list=lb\n" +
		"worker.h1.type=http\nworker.h1.host=" + dhost + "\nworker.h1.port=" + dport + "\n" +
		"worker.h2.type=http\nworker.h2.host=" + host + "\nworker.h2.port=" + port + "\n" +
		"worker.lb.type=lb\nworker.lb.balance_workers=h1,h2\n"
	ts := startServer(t, map[string]string{"workers.properties": props}, "/*=lb")
	for i := 0; i < 3; i++ {
		code, body, _ := get(t, ts.base+"/x", "Cookie", "JSESSIONID=A.h1")
		if code != 200 || routeOf(body) != "h2" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
	}
}

// TestWebSocketThroughBalancer: a WebSocket handshake written by hand goes
// through an lb to an http member, frames are echoed both ways, and the
// close handshake ends both connections.
func TestWebSocketThroughBalancer(t *testing.T) {
	h1 := httpMember(t, "h1")
	host, port := hostPort(t, h1)
	props := "worker.list=lb\nworker.h1.type=http\nworker.h1.host=" + host + "\nworker.h1.port=" + port +
		"\nworker.lb.type=lb\nworker.lb.balance_workers=h1\n"
	ts := startServer(t, map[string]string{"workers.properties": props}, "/*=lb")
	c, br := wsDial(t, strings.TrimPrefix(ts.base, "http://"), "/chat")
	defer c.Close()
	for _, msg := range []string{"hello", strings.Repeat("long message ", 40)} {
		if err := wsWrite(c, 0x1, []byte(msg), true); err != nil {
			t.Fatal(err)
		}
		op, payload, err := wsRead(br)
		if err != nil || op != 0x1 || string(payload) != msg {
			t.Fatalf("echo: op=%d payload=%q err=%v", op, payload, err)
		}
	}
	if err := wsWrite(c, 0x8, []byte{0x03, 0xe8}, true); err != nil {
		t.Fatal(err)
	}
	if op, _, err := wsRead(br); err != nil || op != 0x8 {
		t.Fatalf("close frame: op=%d err=%v", op, err)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the close handshake the connection is still open: %v", err)
	}
}

// TestWebSocketToAJPMember: an AJP member cannot upgrade: 501.
func TestWebSocketToAJPMember(t *testing.T) {
	a1 := ajptest.NewServer(ajptest.EchoHandler("a1"))
	defer a1.Close()
	props := "worker.list=w\nworker.w.host=127.0.0.1\nworker.w.port=" + portOf(a1) + "\n"
	ts := startServer(t, map[string]string{"workers.properties": props}, "/*=w")
	code, _, _ := get(t, ts.base+"/chat", "Connection", "Upgrade", "Upgrade", "websocket",
		"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version", "13")
	if code != 501 {
		t.Fatalf("status %d, want 501", code)
	}
}

// TestHTTP2ClientToHTTPMember: a client speaking HTTP/2 over TLS reaches an
// HTTP/1.1 member, which learns the request came over https.
func TestHTTP2ClientToHTTPMember(t *testing.T) {
	h1 := httpMember(t, "h1")
	host, port := hostPort(t, h1)
	cert, key := selfSigned(t)
	yaml := "workers_file: workers.properties\nmounts: [\"/*=w\"]\nlisten:\n  - addr: 127.0.0.1:0\n    tls: {cert_file: " +
		cert + ", key_file: " + key + "}\n"
	files := map[string]string{
		"workers.properties": "worker.list=w\nworker.w.type=http\nworker.w.host=" + host + "\nworker.w.port=" + port + "\n",
		"jkbalancer.yaml":    yaml,
	}
	base := startServerTLS(t, files)
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		ForceAttemptHTTP2: true,
	}}
	resp, err := client.Get(base + "/h2")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || string(b) != "route=h1 proto=HTTP/1.1 xfp=https" {
		t.Fatalf("client proto %s, body %q", resp.Proto, b)
	}
}

// wsEcho is a minimal WebSocket server (RFC 6455): handshake, then every
// data frame is echoed unmasked; a close frame is answered and ends it.
func wsEcho(w http.ResponseWriter, r *http.Request) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		wsAccept(r.Header.Get("Sec-WebSocket-Key")))
	brw.Flush()
	for {
		op, payload, err := wsRead(brw.Reader)
		if err != nil {
			return
		}
		if err := wsWrite(conn, op, payload, false); err != nil || op == 0x8 {
			return
		}
	}
}

func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsDial sends the opening handshake and checks the 101 answer.
func wsDial(t *testing.T, addr, path string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", path, addr, key)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	if resp.StatusCode != 101 || !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") ||
		resp.Header.Get("Sec-WebSocket-Accept") != wsAccept(key) {
		c.Close()
		t.Fatalf("handshake answer %d %v", resp.StatusCode, resp.Header)
	}
	return c, br
}

// wsWrite writes one final frame; clients mask, servers do not.
func wsWrite(w io.Writer, op byte, payload []byte, mask bool) error {
	head := []byte{0x80 | op, 0}
	if mask {
		head[1] = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		head[1] |= byte(n)
	case n <= 0xffff:
		head[1] |= 126
		head = binary.BigEndian.AppendUint16(head, uint16(n))
	default:
		head[1] |= 127
		head = binary.BigEndian.AppendUint64(head, uint64(n))
	}
	data := payload
	if mask {
		var key [4]byte
		rand.Read(key[:])
		head = append(head, key[:]...)
		data = make([]byte, len(payload))
		for i := range payload {
			data[i] = payload[i] ^ key[i%4]
		}
	}
	_, err := w.Write(append(head, data...))
	return err
}

// wsRead reads one frame (unmasking it if masked).
func wsRead(r *bufio.Reader) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	var key [4]byte
	masked := h[1]&0x80 != 0
	if masked {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return 0, nil, err
		}
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	if masked {
		for i := range payload {
			payload[i] ^= key[i%4]
		}
	}
	return h[0] & 0x0f, payload, nil
}

// TestHTTPMemberProbeReadmits: an http member in error gets no traffic
// until its probe_uri answers a status in probe_status; then its sessions
// go back to it.
func TestHTTPMemberProbeReadmits(t *testing.T) {
	var up atomic.Bool
	var probes atomic.Int32
	h1 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/health":
			probes.Add(1)
			if !up.Load() {
				w.WriteHeader(500)
			}
		case !up.Load():
			w.WriteHeader(503) // fail_on_status: the member goes to ERR
		default:
			io.WriteString(w, "route=h1")
		}
	}))
	defer h1.Close()
	h2 := httpMember(t, "h2")
	host1, port1 := hostPort(t, h1)
	host2, port2 := hostPort(t, h2)
	props := "worker.list=lb\n" +
		"worker.h1.type=http\nworker.h1.host=" + host1 + "\nworker.h1.port=" + port1 + "\n" +
		"worker.h1.probe_uri=/health\nworker.h1.fail_on_status=503\n" +
		"worker.h2.type=http\nworker.h2.host=" + host2 + "\nworker.h2.port=" + port2 + "\n" +
		"worker.lb.type=lb\nworker.lb.balance_workers=h1,h2\nworker.lb.recover_time=1\n"
	ts := startServer(t, map[string]string{"workers.properties": props}, "/*=lb")
	if _, body, _ := get(t, ts.base+"/", "Cookie", "JSESSIONID=A.h1"); routeOf(body) != "h2" {
		t.Fatalf("failing member's session went to %q", routeOf(body))
	}
	// Failed probes keep it out (bounded wait for the checker to run).
	deadline := time.Now().Add(15 * time.Second)
	for probes.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if probes.Load() == 0 {
		t.Fatal("the member in error was never probed")
	}
	if _, body, _ := get(t, ts.base+"/", "Cookie", "JSESSIONID=A.h1"); routeOf(body) != "h2" {
		t.Fatalf("member readmitted although its probe failed: %q", body)
	}
	up.Store(true)
	for time.Now().Before(deadline) {
		if _, body, _ := get(t, ts.base+"/", "Cookie", "JSESSIONID=A.h1"); routeOf(body) == "h1" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the member never came back after its probe succeeded")
}

// TestTLSFactsToHTTPMember: over a TLS listener with client certificates,
// an http member gets the connection's facts as X-SSL-* headers, the
// same values an AJP member gets as attributes; what the client sent under
// those names is gone.
func TestTLSFactsToHTTPMember(t *testing.T) {
	seen := make(chan http.Header, 1)
	member := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
	}))
	defer member.Close()
	host, port := hostPort(t, member)
	ca := issue(t, certSpec{cn: "Client CA", ca: true}, nil)
	client := issue(t, certSpec{cn: "alice", client: true}, ca)
	srv := issue(t, certSpec{cn: "127.0.0.1"}, nil)
	yaml := "workers_file: workers.properties\nmounts: [\"/*=w\"]\nlisten:\n  - addr: 127.0.0.1:0\n    tls:\n" +
		"      cert_file: s.crt\n      key_file: s.key\n      client_auth: require\n      client_ca_file: ca.pem\n"
	ts := startServerSources(t, map[string]string{
		"workers.properties": "worker.list=w\nworker.w.type=http\nworker.w.host=" + host + "\nworker.w.port=" + port + "\n",
		"jkbalancer.yaml":    yaml, "s.crt": srv.certPEM, "s.key": srv.keyPEM, "ca.pem": ca.certPEM,
	}, nil)
	conn, err := tls.Dial("tcp", ts.srv.Addrs()[0], &tls.Config{RootCAs: pool(srv), ServerName: "127.0.0.1",
		MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		Certificates: []tls.Certificate{client.tlsCert()}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-SSL-Client-Cert: forged\r\nX-SSL-Cipher: NULL\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("response %v, %v", resp, err)
	}
	h := <-seen
	cs := conn.ConnectionState()
	ekm, err := cs.ExportKeyingMaterial("EXPERIMENTAL jkbalancer ssl_session", nil, 32)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"X-Ssl-Cipher": "ECDHE-ECDSA-AES128-GCM-SHA256", "X-Ssl-Key-Size": "128",
		"X-Ssl-Protocol": "TLSv1.2", "X-Ssl-Session-Id": fmt.Sprintf("%x", ekm), "X-Forwarded-Proto": "https"}
	for k, v := range want {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	certs := h.Values("X-Ssl-Client-Cert")
	if len(certs) != 1 {
		t.Fatalf("X-SSL-Client-Cert %q", certs)
	}
	if pem, err := url.PathUnescape(certs[0]); err != nil || pem != client.certPEM {
		t.Errorf("X-SSL-Client-Cert decodes to %q (%v), want the client's certificate", pem, err)
	}
}

// TestHTTPMemberForwardedPort: an HTTP member's X-Forwarded-Port is the
// port the client connected to, which the server knows per connection.
func TestHTTPMemberForwardedPort(t *testing.T) {
	m := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("X-Forwarded-Port"))
	}))
	t.Cleanup(m.Close)
	host, port := hostPort(t, m)
	props := "worker.list=h\nworker.h.type=http\nworker.h.host=" + host + "\nworker.h.port=" + port + "\n"
	ts := startServer(t, map[string]string{"workers.properties": props}, "/*=h")
	u, err := url.Parse(ts.base)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second on the same kept connection
		if code, body, _ := get(t, ts.base+"/x"); code != 200 || body != u.Port() {
			t.Fatalf("X-Forwarded-Port %q (status %d), want %s", body, code, u.Port())
		}
	}
}
