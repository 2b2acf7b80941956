package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// selfSigned writes a throw-away certificate for 127.0.0.1 and returns the
// cert and key paths.
func selfSigned(t *testing.T) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return cert, keyFile
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
