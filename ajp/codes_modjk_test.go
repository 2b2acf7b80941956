package ajp

import (
	"bytes"
	"testing"
)

// TestAcceptStarHeadersAreStrings: mod_jk 1.2.48 sends Accept-Charset,
// Accept-Encoding and Accept-Language as string names in the client's
// spelling (its sc_for_req_header only ever matches a bare Accept), so
// Tomcat reports them as the client spelt them. Found by the generated
// differential harness (server/differential_gen_test.go).
func TestAcceptStarHeadersAreStrings(t *testing.T) {
	for _, n := range []string{"Accept-Charset", "accept-encoding", "ACCEPT-LANGUAGE", "Accept-Language"} {
		if c := requestHeaderCode(n); c != 0 {
			t.Errorf("%q is sent as code %#x; mod_jk sends it as a string", n, c)
		}
		req := &Request{Method: "GET", Protocol: "HTTP/1.1", URI: "/", RemoteAddr: "127.0.0.1", ServerName: "h",
			ServerPort: 80, SSLKeySize: -1, Headers: []Header{{Name: n, Value: "v"}}}
		p, err := AppendForward(nil, req, DefaultPacketSize)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(p, append([]byte(n), 0)) {
			t.Errorf("%q: the name is not in the packet as a string: % x", n, p)
		}
		got, err := DecodeForward(p[4:])
		if err != nil || len(got.Headers) != 1 || got.Headers[0].Name != n {
			t.Errorf("%q: decoded as %+v, %v", n, got, err)
		}
	}
	// Accept itself stays coded, as in mod_jk.
	if c := requestHeaderCode("Accept"); c != reqHeaderBase+1 {
		t.Errorf("Accept: %#x", c)
	}
}
