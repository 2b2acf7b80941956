package config

import (
	"crypto/tls"
	"net"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// listen reads listeners: a plain string is an HTTP listener, a mapping
// {addr, tls: {...}} an HTTPS one.
func (y *yamlLoader) listen(n *yaml.Node) {
	n = deref(n)
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []Listener
	for _, it := range items {
		it = deref(it)
		var l Listener
		if it.Kind == yaml.MappingNode {
			y.mapping(it, "listen.", map[string]yamlHandler{
				"addr": func(y *yamlLoader, v *yaml.Node) { l.Addr = y.str(v) },
				"tls":  func(y *yamlLoader, v *yaml.Node) { l.TLS = y.tls(v) },
			})
		} else {
			l.Addr = y.str(it)
		}
		if err := CheckListenAddr(l.Addr); err != "" {
			y.c.Errorf(y.pos(it), "", "listen", "%s", err)
			continue
		}
		out = append(out, l)
	}
	y.out.server.Listen = out
}

// tls reads a listener's tls mapping: the default certificate, the SNI
// certificates, the protocol settings and the client-certificate policy.
// The files themselves are checked later, by checkListenerTLS.
func (y *yamlLoader) tls(n *yaml.Node) *TLS {
	t := &TLS{Pos: y.pos(n), MinVersion: TLSVersion(tls.VersionTLS12)}
	y.mapping(n, "listen.tls.", y.tlsHandlers(t))
	if t.CertFile == "" || t.KeyFile == "" {
		y.c.Errorf(t.Pos, "", "listen.tls", "tls needs both cert_file and key_file")
	}
	switch {
	case t.ClientAuth.needsCA() && t.ClientCAFile == "":
		y.c.Errorf(t.Pos, "", "listen.tls.client_ca_file", "client_auth %s verifies client certificates: set client_ca_file to the CA certificates that sign them (SSLCACertificateFile)", t.ClientAuth)
	case t.ClientAuth == ClientAuthNone && t.ClientCAFile != "":
		y.c.Warnf(t.ClientCAPos, "", "listen.tls.client_ca_file", "ignored: client_auth is none, so no client certificate is asked for")
	}
	switch {
	case t.MinVersion == tls.VersionTLS13 && len(t.CipherSuites) > 0:
		y.c.Warnf(t.Pos, "", "listen.tls.cipher_suites", "ignored: cipher_suites only apply to TLS 1.2 and min_version is 1.3")
	case len(t.CipherSuites) > 0 && !slices.ContainsFunc(t.CipherSuites, h2Suite):
		// RFC 9113 9.2.2: HTTP/2 over TLS 1.2 needs this AEAD suite;
		// Go's HTTP/2 server refuses the others with INADEQUATE_SECURITY.
		y.c.Warnf(t.Pos, "", "listen.tls.cipher_suites", "no ECDHE-RSA-AES128-GCM-SHA256 or ECDHE-ECDSA-AES128-GCM-SHA256: HTTP/2 clients limited to TLS 1.2 may fail (RFC 9113 9.2.2)")
	}
	return t
}

func h2Suite(c CipherSuite) bool {
	return uint16(c) == tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 || uint16(c) == tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
}

// tlsHandlers are the keys of a listener's tls mapping.
func (y *yamlLoader) tlsHandlers(t *TLS) map[string]yamlHandler {
	h := y.certificateKeys(&t.Certificate)
	h["certificates"] = func(y *yamlLoader, v *yaml.Node) { t.Certificates = y.certificates(v) }
	h["min_version"] = func(y *yamlLoader, v *yaml.Node) {
		s := y.str(v)
		if mv, ok := parseTLSVersion(s); ok {
			t.MinVersion = mv
			if mv < tls.VersionTLS12 {
				y.c.Warnf(y.pos(v), "", y.key, "TLS %s is deprecated (RFC 8996) and refused by current browsers; use 1.2", s)
			}
			return
		}
		y.c.Errorf(y.pos(v), "", y.key, "%q is not a TLS version: write 1.2 or 1.3", s)
	}
	h["cipher_suites"] = func(y *yamlLoader, v *yaml.Node) { t.CipherSuites = y.cipherSuites(v) }
	h["client_auth"] = func(y *yamlLoader, v *yaml.Node) {
		s := y.str(v)
		if a, ok := ParseClientAuth(s); ok {
			t.ClientAuth = a
			return
		}
		y.c.Errorf(y.pos(v), "", y.key, "%q is not a client_auth policy: write none, request, require or verify_if_given (SSLVerifyClient none, optional_no_ca, require, optional)", s)
	}
	h["client_ca_file"] = func(y *yamlLoader, v *yaml.Node) {
		t.ClientCAFile, t.ClientCAPos = y.path(y.str(v)), y.pos(v)
	}
	h["client_cert_chain"] = func(y *yamlLoader, v *yaml.Node) {
		if b, ok := y.bool(v); ok {
			t.ClientCertChain = &b
		}
	}
	return h
}

// certificateKeys are the keys of one certificate: the default one at
// the top of tls, or an entry of certificates.
func (y *yamlLoader) certificateKeys(c *Certificate) map[string]yamlHandler {
	return map[string]yamlHandler{
		"cert_file": func(y *yamlLoader, v *yaml.Node) { c.CertFile, c.CertPos = y.path(y.str(v)), y.pos(v) },
		"key_file":  func(y *yamlLoader, v *yaml.Node) { c.KeyFile, c.KeyPos = y.path(y.str(v)), y.pos(v) },
		"server_names": func(y *yamlLoader, v *yaml.Node) {
			for _, tok := range y.strList(v, false) {
				name := strings.ToLower(strings.TrimSuffix(tok.Text, "."))
				if name == "" || strings.ContainsAny(name, " \t/:") {
					y.c.Errorf(tok.Pos, "", y.key, "%q is not a host name", tok.Text)
					continue
				}
				c.ServerNames = append(c.ServerNames, name)
			}
		},
	}
}

// certificates reads the SNI certificates: a list of mappings.
func (y *yamlLoader) certificates(n *yaml.Node) []Certificate {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		y.c.Errorf(y.pos(n), "", y.key, "expected a list of {cert_file, key_file, server_names}")
		return nil
	}
	var out []Certificate
	for _, it := range n.Content {
		var c Certificate
		y.mapping(it, "listen.tls.certificates.", y.certificateKeys(&c))
		if c.CertFile == "" || c.KeyFile == "" {
			y.c.Errorf(y.pos(it), "", "listen.tls.certificates", "each certificate needs both cert_file and key_file")
			continue
		}
		out = append(out, c)
	}
	return out
}

