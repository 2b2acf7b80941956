package config

import (
	"crypto/tls"
	"strings"
)

// ClientAuth is a listener's client-certificate policy. The names are
// jkbalancer's; httpd's SSLVerifyClient values are accepted as synonyms.
type ClientAuth uint8

const (
	// ClientAuthNone asks for no certificate (SSLVerifyClient none).
	ClientAuthNone ClientAuth = iota
	// ClientAuthRequest asks for a certificate and accepts any, verified
	// or not, or none (SSLVerifyClient optional_no_ca). The certificate
	// is forwarded to the members, who must judge it themselves.
	ClientAuthRequest
	// ClientAuthRequire refuses the handshake without a certificate that
	// client_ca_file verifies (SSLVerifyClient require).
	ClientAuthRequire
	// ClientAuthVerifyIfGiven accepts a client without a certificate, but
	// refuses one whose certificate client_ca_file does not verify
	// (SSLVerifyClient optional).
	ClientAuthVerifyIfGiven
)

var clientAuthNames = [...]string{"none", "request", "require", "verify_if_given"}

func (a ClientAuth) String() string {
	if int(a) < len(clientAuthNames) {
		return clientAuthNames[a]
	}
	return "invalid"
}

func (a ClientAuth) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// TLSType is the crypto/tls policy that implements a.
func (a ClientAuth) TLSType() tls.ClientAuthType {
	switch a {
	case ClientAuthRequest:
		return tls.RequestClientCert
	case ClientAuthRequire:
		return tls.RequireAndVerifyClientCert
	case ClientAuthVerifyIfGiven:
		return tls.VerifyClientCertIfGiven
	}
	return tls.NoClientCert
}

// needsCA reports whether the policy verifies certificates.
func (a ClientAuth) needsCA() bool { return a == ClientAuthRequire || a == ClientAuthVerifyIfGiven }

// ParseClientAuth reads a client_auth value, jkbalancer's names or
// httpd's SSLVerifyClient ones.
func ParseClientAuth(s string) (ClientAuth, bool) {
	switch strings.ToLower(s) {
	case "none", "":
		return ClientAuthNone, true
	case "request", "optional_no_ca":
		return ClientAuthRequest, true
	case "require":
		return ClientAuthRequire, true
	case "verify_if_given", "optional":
		return ClientAuthVerifyIfGiven, true
	}
	return 0, false
}

// TLSVersion is a TLS protocol version (tls.VersionTLS12...), written
// "1.2" in jkbalancer.yaml.
type TLSVersion uint16

func (v TLSVersion) String() string {
	switch uint16(v) {
	case tls.VersionTLS10:
		return "1.0"
	case tls.VersionTLS11:
		return "1.1"
	case tls.VersionTLS12:
		return "1.2"
	case tls.VersionTLS13:
		return "1.3"
	}
	return "invalid"
}

func (v TLSVersion) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// parseTLSVersion accepts "1.2", "TLSv1.2" and "TLS1.2".
func parseTLSVersion(s string) (TLSVersion, bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.ToUpper(s), "TLS"), "V")
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13} {
		if TLSVersion(v).String() == s {
			return TLSVersion(v), true
		}
	}
	return 0, false
}

// CipherSuite is a TLS cipher suite id; it prints as OpenSSL names it.
type CipherSuite uint16

func (c CipherSuite) MarshalText() ([]byte, error) { return []byte(OpenSSLCipherName(uint16(c))), nil }

// cipherInfo pairs a suite Go implements with the name OpenSSL, and so
// mod_ssl's SSL_CIPHER, gives it, and SSL_CIPHER_USEKEYSIZE: the
// strength bits OpenSSL reports (112 for 3DES, not its 168 key bits).
type cipherInfo struct {
	id      uint16
	openssl string
	bits    int
}

// cipherTable covers every suite crypto/tls can negotiate. Read-only.
var cipherTable = [...]cipherInfo{
	{tls.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", 128},
	{tls.TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", 256},
	{tls.TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256", 256},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256", 128},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384", 256},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256", 128},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384", 256},
	{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305", 256},
	{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305", 256},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "ECDHE-ECDSA-AES128-SHA", 128},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ECDHE-ECDSA-AES256-SHA", 256},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "ECDHE-RSA-AES128-SHA", 128},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "ECDHE-RSA-AES256-SHA", 256},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "ECDHE-ECDSA-AES128-SHA256", 128},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE-RSA-AES128-SHA256", 128},
	{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "AES128-GCM-SHA256", 128},
	{tls.TLS_RSA_WITH_AES_256_GCM_SHA384, "AES256-GCM-SHA384", 256},
	{tls.TLS_RSA_WITH_AES_128_CBC_SHA, "AES128-SHA", 128},
	{tls.TLS_RSA_WITH_AES_256_CBC_SHA, "AES256-SHA", 256},
	{tls.TLS_RSA_WITH_AES_128_CBC_SHA256, "AES128-SHA256", 128},
	{tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, "ECDHE-RSA-DES-CBC3-SHA", 112},
	{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, "DES-CBC3-SHA", 112},
	{tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, "ECDHE-ECDSA-RC4-SHA", 128},
	{tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, "ECDHE-RSA-RC4-SHA", 128},
	{tls.TLS_RSA_WITH_RC4_128_SHA, "RC4-SHA", 128},
}

func cipherByID(id uint16) *cipherInfo {
	for i := range cipherTable {
		if cipherTable[i].id == id {
			return &cipherTable[i]
		}
	}
	return nil
}

// OpenSSLCipherName is the name mod_ssl reports as SSL_CIPHER for a
// suite, e.g. ECDHE-RSA-AES128-GCM-SHA256 (TLS 1.2) or
// TLS_AES_128_GCM_SHA256 (TLS 1.3). A suite missing from the table falls
// back to Go's (IANA) name.
func OpenSSLCipherName(id uint16) string {
	if c := cipherByID(id); c != nil {
		return c.openssl
	}
	return tls.CipherSuiteName(id)
}

// CipherKeyBits is mod_ssl's SSL_CIPHER_USEKEYSIZE for a suite, or -1
// when the suite is unknown.
func CipherKeyBits(id uint16) int {
	if c := cipherByID(id); c != nil {
		return c.bits
	}
	return -1
}

// lookupCipherSuite finds a suite by its OpenSSL name or its IANA name
// (as Go spells it), case-insensitively.
func lookupCipherSuite(name string) (uint16, bool) {
	for i := range cipherTable {
		c := &cipherTable[i]
		if strings.EqualFold(name, c.openssl) || strings.EqualFold(name, tls.CipherSuiteName(c.id)) {
			return c.id, true
		}
	}
	return 0, false
}

// isTLS13Suite reports whether id is a TLS 1.3 suite (not configurable in
// crypto/tls).
func isTLS13Suite(id uint16) bool {
	for _, s := range tls.CipherSuites() {
		if s.ID == id {
			for _, v := range s.SupportedVersions {
				if v != tls.VersionTLS13 {
					return false
				}
			}
			return true
		}
	}
	return false
}

// isInsecureSuite reports whether Go lists id among its insecure suites.
func isInsecureSuite(id uint16) bool {
	for _, s := range tls.InsecureCipherSuites() {
		if s.ID == id {
			return true
		}
	}
	return false
}
