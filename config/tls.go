package config

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
	"time"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

// TLSMaterial is what a listener's certificate files hold, parsed: the
// server builds its handshake configuration from it at startup and again
// on every SIGHUP.
type TLSMaterial struct {
	// Certificates[0] is the default certificate; the others are the SNI
	// certificates in the order they were configured.
	Certificates []NamedCertificate
	// ClientCAs verifies client certificates; nil when client_ca_file is
	// not set (or not used: client_auth none).
	ClientCAs *x509.CertPool
}

// NamedCertificate is one certificate with the SNI names that select it
// (lower case; "*.example.com" matches one label).
type NamedCertificate struct {
	Names []string
	Cert  *tls.Certificate
}

// LoadTLS reads and checks the files t names, as Load does. The material
// is nil when there is an error; warnings (an expired certificate, a
// server name the certificate does not cover) come with it.
func LoadTLS(t *TLS, now time.Time) (*TLSMaterial, Problems) {
	var c diag.Collector
	m := loadTLS(t, os.ReadFile, now, &c)
	if c.Failed() {
		return nil, c.Problems
	}
	return m, c.Problems
}

// checkListenerTLS checks the certificate files of every TLS listener, so
// that Load reports a missing file, bad PEM or a key that does not match
// with the line of the yaml key, together with every other problem.
func checkListenerTLS(ls []Listener, read func(string) ([]byte, error), now time.Time, c *diag.Collector) {
	for _, l := range ls {
		if l.TLS != nil {
			loadTLS(l.TLS, read, now, c)
		}
	}
}

func loadTLS(t *TLS, read func(string) ([]byte, error), now time.Time, c *diag.Collector) *TLSMaterial {
	m := &TLSMaterial{}
	var loaded []Certificate
	for i, spec := range append([]Certificate{t.Certificate}, t.Certificates...) {
		if spec.CertFile == "" || spec.KeyFile == "" {
			continue // reported by the yaml reader
		}
		prefix := "listen.tls."
		if i > 0 {
			prefix = "listen.tls.certificates."
		}
		if nc := loadCertificate(spec, prefix, read, now, c); nc != nil {
			m.Certificates = append(m.Certificates, *nc)
			loaded = append(loaded, spec)
		}
	}
	warnShadowedNames(m.Certificates, loaded, c)
	if t.ClientCAFile != "" && t.ClientAuth != ClientAuthNone {
		m.ClientCAs = loadClientCAs(t.ClientCAFile, t.ClientCAPos, read, now, c)
	}
	return m
}

// loadCertificate reads one certificate and its key. Every problem names
// the file and the yaml key that named it.
func loadCertificate(spec Certificate, prefix string, read func(string) ([]byte, error), now time.Time,
	c *diag.Collector) *NamedCertificate {
	certKey, keyKey := prefix+"cert_file", prefix+"key_file"
	certPEM, cerr := read(spec.CertFile)
	if cerr != nil {
		c.Errorf(spec.CertPos, "", certKey, "cannot read the certificate: %v", cerr)
	}
	keyPEM, kerr := read(spec.KeyFile)
	if kerr != nil {
		c.Errorf(spec.KeyPos, "", keyKey, "cannot read the private key: %v", kerr)
	}
	if cerr != nil || kerr != nil {
		return nil
	}
	ok := true
	if !hasPEMBlock(certPEM, func(typ string) bool { return typ == "CERTIFICATE" }) {
		c.Errorf(spec.CertPos, "", certKey, "%s holds no PEM CERTIFICATE block", spec.CertFile)
		ok = false
	}
	if !hasPEMBlock(keyPEM, func(typ string) bool { return strings.HasSuffix(typ, "PRIVATE KEY") }) {
		c.Errorf(spec.KeyPos, "", keyKey, "%s holds no PEM PRIVATE KEY block", spec.KeyFile)
		ok = false
	}
	if !ok {
		return nil
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			c.Errorf(spec.KeyPos, "", keyKey, "the private key in %s does not match the certificate in %s", spec.KeyFile, spec.CertFile)
		} else {
			c.Errorf(spec.CertPos, "", certKey, "%s with key %s: %v", spec.CertFile, spec.KeyFile, err)
		}
		return nil
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			c.Errorf(spec.CertPos, "", certKey, "%s: %v", spec.CertFile, err)
			return nil
		}
		pair.Leaf = leaf
	}
	warnValidity(leaf, spec.CertFile, spec.CertPos, certKey, now, c)
	names := certNames(spec, prefix, leaf, c)
	if len(names) == 0 && prefix != "listen.tls." {
		c.Errorf(spec.CertPos, "", certKey, "%s has no DNS name and its CN is not a host name, so no SNI name selects it: add server_names", spec.CertFile)
		return nil
	}
	return &NamedCertificate{Names: names, Cert: &pair}
}

