package server

import (
	"bufio"
	"crypto/tls"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
)

// selfSigned writes a throw-away certificate for 127.0.0.1 and returns the
// cert and key paths.
func selfSigned(t *testing.T) (string, string) {
	t.Helper()
	c := issue(t, certSpec{cn: "127.0.0.1"}, nil)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := os.WriteFile(cert, []byte(c.certPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, []byte(c.keyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// tlsRig is a jkbalancer with one TLS listener in front of one ajptest
// member that records every forward request it gets.
type tlsRig struct {
	ts   *testServer
	addr string
	dir  string // where the yaml and the PEM files are
	seen chan *ajptest.Request
}

// startTLSRig writes files (name -> content, PEM files included) and a
// jkbalancer.yaml whose listener has the given tls mapping (YAML lines,
// without indentation) and options, and starts it.
func startTLSRig(t *testing.T, tlsYAML string, options string, files map[string]string) *tlsRig {
	t.Helper()
	seen := make(chan *ajptest.Request, 16)
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		select {
		case seen <- r:
		default:
		}
		w.SendHeaders(200)
		w.Write([]byte("ok"))
		w.End(true)
	})
	t.Cleanup(func() { be.Close() })
	var b strings.Builder
	b.WriteString("workers_file: workers.properties\nmounts: [\"/*=w\"]\n")
	if options != "" {
		b.WriteString("options: \"" + options + "\"\n")
	}
	b.WriteString("listen:\n  - addr: 127.0.0.1:0\n    tls:\n")
	for _, line := range strings.Split(strings.TrimSpace(tlsYAML), "\n") {
		b.WriteString("      " + line + "\n")
	}
	all := map[string]string{
		"workers.properties": "worker.list=w\nworker.w.host=127.0.0.1\nworker.w.port=" + portOf(be) + "\n",
		"jkbalancer.yaml":    b.String(),
	}
	for k, v := range files {
		all[k] = v
	}
	ts := startServerSources(t, all, nil)
	return &tlsRig{ts: ts, addr: ts.srv.Addrs()[0], dir: filepath.Dir(ts.srv.rt.Load().cfg.Server.WorkersFile), seen: seen}
}

// request makes one GET over a new connection with the given client
// configuration and returns the status (0 and the error when the request
// failed) and what the member received.
func (rig *tlsRig) request(t *testing.T, cc *tls.Config) (int, *ajptest.Request, error) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cc, ForceAttemptHTTP2: true}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + rig.addr + "/x")
	if err != nil {
		return 0, nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	select {
	case r := <-rig.seen:
		return resp.StatusCode, r, nil
	case <-time.After(5 * time.Second):
		t.Fatal("the member saw no request")
	}
	return 0, nil, nil
}

// TestHTTP2OverTLS: an HTTP/2 client over TLS is served, and the member
// learns what mod_jk would tell it: is_ssl, the cipher, key size and
// protocol, and the client's protocol string.
func TestHTTP2OverTLS(t *testing.T) {
	seen := make(chan *ajptest.Request, 1)
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		seen <- r
		w.SendHeaders(200)
		w.Write([]byte("over h2"))
		w.End(true)
	})
	defer be.Close()
	cert, key := selfSigned(t)
	yaml := "workers_file: workers.properties\nmounts: [\"/*=w\"]\nlisten:\n  - addr: 127.0.0.1:0\n    tls: {cert_file: " +
		cert + ", key_file: " + key + "}\n"
	files := map[string]string{
		"workers.properties": "worker.list=w\nworker.w.host=127.0.0.1\nworker.w.port=" + portOf(be) + "\n",
		"jkbalancer.yaml":    yaml,
	}
	ts := startServerTLS(t, files)
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		ForceAttemptHTTP2: true,
	}}
	resp, err := client.Get(ts + "/secure")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || string(b) != "over h2" {
		t.Fatalf("proto %s body %q", resp.Proto, b)
	}
	r := <-seen
	if !r.IsSSL || r.Protocol != "HTTP/2.0" || r.SSLCipher == "" || r.SSLKeySize <= 0 || r.SSLProtocol != "TLSv1.3" {
		t.Fatalf("is_ssl=%v protocol=%q cipher=%q keysize=%d sslproto=%q",
			r.IsSSL, r.Protocol, r.SSLCipher, r.SSLKeySize, r.SSLProtocol)
	}
	if r.ServerPort <= 0 {
		t.Fatalf("server port %d", r.ServerPort)
	}
}

