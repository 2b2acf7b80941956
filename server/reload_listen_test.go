package server

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// keepConn is one client keep-alive connection, driven by hand so the
// test knows the connection is the same one.
type keepConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialKeep(t *testing.T, addr string) *keepConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &keepConn{t: t, c: c, br: bufio.NewReader(c)}
}

// get sends one request and returns the status and body, or an error when
// the connection is gone.
func (k *keepConn) get(path string) (int, string, error) {
	k.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(k.c, "GET "+path+" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(k.br, nil)
	if err != nil {
		return 0, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), err
}

func (k *keepConn) mustGet(path string) string {
	k.t.Helper()
	st, body, err := k.get(path)
	if err != nil || st != 200 {
		k.t.Fatalf("GET %s on the kept connection: status %d, err %v", path, st, err)
	}
	return body
}

// TestReloadKeepsListeners: the socket of an address that remains is
// kept, so an idle keep-alive client connection made before a reload
// serves requests after it, with the new configuration; an added listener
// serves at once; a removed one stops accepting and closes its idle
// connections. A kept listener switches to HTTPS and back in place,
// and a certificate change takes effect for new handshakes.
func TestReloadKeepsListeners(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	one, two := issue(t, certSpec{cn: "one"}, nil), issue(t, certSpec{cn: "two"}, nil)
	files := map[string]string{"jkbalancer.yaml": lbYAML(""), "workers.properties": lbWorkers([]*ajptest.Server{t1}, ""),
		"one.crt": one.certPEM, "one.key": one.keyPEM, "two.crt": two.certPEM, "two.key": two.keyPEM}
	r := startReloadRig(t, files)
	addr := r.srv.Addrs()[0]
	kept := dialKeep(t, addr)
	if body := kept.mustGet("/x"); routeOf(body) != "t1" {
		t.Fatalf("body %q", body)
	}

	twoListeners := strings.Replace(lbYAML(""), `["127.0.0.1:0"]`, `["127.0.0.1:0", "127.0.0.1:0"]`, 1)
	r.mustReload(map[string]string{"jkbalancer.yaml": twoListeners,
		"workers.properties": lbWorkers([]*ajptest.Server{t2}, "")})
	if body := kept.mustGet("/x"); routeOf(body) != "t2" {
		t.Fatalf("the kept connection after the reload: %q, want the new member t2", body)
	}
	addrs := r.srv.Addrs()
	if len(addrs) != 2 || addrs[0] != addr {
		t.Fatalf("listeners %v; want %s kept and one added", addrs, addr)
	}
	added := dialKeep(t, addrs[1])
	added.mustGet("/x")

	r.mustReload(map[string]string{"jkbalancer.yaml": lbYAML("")})
	kept.mustGet("/x")
	if c, err := net.DialTimeout("tcp", addrs[1], 2*time.Second); err == nil {
		c.Close()
		t.Error("the removed listener still accepts")
	}
	// Its idle connection is closed by the drain (which runs on after
	// Reload returns): the client reads EOF.
	added.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := added.br.ReadByte(); err != io.EOF {
		t.Errorf("the removed listener's idle connection: read %v, want EOF", err)
	}

	withTLS := func(cert string) string {
		return strings.Replace(lbYAML(""), `["127.0.0.1:0"]`,
			`[{addr: "127.0.0.1:0", tls: {cert_file: "$DIR/`+cert+`.crt", key_file: "$DIR/`+cert+`.key"}}]`, 1)
	}
	r.mustReload(map[string]string{"jkbalancer.yaml": withTLS("one")})
	if cn := handshakeCN(t, addr, ""); cn != "one" {
		t.Fatalf("after switching to HTTPS: certificate %q", cn)
	}
	kept.mustGet("/x") // accepted as plain HTTP, stays so
	r.mustReload(map[string]string{"jkbalancer.yaml": withTLS("two")})
	if cn := handshakeCN(t, addr, ""); cn != "two" {
		t.Fatalf("after the certificate change: %q", cn)
	}
	tc, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if st := rawTLSGet(t, tc); st != 200 {
		t.Fatalf("HTTPS request: %d", st)
	}
	r.mustReload(map[string]string{"jkbalancer.yaml": lbYAML("")})
	dialKeep(t, addr).mustGet("/x") // plain again
	if st := rawTLSGet(t, tc); st != 200 {
		t.Fatalf("the TLS connection made before switching back: %d", st)
	}
	kept.mustGet("/x")
}
