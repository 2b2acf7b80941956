package server

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// testCert is a certificate made in a test: its PEM files and the parsed
// forms a client or a comparison needs.
type testCert struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM string // the certificate alone
	keyPEM  string
}

// tlsCert is the certificate followed by the given issuers, as a server
// or a client presents it.
func (c *testCert) tlsCert(chain ...*testCert) tls.Certificate {
	tc := tls.Certificate{Certificate: [][]byte{c.cert.Raw}, PrivateKey: c.key, Leaf: c.cert}
	for _, ca := range chain {
		tc.Certificate = append(tc.Certificate, ca.cert.Raw)
	}
	return tc
}

// certSpec says what to issue. Zero values give an ECDSA P-256
// certificate valid from an hour ago for a day.
type certSpec struct {
	cn       string
	dns      []string
	client   bool // client authentication instead of server
	ca       bool
	rsa      bool
	notAfter time.Time
}

var testSerial atomic.Int64

// issue makes a certificate signed by parent (self-signed when nil).
func issue(t testing.TB, spec certSpec, parent *testCert) *testCert {
	t.Helper()
	var key crypto.Signer
	var err error
	if spec.rsa {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(testSerial.Add(1) + time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: spec.cn, Organization: []string{"jkbalancer tests"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     spec.notAfter,
		DNSNames:     spec.dns,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	}
	if spec.rsa {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	if !spec.ca && !spec.client && len(spec.dns) == 0 {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	if spec.client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	if spec.ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = nil
	}
	signer, signerCert := key, tmpl
	if parent != nil {
		signer, signerCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: cert, key: key,
		certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		keyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))}
}

// pool is a CertPool of the given CAs.
func pool(cas ...*testCert) *x509.CertPool {
	p := x509.NewCertPool()
	for _, ca := range cas {
		p.AddCert(ca.cert)
	}
	return p
}
