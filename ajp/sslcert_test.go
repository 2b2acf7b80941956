package ajp

import "testing"

// TestSSLCertKeepsLineFeeds: ssl_cert goes out as PEM with its line feeds,
// like mod_jk forwards mod_ssl's SSL_CLIENT_CERT (Tomcat's certificate
// parser needs them); NUL and CR are still refused.
func TestSSLCertKeepsLineFeeds(t *testing.T) {
	const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	req := &Request{Method: "GET", Protocol: "HTTP/1.1", URI: "/", RemoteAddr: "10.0.0.1", ServerName: "h",
		ServerPort: 443, IsSSL: true, SSLCert: cert, SSLKeySize: -1}
	pkt, err := AppendForward(nil, req, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeForward(pkt[4:])
	if err != nil {
		t.Fatal(err)
	}
	if got.SSLCert != cert {
		t.Fatalf("ssl_cert %q, want %q", got.SSLCert, cert)
	}
	for _, bad := range []string{"a\x00b", "a\r\nb"} {
		req.SSLCert = bad
		if _, err := AppendForward(nil, req, 0); err == nil {
			t.Errorf("ssl_cert %q was encoded", bad)
		}
	}
	// Headers still refuse line feeds: they come from the client.
	req.SSLCert = ""
	req.Headers = []Header{{Name: "X-A", Value: "a\nb"}}
	if _, err := AppendForward(nil, req, 0); err == nil {
		t.Error("a header value with LF was encoded")
	}
}
