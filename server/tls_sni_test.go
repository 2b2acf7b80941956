package server

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// handshakeCN dials addr with the given SNI name and returns the common
// name of the certificate the server presented.
func handshakeCN(t *testing.T, addr, serverName string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: serverName, InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("handshake with SNI %q: %v", serverName, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// TestSNIChoosesCertificate: the SNI name picks the certificate that
// claims it, by its DNS names, by server_names, or by a wildcard; an
// unknown name and a client without SNI get the default certificate.
// Among certificates for one name, the one the client supports wins.
func TestSNIChoosesCertificate(t *testing.T) {
	def := issue(t, certSpec{cn: "default", dns: []string{"www.example.com"}}, nil)
	shop := issue(t, certSpec{cn: "shop", dns: []string{"shop.example.com"}}, nil)
	wild := issue(t, certSpec{cn: "wild", dns: []string{"*.apps.example.com"}}, nil)
	legacy := issue(t, certSpec{cn: "legacy", dns: []string{"legacy.example.org"}}, nil)
	rsaShop := issue(t, certSpec{cn: "shop-rsa", dns: []string{"shop.example.com"}, rsa: true}, nil)
	files := map[string]string{}
	for name, c := range map[string]*testCert{"def": def, "shop": shop, "wild": wild, "legacy": legacy, "rsashop": rsaShop} {
		files[name+".crt"], files[name+".key"] = c.certPEM, c.keyPEM
	}
	rig := startTLSRig(t, `cert_file: def.crt
key_file: def.key
certificates:
  - {cert_file: shop.crt, key_file: shop.key}
  - {cert_file: rsashop.crt, key_file: rsashop.key}
  - {cert_file: wild.crt, key_file: wild.key}
  - {cert_file: legacy.crt, key_file: legacy.key, server_names: [old.example.net, Legacy.Example.ORG]}`, "", files)
	for sni, want := range map[string]string{
		"shop.example.com":     "shop",
		"SHOP.example.com.":    "shop",
		"a.apps.example.com":   "wild",
		"a.b.apps.example.com": "default", // a wildcard covers one label
		"old.example.net":      "legacy",
		"legacy.example.org":   "legacy",
		"www.example.com":      "default",
		"unknown.example.com":  "default",
		"":                     "default", // no SNI (an IP address is never sent as SNI)
	} {
		if got := handshakeCN(t, rig.addr, sni); got != want {
			t.Errorf("SNI %q: certificate %q, want %q", sni, got, want)
		}
	}
	// A TLS 1.2 client that only does RSA signatures gets the RSA
	// certificate of the same name.
	conn, err := tls.Dial("tcp", rig.addr, &tls.Config{ServerName: "shop.example.com", InsecureSkipVerify: true,
		MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if cn := conn.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "shop-rsa" {
		t.Errorf("RSA-only client got %q, want shop-rsa", cn)
	}
	// ALPN offers HTTP/2.
	if st, r, err := rig.request(t, &tls.Config{InsecureSkipVerify: true, ServerName: "shop.example.com"}); err != nil || st != 200 || r.Protocol != "HTTP/2.0" {
		t.Errorf("request: status %d err %v", st, err)
	}
}

// TestClientAuthModes: require refuses a client without a certificate;
// verify_if_given accepts one without but refuses a certificate from an
// unknown CA; request takes any certificate, verified or not, and passes
// it on.
func TestClientAuthModes(t *testing.T) {
	ca := issue(t, certSpec{cn: "Good CA", ca: true}, nil)
	other := issue(t, certSpec{cn: "Other CA", ca: true}, nil)
	good := issue(t, certSpec{cn: "good-client", client: true}, ca)
	stranger := issue(t, certSpec{cn: "stranger", client: true}, other)
	srv := issue(t, certSpec{cn: "127.0.0.1"}, nil)
	files := map[string]string{"s.crt": srv.certPEM, "s.key": srv.keyPEM, "ca.pem": ca.certPEM}
	type attempt struct {
		client *testCert // nil = no certificate
		ok     bool
	}
	cases := []struct {
		mode     string
		attempts []attempt
	}{
		{"require", []attempt{{nil, false}, {stranger, false}, {good, true}}},
		{"verify_if_given", []attempt{{nil, true}, {stranger, false}, {good, true}}},
		{"request", []attempt{{nil, true}, {stranger, true}, {good, true}}},
		{"none", []attempt{{nil, true}}},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			y := "cert_file: s.crt\nkey_file: s.key\nclient_auth: " + tc.mode
			if tc.mode != "none" {
				y += "\nclient_ca_file: ca.pem"
			}
			rig := startTLSRig(t, y, "", files)
			for _, a := range tc.attempts {
				for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
					cc := &tls.Config{RootCAs: pool(srv), MaxVersion: version}
					who := "no certificate"
					if a.client != nil {
						// Sent even when the server names other CAs (Go's
						// client would otherwise keep it back).
						c := a.client.tlsCert()
						cc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c, nil }
						who = a.client.cert.Subject.CommonName
					}
					st, r, err := rig.request(t, cc)
					switch {
					case a.ok && (err != nil || st != 200):
						t.Errorf("%s, TLS %x: status %d err %v; want 200", who, version, st, err)
					case !a.ok && err == nil:
						t.Errorf("%s, TLS %x: status %d; want the handshake refused", who, version, st)
					case a.ok && a.client != nil && r.SSLCert != a.client.certPEM:
						t.Errorf("%s, TLS %x: ssl_cert %q; want the client's certificate", who, version, r.SSLCert)
					case a.ok && a.client == nil && r.SSLCert != "":
						t.Errorf("no certificate, TLS %x: ssl_cert %q; want none", version, r.SSLCert)
					}
				}
			}
		})
	}
}

// TestMinVersionAndCiphers: min_version 1.3 refuses a TLS 1.2 client;
// cipher_suites limits what TLS 1.2 may negotiate.
func TestMinVersionAndCiphers(t *testing.T) {
	srv := issue(t, certSpec{cn: "127.0.0.1"}, nil)
	files := map[string]string{"s.crt": srv.certPEM, "s.key": srv.keyPEM}
	dial := func(addr string, cc *tls.Config) error {
		cc.RootCAs = pool(srv)
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cc)
		if err == nil {
			c.Close()
		}
		return err
	}
	rig13 := startTLSRig(t, "cert_file: s.crt\nkey_file: s.key\nmin_version: \"1.3\"", "", files)
	if err := dial(rig13.addr, &tls.Config{MaxVersion: tls.VersionTLS12}); err == nil {
		t.Error("min_version 1.3 accepted a TLS 1.2 client")
	}
	if err := dial(rig13.addr, &tls.Config{}); err != nil {
		t.Errorf("min_version 1.3 refused a TLS 1.3 client: %v", err)
	}
	rigCS := startTLSRig(t, "cert_file: s.crt\nkey_file: s.key\ncipher_suites: [ECDHE-ECDSA-AES256-GCM-SHA384]", "", files)
	if err := dial(rigCS.addr, &tls.Config{MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}); err == nil {
		t.Error("a TLS 1.2 suite outside cipher_suites was negotiated")
	}
	if err := dial(rigCS.addr, &tls.Config{MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}}); err != nil {
		t.Errorf("the listed suite was refused: %v", err)
	}
}
