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

// writeCert writes NAME.crt and NAME.key into dir: a self-signed ECDSA
// certificate with the given CN and DNS names, valid until notAfter.
func writeCert(t *testing.T, dir, name, cn string, dns []string, notAfter time.Time) {
	t.Helper()
	writeCertFiles(t, filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"), cn, dns, notAfter)
}

// writeCertFiles writes a self-signed ECDSA certificate (usable as a CA
// too) and its key to the given paths, creating their directories.
func writeCertFiles(t *testing.T, certPath, keyPath, cn string, dns []string, notAfter time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: notAfter.Add(-48 * time.Hour), NotAfter: notAfter, DNSNames: dns,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range map[string]*pem.Block{certPath: {Type: "CERTIFICATE", Bytes: der}, keyPath: {Type: "PRIVATE KEY", Bytes: kder}} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestListenerTLSProblems: every problem of every TLS listener is
// reported in one load, each at the line of the yaml key that names the
// file or value; an expired certificate is a warning.
func TestListenerTLSProblems(t *testing.T) {
	dir := t.TempDir()
	later := time.Now().Add(24 * time.Hour)
	writeCert(t, dir, "good", "www.example.com", []string{"www.example.com"}, later)
	writeCert(t, dir, "other", "other", nil, later)
	writeCert(t, dir, "expired", "old.example.com", nil, time.Now().Add(-time.Hour))
	writeCert(t, dir, "noname", "No Name", nil, later)
	os.WriteFile(filepath.Join(dir, "bad.crt"), []byte("not a certificate\n"), 0o600)
	yaml := `listen:
  - addr: ":8443"
    tls:
      cert_file: missing.crt
      key_file: good.key
  - addr: ":8444"
    tls:
      cert_file: good.crt
      key_file: other.key
      certificates:
        - {cert_file: expired.crt, key_file: expired.key}
        - {cert_file: bad.crt, key_file: good.key}
        - {cert_file: noname.crt, key_file: noname.key}
      client_auth: require
      client_ca_file: nothere.pem
  - addr: ":8445"
    tls:
      cert_file: good.crt
      key_file: good.key
      client_auth: sometimes
      min_version: "1.1"
      cipher_suites: [RC4-SHA, NOPE, TLS_AES_128_GCM_SHA256]
      client_cert_chain: maybe
      tls_extra: 1
  - addr: ":8446"
    tls: {cert_file: good.crt, key_file: good.key, client_auth: require, server_names: [shop.example.com]}
`
	os.WriteFile(filepath.Join(dir, "jkbalancer.yaml"), []byte(yaml), 0o600)
	cfg, ps := Load(Sources{ConfigFile: filepath.Join(dir, "jkbalancer.yaml")})
	if cfg != nil {
		t.Fatal("a configuration with TLS errors was accepted")
	}
	want := []struct {
		line    int
		warning bool
		text    string
	}{
		{4, false, "listen.tls.cert_file: cannot read the certificate"},
		{9, false, "listen.tls.key_file: the private key in " + filepath.Join(dir, "other.key") + " does not match"},
		{11, true, "expired on"},
		{12, false, "bad.crt holds no PEM CERTIFICATE block"},
		{13, false, "noname.crt has no DNS name and its CN is not a host name"},
		{15, false, "listen.tls.client_ca_file: cannot read the client CA certificates"},
		{20, false, `"sometimes" is not a client_auth policy`},
		{21, true, "TLS 1.1 is deprecated"},
		{22, true, "RC4-SHA is insecure"},
		{22, false, `unknown cipher suite "NOPE"`},
		{22, true, "TLS_AES_128_GCM_SHA256 is a TLS 1.3 suite"},
		{23, false, `client_cert_chain: expected true or false, got "maybe"`},
		{24, false, `unknown key "listen.tls.tls_extra"`},
		{26, false, "client_auth require verifies client certificates: set client_ca_file"},
		{26, true, `does not cover "shop.example.com"`},
	}
	for _, w := range want {
		found := false
		for _, p := range ps {
			if p.Pos.Line == w.line && p.Warning == w.warning && strings.Contains(p.String(), w.text) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing problem at line %d (warning=%v): %s", w.line, w.warning, w.text)
		}
	}
	if t.Failed() {
		t.Logf("problems:\n%v", ps)
	}
}

// TestLoadTLSNames: the SNI names come from server_names, else the DNS
// names, else the CN; the client CAs load; the compiled TLS keeps the
// defaults (TLS 1.2, no client certificate).
func TestLoadTLSNames(t *testing.T) {
	dir := t.TempDir()
	later := time.Now().Add(24 * time.Hour)
	writeCert(t, dir, "def", "www.example.com", []string{"www.example.com", "Example.com"}, later)
	writeCert(t, dir, "cn", "cn-only.example.com", nil, later)
	writeCert(t, dir, "named", "x", []string{"x.example.com"}, later)
	yaml := `listen:
  - addr: ":8443"
    tls:
      cert_file: def.crt
      key_file: def.key
      certificates:
        - {cert_file: cn.crt, key_file: cn.key}
        - {cert_file: named.crt, key_file: named.key, server_names: [x.example.com, "*.x.example.com"]}
      client_auth: request
      client_ca_file: def.crt
`
	os.WriteFile(filepath.Join(dir, "jkbalancer.yaml"), []byte(yaml), 0o600)
	cfg, ps := Load(Sources{ConfigFile: filepath.Join(dir, "jkbalancer.yaml")})
	if cfg == nil || len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	spec := cfg.Server.Listen[0].TLS
	if spec.MinVersion != TLSVersion(0x0303) || spec.ClientAuth != ClientAuthRequest || spec.ClientCertChain != nil {
		t.Errorf("compiled %+v", spec)
	}
	m, ps := LoadTLS(spec, time.Now())
	if m == nil || len(ps) != 0 {
		t.Fatalf("LoadTLS: %v", ps)
	}
	var got []string
	for _, nc := range m.Certificates {
		got = append(got, strings.Join(nc.Names, ","))
	}
	if want := "www.example.com,example.com|cn-only.example.com|x.example.com,*.x.example.com"; strings.Join(got, "|") != want {
		t.Errorf("names %q, want %q", strings.Join(got, "|"), want)
	}
	if m.ClientCAs == nil {
		t.Error("no client CA pool")
	}
}
