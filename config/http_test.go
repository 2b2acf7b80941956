package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTestCert writes a self-signed certificate and its key as PEM.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "member"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestHTTPMemberTLSFiles: relative TLS paths are resolved against the
// directory of workers.properties and must load.
func TestHTTPMemberTLSFiles(t *testing.T) {
	dir := t.TempDir()
	writeTestCert(t, dir)
	wf := filepath.Join(dir, "workers.properties")
	props := `worker.list=m
worker.m.type=http
worker.m.scheme=https
worker.m.tls_ca_file=c.pem
worker.m.tls_cert_file=c.pem
worker.m.tls_key_file=k.pem
worker.m.mount=/*
`
	if err := os.WriteFile(wf, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, probs := Load(Sources{WorkersFile: wf})
	if cfg == nil {
		t.Fatalf("Load: %v", probs)
	}
	h := cfg.Workers["m"].Member.HTTP
	if h == nil || h.TLSCAFile != filepath.Join(dir, "c.pem") || h.TLSKeyFile != filepath.Join(dir, "k.pem") {
		t.Fatalf("HTTP = %+v, want paths under %s", h, dir)
	}
	if cfg.Workers["m"].Member.Port != 443 {
		t.Errorf("port %d, want 443 for https", cfg.Workers["m"].Member.Port)
	}

	// A key that does not match is an error naming the attribute.
	if err := os.WriteFile(filepath.Join(dir, "k.pem"), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, probs = Load(Sources{WorkersFile: wf})
	if cfg != nil || !strings.Contains(probs.Error(), "worker m: tls_cert_file: client certificate") {
		t.Errorf("bad key pair accepted: %v", probs)
	}
}

func TestStatusRanges(t *testing.T) {
	for _, c := range []struct {
		in   string
		ok   bool
		want StatusRange
	}{{"200", true, StatusRange{200, 200}}, {"200-399", true, StatusRange{200, 399}},
		{"399-200", false, StatusRange{}}, {"99", false, StatusRange{}}, {"200-600", false, StatusRange{}},
		{"2x", false, StatusRange{}}, {"-", false, StatusRange{}}} {
		got, ok := parseStatusRange(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseStatusRange(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	s := StatusRanges{{200, 299}, {401, 401}}
	for code, want := range map[int]bool{200: true, 299: true, 300: false, 401: true, 404: false} {
		if s.Contains(code) != want {
			t.Errorf("Contains(%d) = %v", code, !want)
		}
	}
	if b, _ := s.MarshalJSON(); string(b) != `"200-299,401"` {
		t.Errorf("MarshalJSON = %s", b)
	}
}