// startServerTLS is startServer for a config whose listener is TLS; the
// listen address comes from the yaml, not --listen.
func startServerTLS(t *testing.T, files map[string]string) string {
	t.Helper()
	ts := startServerSources(t, files, nil)
	return "https://" + ts.srv.Addrs()[0]
}

// TestTLSAttributesToAJP: the member gets the TLS facts as mod_jk sends
// mod_ssl's: the OpenSSL cipher name, its key size, the protocol, a
// 64-hex-digit session id (the connection's exported keying material, the
// same for every request of one connection) and the client certificate as
// PEM, for TLS 1.2 and 1.3.
func TestTLSAttributesToAJP(t *testing.T) {
	ca := issue(t, certSpec{cn: "Client CA", ca: true}, nil)
	client := issue(t, certSpec{cn: "alice", client: true}, ca)
	srv := issue(t, certSpec{cn: "127.0.0.1"}, nil)
	files := map[string]string{"s.crt": srv.certPEM, "s.key": srv.keyPEM, "ca.pem": ca.certPEM}
	rig := startTLSRig(t, "cert_file: s.crt\nkey_file: s.key\nclient_auth: require\nclient_ca_file: ca.pem", "", files)

	cases := []struct {
		name       string
		max        uint16
		suites     []uint16
		wantCipher string
		wantBits   int
		wantProto  string
	}{
		{"TLS 1.2", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, "ECDHE-ECDSA-AES128-GCM-SHA256", 128, "TLSv1.2"},
		{"TLS 1.2 AES-256", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}, "ECDHE-ECDSA-AES256-GCM-SHA384", 256, "TLSv1.2"},
		{"TLS 1.2 ChaCha20", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}, "ECDHE-ECDSA-CHACHA20-POLY1305", 256, "TLSv1.2"},
		{"TLS 1.3", tls.VersionTLS13, nil, "", 0, "TLSv1.3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := tls.Dial("tcp", rig.addr, &tls.Config{RootCAs: pool(srv), ServerName: "127.0.0.1", MaxVersion: tc.max,
				CipherSuites: tc.suites, Certificates: []tls.Certificate{client.tlsCert()}})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var got []*ajptest.Request
			for i := 0; i < 2; i++ { // two requests on one connection
				if st := rawTLSGet(t, conn); st != 200 {
					t.Fatalf("status %d", st)
				}
				got = append(got, <-rig.seen)
			}
			cs := conn.ConnectionState()
			wantCipher, wantBits := tc.wantCipher, tc.wantBits
			if wantCipher == "" { // TLS 1.3: the suite the server chose
				wantCipher, wantBits = config.OpenSSLCipherName(cs.CipherSuite), config.CipherKeyBits(cs.CipherSuite)
				if !strings.HasPrefix(wantCipher, "TLS_") || wantBits < 128 {
					t.Fatalf("TLS 1.3 suite %q bits %d", wantCipher, wantBits)
				}
			}
			ekm, err := cs.ExportKeyingMaterial("EXPERIMENTAL jkbalancer ssl_session", nil, 32)
			if err != nil {
				t.Fatal(err)
			}
			r := got[0]
			if !r.IsSSL || r.SSLCipher != wantCipher || r.SSLKeySize != wantBits || r.SSLProtocol != tc.wantProto {
				t.Errorf("is_ssl=%v cipher=%q bits=%d protocol=%q; want %q %d %q", r.IsSSL, r.SSLCipher, r.SSLKeySize,
					r.SSLProtocol, wantCipher, wantBits, tc.wantProto)
			}
			if r.SSLSession != hex.EncodeToString(ekm) || got[1].SSLSession != r.SSLSession {
				t.Errorf("ssl_session %q then %q; want %x on both", r.SSLSession, got[1].SSLSession, ekm)
			}
			if r.SSLCert != client.certPEM {
				t.Errorf("ssl_cert:\n%s\nwant the client's certificate:\n%s", r.SSLCert, client.certPEM)
			}
		})
	}
}

