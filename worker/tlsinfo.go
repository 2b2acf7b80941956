package worker

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/pem"
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
)

// TLSInfo is what the client's TLS connection tells the members: the
// values mod_ssl exports and mod_jk forwards (docs/config.md#jkoptions). The
// server computes it once per connection; AJP members get it as is_ssl,
// ssl_cert, ssl_cipher, ssl_session, ssl_key_size and AJP_SSL_PROTOCOL,
// HTTP members as X-SSL-* headers. Read-only once built.
type TLSInfo struct {
	// Protocol is SSL_PROTOCOL: "TLSv1.2" or "TLSv1.3".
	Protocol string
	// Cipher is SSL_CIPHER: the OpenSSL name of the suite, e.g.
	// ECDHE-RSA-AES128-GCM-SHA256 or TLS_AES_128_GCM_SHA256.
	Cipher string
	// KeyBits is SSL_CIPHER_USEKEYSIZE (128, 256...), -1 when unknown.
	KeyBits int
	// SessionID stands in for SSL_SESSION_ID, which Go does not expose:
	// 64 lower-case hex digits (mod_ssl's format) of keying material
	// exported from the connection (RFC 5705). It identifies the TLS
	// connection: a resumed session gets a new one, unlike mod_ssl's.
	SessionID string
	// ClientCert is SSL_CLIENT_CERT, the client's certificate as PEM,
	// followed by the rest of the chain the client sent when chain
	// forwarding is on (JkOptions +ForwardSSLCertChain appends
	// SSL_CLIENT_CERT_CHAIN_n). "" without a client certificate.
	ClientCert string
}

// sessionLabel is the RFC 5705 exporter label of SessionID; labels
// starting with EXPERIMENTAL need no IANA registration (RFC 5705 4).
const sessionLabel = "EXPERIMENTAL jkbalancer ssl_session"

// NewTLSInfo computes the facts of one client connection; withChain adds
// the intermediate certificates the client sent to ClientCert.
func NewTLSInfo(cs *tls.ConnectionState, withChain bool) *TLSInfo {
	info := &TLSInfo{
		Protocol: tlsProtocolName(cs.Version),
		Cipher:   config.OpenSSLCipherName(cs.CipherSuite),
		KeyBits:  config.CipherKeyBits(cs.CipherSuite),
	}
	id, err := cs.ExportKeyingMaterial(sessionLabel, nil, 32)
	if err != nil {
		// TLS 1.2 without extended master secret (RFC 7627) cannot
		// export; every client of this decade sends it. A random id still
		// tells connections apart.
		id = make([]byte, 32)
		rand.Read(id)
	}
	info.SessionID = hex.EncodeToString(id)
	certs := cs.PeerCertificates
	if len(certs) > 1 && !withChain {
		certs = certs[:1]
	}
	if len(certs) > 0 {
		var b strings.Builder
		for _, c := range certs {
			_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		}
		info.ClientCert = b.String()
	}
	return info
}

// tlsProtocolName spells a version the way mod_ssl's SSL_PROTOCOL does.
func tlsProtocolName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1"
	}
	return ""
}
