package ajp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestMethodCodes(t *testing.T) {
	for code := 1; code <= 27; code++ {
		c, ok := MethodCode(methods[code])
		if !ok || int(c) != code {
			t.Fatalf("%s: %d %v", methods[code], c, ok)
		}
	}
	if c, ok := MethodCode("BASELINE-CONTROL"); !ok || c != 26 {
		t.Fatal("BASELINE-CONTROL")
	}
	for _, m := range []string{"PATCH", "QUERY", "FOO-BAR", "get", "BASELINE_CONTROL", ""} {
		if _, ok := MethodCode(m); ok {
			t.Fatalf("%q is coded", m)
		}
	}
}

func TestRequestHeaderCodes(t *testing.T) {
	for code := 1; code < len(reqHeaderNames); code++ {
		if code >= 2 && code <= 4 {
			continue // Accept-*: strings, TestAcceptStarHeadersAreStrings
		}
		name := reqHeaderNames[code]
		for _, n := range []string{name, strings.ToUpper(name), strings.ToUpper(name[:1]) + name[1:]} {
			if got := requestHeaderCode(n); got != reqHeaderBase+code {
				t.Fatalf("%q: %#x", n, got)
			}
		}
	}
	for _, n := range []string{"X-Req-Id", "hosts", "cookie3", "", "content-lengthx", "accept-languag"} {
		if c := requestHeaderCode(n); c != 0 {
			t.Fatalf("%q coded %#x", n, c)
		}
	}
}

// A request that uses every field survives AppendForward -> DecodeForward.
func TestForwardRoundTrip(t *testing.T) {
	in := &Request{Method: "MKACTIVITY", Protocol: "HTTP/2.0", URI: "/a%20b;jsessionid=X.r1",
		RemoteAddr: "2001:db8::1", RemoteHost: "client.example", ServerName: "h", ServerPort: 65535,
		IsSSL: true, Headers: []Header{{"accept", "*/*"}, {"cookie", "a=1"}, {"cookie", "b=2"},
			{"X-Empty", ""}, {"content-length", "0"}},
		Secret: "s", RemoteUser: "u", AuthType: "Basic", HasQuery: true, Route: "r1",
		SSLCert: "-----BEGIN CERTIFICATE-----", SSLCipher: "c", SSLSession: "sess", SSLKeySize: 0,
		SSLProtocol: "TLSv1.3", RemotePort: "1", LocalAddr: "::1", Activation: "DIS",
		Attributes: []Header{{"X-OK-a", "1"}, {"X-OK-b", ""}}}
	b, err := AppendForward(nil, in, MaxPacketSize)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeForward(b[4:])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip\n in %+v\nout %+v", in, out)
	}
	in.Method = "QUERY" // 0xFF + stored_method
	b, _ = AppendForward(nil, in, MaxPacketSize)
	if out, err = DecodeForward(b[4:]); err != nil || out.Method != "QUERY" || b[5] != 0xFF {
		t.Fatalf("stored method: %v %v", out, err)
	}
}

func TestAppendForwardRefuses(t *testing.T) {
	for name, mut := range map[string]func(r *Request){
		"NUL in header":     func(r *Request) { r.Headers[0].Value = "a\x00b" },
		"CR in URI":         func(r *Request) { r.URI = "/a\rb" },
		"LF in query":       func(r *Request) { r.QueryString = "a\nb" },
		"LF in header name": func(r *Request) { r.Headers[1].Name = "X\nY" },
		"LF in attribute":   func(r *Request) { r.Attributes = []Header{{"a", "\n"}} },
		"absolute URI":      func(r *Request) { r.URI = "http://evil.example/x" },
		"empty URI":         func(r *Request) { r.URI = "" },
		"empty method":      func(r *Request) { r.Method = "" },
		"port":              func(r *Request) { r.ServerPort = 65536 },
		"key size":          func(r *Request) { r.SSLKeySize = 70000 },
		"empty header name": func(r *Request) { r.Headers[1].Name = "" },
		"empty attr name":   func(r *Request) { r.Attributes = []Header{{"", "v"}} },
	} {
		r := reqV2()
		mut(r)
		dst := make([]byte, 3, 100)
		b, err := AppendForward(dst, r, 0)
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindInvalid || e.Stage != StageSend {
			t.Fatalf("%s: %v", name, err)
		}
		if len(b) != 3 {
			t.Fatalf("%s: dst grew to %d", name, len(b))
		}
	}
}

func TestAppendForwardLimit(t *testing.T) {
	r := reqV2()
	base, _ := AppendForward(nil, r, 0)
	for _, p := range []int{MinPacketSize, 16384, MaxPacketSize} {
		pad := p - len(base) - 7 // one more header "X: <pad>" reaching exactly P
		r.Headers = append(reqV2().Headers, Header{"X", strings.Repeat("v", pad)})
		if b, err := AppendForward(nil, r, p); err != nil || len(b) != p {
			t.Fatalf("P=%d: exact fit refused: %d %v", p, len(b), err)
		}
		r.Headers[2].Value += "v"
		_, err := AppendForward(nil, r, p)
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindTooLarge {
			t.Fatalf("P=%d: %v", p, err)
		}
	}
}

func TestDecodeForwardErrors(t *testing.T) {
	good, _ := AppendForward(nil, reqV6(), 0)
	p := good[4:]
	for i := range len(p) - 1 {
		if _, err := DecodeForward(p[:i]); err == nil {
			t.Fatalf("truncated at %d accepted", i)
		}
	}
	for name, tc := range map[string]struct {
		at   int
		b    byte
		kind Kind
	}{
		"type":        {0, 0x07, KindInvalid},
		"method 99":   {1, 99, KindInvalid},
		"no term":     {12, 'x', KindProtocol},
		"header code": {41, 0x0f, KindInvalid},
	} {
		q := append([]byte(nil), p...)
		q[tc.at] = tc.b
		_, err := DecodeForward(q)
		var e *Error
		if !errors.As(err, &e) || e.Kind != tc.kind {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func TestMalformedSendHeaders(t *testing.T) {
	// A forged count must not size an allocation.
	if _, _, err := decodeSendHeaders([]byte{4, 0, 200, 0xff, 0xff, 0xff, 0xff}, nil); err == nil {
		t.Fatal("accepted")
	}
	// Empty name.
	if _, _, err := decodeSendHeaders([]byte{4, 0, 200, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, nil); err == nil {
		t.Fatal("empty name accepted")
	}
}

func TestCleanString(t *testing.T) {
	base := "abcdefghijklmnopqrstuvwxyz\t0123456789\x7f\xff"
	if !cleanString(base) {
		t.Fatal("clean string refused")
	}
	for i := 0; i <= len(base); i++ {
		for _, bad := range []byte{0, '\r', '\n'} {
			s := base[:i] + string(bad) + base[i:]
			if cleanString(s) {
				t.Fatalf("%q accepted", s)
			}
		}
		for b := 1; b < 256; b++ {
			if b == '\r' || b == '\n' {
				continue
			}
			if s := base[:i] + string(rune(b)) + base[i:]; b < 128 && !cleanString(s) {
				t.Fatalf("%q refused", s)
			}
		}
	}
}