// cipherSuites reads the TLS 1.2 suites, by OpenSSL or IANA name.
func (y *yamlLoader) cipherSuites(n *yaml.Node) []CipherSuite {
	var out []CipherSuite
	for _, tok := range y.strList(n, false) {
		id, ok := lookupCipherSuite(tok.Text)
		switch {
		case !ok:
			y.c.Errorf(tok.Pos, "", y.key, "unknown cipher suite %q: write an OpenSSL name such as ECDHE-RSA-AES128-GCM-SHA256 or an IANA name such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (OpenSSL cipher strings like HIGH:!aNULL are not understood)", tok.Text)
			continue
		case isTLS13Suite(id):
			y.c.Warnf(tok.Pos, "", y.key, "%s is a TLS 1.3 suite; TLS 1.3 suites are always enabled and cannot be chosen; ignored", tok.Text)
			continue
		case isInsecureSuite(id):
			y.c.Warnf(tok.Pos, "", y.key, "%s is insecure (no forward secrecy or a broken cipher); keep it only for clients that have nothing better", tok.Text)
		}
		out = append(out, CipherSuite(id))
	}
	return out
}

// bool reads a YAML boolean (true/false, yes/no, on/off).
func (y *yamlLoader) bool(n *yaml.Node) (bool, bool) {
	var b bool
	if err := deref(n).Decode(&b); err != nil {
		switch strings.ToLower(deref(n).Value) {
		case "yes", "on":
			return true, true
		case "no", "off":
			return false, true
		}
		y.c.Errorf(y.pos(n), "", y.key, "expected true or false, got %q", deref(n).Value)
		return false, false
	}
	return b, true
}

// CheckListenAddr returns a message when addr is not host:port.
func CheckListenAddr(addr string) string {
	if addr == "" {
		return "listener without an address: write e.g. \":8080\""
	}
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return "listen address " + strconv.Quote(addr) + " is not host:port (e.g. \":8080\" or \"127.0.0.1:8080\")"
	}
	return ""
}