// certNames are the SNI names of a certificate: the configured ones, else
// its DNS names, else its CN (what httpd matches a ServerName against).
// IP addresses are never SNI names (RFC 6066 3).
func certNames(spec Certificate, prefix string, leaf *x509.Certificate, c *diag.Collector) []string {
	if len(spec.ServerNames) > 0 {
		for _, n := range spec.ServerNames {
			if err := leaf.VerifyHostname(n); err != nil && !strings.HasPrefix(n, "*.") {
				c.Warnf(spec.CertPos, "", prefix+"server_names", "%s does not cover %q: clients that check the name will refuse the handshake", spec.CertFile, n)
			}
		}
		return spec.ServerNames
	}
	var names []string
	for _, n := range leaf.DNSNames {
		names = append(names, strings.ToLower(n))
	}
	if len(names) == 0 && leaf.Subject.CommonName != "" && !strings.ContainsAny(leaf.Subject.CommonName, " /:") {
		names = append(names, strings.ToLower(leaf.Subject.CommonName))
	}
	return names
}

// warnShadowedNames warns when two certificates of the same key type
// claim one name: only the first is ever chosen. Certificates of
// different types (RSA and ECDSA) may share names; the handshake picks
// the one the client supports. specs[i] is the spec of certs[i].
func warnShadowedNames(certs []NamedCertificate, specs []Certificate, c *diag.Collector) {
	type claim struct {
		file string
		alg  x509.PublicKeyAlgorithm
	}
	seen := make(map[string][]claim)
	for i, nc := range certs {
		alg := nc.Cert.Leaf.PublicKeyAlgorithm
		for _, n := range nc.Names {
			for _, cl := range seen[n] {
				if cl.alg == alg {
					c.Warnf(specs[i].CertPos, "", "listen.tls.certificates.server_names", "%q is also claimed by %s, which comes first and is always chosen for it", n, cl.file)
				}
			}
			seen[n] = append(seen[n], claim{file: specs[i].CertFile, alg: alg})
		}
	}
}

// loadClientCAs reads client_ca_file: every CERTIFICATE block in it.
func loadClientCAs(file string, pos Pos, read func(string) ([]byte, error), now time.Time, c *diag.Collector) *x509.CertPool {
	data, err := read(file)
	if err != nil {
		c.Errorf(pos, "", "listen.tls.client_ca_file", "cannot read the client CA certificates: %v", err)
		return nil
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		ca, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			c.Errorf(pos, "", "listen.tls.client_ca_file", "%s: certificate %d: %v", file, n+1, err)
			return nil
		}
		warnValidity(ca, file, pos, "listen.tls.client_ca_file", now, c)
		pool.AddCert(ca)
		n++
	}
	if n == 0 {
		c.Errorf(pos, "", "listen.tls.client_ca_file", "%s holds no PEM CERTIFICATE block", file)
		return nil
	}
	return pool
}

// warnValidity warns about a certificate outside its validity period: it
// still loads (httpd starts with an expired certificate too), but clients
// refuse it.
func warnValidity(cert *x509.Certificate, file string, pos Pos, prop string, now time.Time, c *diag.Collector) {
	switch {
	case now.After(cert.NotAfter):
		c.Warnf(pos, "", prop, "the certificate in %s (%s) expired on %s: clients will refuse it", file,
			cert.Subject.String(), cert.NotAfter.UTC().Format(time.DateOnly))
	case now.Before(cert.NotBefore):
		c.Warnf(pos, "", prop, "the certificate in %s (%s) is not valid before %s: clients will refuse it until then", file,
			cert.Subject.String(), cert.NotBefore.UTC().Format(time.RFC3339))
	}
}

func hasPEMBlock(data []byte, want func(string) bool) bool {
	for rest := bytes.TrimSpace(data); len(rest) > 0; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return false
		}
		if want(b.Type) {
			return true
		}
	}
	return false
}