// rawTLSGet sends one keep-alive GET on conn and reads the response.
func rawTLSGet(t *testing.T, conn *tls.Conn) int {
	t.Helper()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestTLSOptions: -ForwardKeySize drops ssl_key_size; +ForwardSSLCertChain
// appends the intermediate the client sent; a listener's
// client_cert_chain overrides the option either way; a new connection
// gets a new ssl_session.
func TestTLSOptions(t *testing.T) {
	root := issue(t, certSpec{cn: "Root CA", ca: true}, nil)
	inter := issue(t, certSpec{cn: "Intermediate CA", ca: true}, root)
	client := issue(t, certSpec{cn: "bob", client: true}, inter)
	srv := issue(t, certSpec{cn: "127.0.0.1"}, nil)
	files := map[string]string{"s.crt": srv.certPEM, "s.key": srv.keyPEM, "ca.pem": root.certPEM}
	base := "cert_file: s.crt\nkey_file: s.key\nclient_auth: require\nclient_ca_file: ca.pem"
	cc := &tls.Config{RootCAs: pool(srv), Certificates: []tls.Certificate{client.tlsCert(inter)}}
	cases := []struct {
		name, tls, options string
		wantChain          bool
		wantBits           bool
	}{
		{"defaults", base, "", false, true},
		{"-ForwardKeySize +ForwardSSLCertChain", base, "-ForwardKeySize +ForwardSSLCertChain", true, false},
		{"client_cert_chain: true", base + "\nclient_cert_chain: true", "", true, true},
		{"client_cert_chain: false over the option", base + "\nclient_cert_chain: false", "+ForwardSSLCertChain", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rig := startTLSRig(t, tc.tls, tc.options, files)
			st, r, err := rig.request(t, cc)
			if err != nil || st != 200 {
				t.Fatalf("status %d err %v", st, err)
			}
			want := client.certPEM
			if tc.wantChain {
				want += inter.certPEM
			}
			if r.SSLCert != want {
				t.Errorf("ssl_cert has %d certificates, want chain=%v", strings.Count(r.SSLCert, "BEGIN CERTIFICATE"), tc.wantChain)
			}
			if (r.SSLKeySize >= 0) != tc.wantBits {
				t.Errorf("ssl_key_size %d, want sent=%v", r.SSLKeySize, tc.wantBits)
			}
			_, r2, err := rig.request(t, cc)
			if err != nil || r2.SSLSession == r.SSLSession || len(r2.SSLSession) != 64 {
				t.Errorf("a new connection: ssl_session %q after %q (err %v)", r2.SSLSession, r.SSLSession, err)
			}
		})
	}
}

// TestCipherNames: every suite Go can negotiate has its OpenSSL name and
// key size; the names match what `openssl ciphers` prints.
func TestCipherNames(t *testing.T) {
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		name := config.OpenSSLCipherName(s.ID)
		if name == s.Name && !strings.HasPrefix(name, "TLS_AES") && !strings.HasPrefix(name, "TLS_CHACHA20") {
			t.Errorf("%s has no OpenSSL name", s.Name)
		}
		if config.CipherKeyBits(s.ID) < 112 {
			t.Errorf("%s: key bits %d", s.Name, config.CipherKeyBits(s.ID))
		}
	}
	for id, want := range map[uint16]string{
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         "ECDHE-RSA-AES128-GCM-SHA256",
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
		tls.TLS_RSA_WITH_AES_256_CBC_SHA:                  "AES256-SHA",
		tls.TLS_AES_256_GCM_SHA384:                        "TLS_AES_256_GCM_SHA384",
	} {
		if got := config.OpenSSLCipherName(id); got != want {
			t.Errorf("OpenSSLCipherName(%s) = %q, want %q", tls.CipherSuiteName(id), got, want)
		}
	}
}
