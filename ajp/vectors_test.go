package ajp

import (
	"bytes"
	"testing"
)

// The hex vectors of docs/ajp13.md#test-vectors, byte for byte.

func TestVectorV1CPing(t *testing.T) {
	if got, want := appendCPing(nil), loadHex(t, "v1_cping.hex"); !bytes.Equal(got, want) {
		t.Fatalf("CPing % x, want % x", got, want)
	}
	sc := newScriptConn(loadHex(t, "v1_cpong.hex"))
	c := NewConn(sc, 0)
	if err := c.Ping(0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sc.w.Bytes(), loadHex(t, "v1_cping.hex")) {
		t.Fatalf("sent % x", sc.w.Bytes())
	}
	if c.closed {
		t.Fatal("a good CPong closed the connection")
	}
}

func TestVectorsEncode(t *testing.T) {
	for _, tc := range []struct {
		file string
		req  *Request
	}{
		{"v2_forward_get.hex", reqV2()},
		{"v4_forward_post.hex", reqV4()},
		{"v5_forward_query.hex", reqV5()},
		{"v6_forward_patch.hex", reqV6()},
	} {
		t.Run(tc.file, func(t *testing.T) {
			want := loadHex(t, tc.file)
			got, err := AppendForward(nil, tc.req, DefaultPacketSize)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encoded\n% x\nwant\n% x", got, want)
			}
		})
	}
}

func TestVectorsDecodeForward(t *testing.T) {
	pkt := loadHex(t, "v6_forward_patch.hex")
	r, err := DecodeForward(pkt[4:])
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "PATCH" || !r.IsSSL || r.ServerPort != 443 || r.SSLKeySize != 128 ||
		r.SSLCipher != "TLS_AES_128_GCM_SHA256" || r.Secret != "s3cret" || r.RemoteHost != "" {
		t.Fatalf("decoded %+v", r)
	}
	if len(r.Headers) != 1 || r.Headers[0] != (Header{"host", "h"}) {
		t.Fatalf("headers %+v", r.Headers)
	}
	pkt = loadHex(t, "v5_forward_query.hex")
	if r, err = DecodeForward(pkt[4:]); err != nil {
		t.Fatal(err)
	}
	if !r.HasQuery || r.QueryString != "page=2&sort=asc" || r.Route != "tc1" ||
		r.RemotePort != "51234" || r.LocalAddr != "10.0.0.5" || len(r.Attributes) != 0 ||
		r.Headers[1] != (Header{"X-Req-Id", "42"}) {
		t.Fatalf("decoded %+v", r)
	}
}

// V3: Tomcat's reply to V2, decoded packet by packet and through Exchange.
func TestVectorV3Decode(t *testing.T) {
	stream := loadHex(t, "v3_reply.hex")
	status, hdrs, err := decodeSendHeaders(stream[4:0x32], nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Header{{"Content-Type", "text/plain;charset=UTF-8"}, {"Content-Length", "6"}}
	if status != 200 || !equalHeaders(hdrs, want) {
		t.Fatalf("status %d headers %+v", status, hdrs)
	}
	chunk := stream[0x32 : 0x32+14]
	data, err := decodeBodyChunk(chunk[4:])
	if err != nil || string(data) != "Hello\n" {
		t.Fatalf("chunk %q %v", data, err)
	}
	if reuse, err := decodeEndResponse(stream[len(stream)-2:]); err != nil || !reuse {
		t.Fatalf("end reuse=%v %v", reuse, err)
	}

	sc := newScriptConn(stream)
	c := NewConn(sc, 0)
	var rec recorder
	res, err := c.Exchange(reqV2(), nil, &rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sc.w.Bytes(), loadHex(t, "v2_forward_get.hex")) {
		t.Fatalf("sent % x", sc.w.Bytes())
	}
	if rec.status != 200 || rec.body.String() != "Hello\n" || !equalHeaders(rec.headers, want) {
		t.Fatalf("recorded %d %+v %q", rec.status, rec.headers, rec.body.String())
	}
	if !res.Reuse || !res.HeadSent || res.BodyBytes != 6 || res.Received != int64(len(stream)) ||
		res.Sent != 110 || res.Status != 200 || res.BodyStreamed {
		t.Fatalf("result %+v", res)
	}
}

func TestVectorV3StringHeaders(t *testing.T) {
	p := loadHex(t, "v3_headers_strings.hex")
	status, hdrs, err := decodeSendHeaders(p[4:], nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Header{{"Accept-Ranges", "bytes"}, {"ETag", `W/"12-1795418887484"`},
		{"Last-Modified", "Mon, 23 Nov 2026 07:28:07 GMT"}, {"Content-Type", "text/plain"},
		{"Content-Length", "12"}}
	if status != 200 || !equalHeaders(hdrs, want) {
		t.Fatalf("status %d headers %+v", status, hdrs)
	}
}

func TestVectorsV7(t *testing.T) {
	data, err := decodeBodyChunk(loadHex(t, "v7_flush.hex")[4:])
	if err != nil || len(data) != 0 {
		t.Fatalf("flush: %q %v", data, err)
	}
	if reuse, err := decodeEndResponse(loadHex(t, "v7_end_close.hex")[4:]); err != nil || reuse {
		t.Fatalf("end: reuse=%v %v", reuse, err)
	}
	if n, err := decodeGetBodyChunk(loadHex(t, "v7_gbc.hex")[4:]); err != nil || n != 8186 {
		t.Fatalf("gbc: %d %v", n, err)
	}
}

// V4: POST with CL 11. The body goes right after the forward request in
// the same write; Tomcat's GET_BODY_CHUNK past the end gets 12 34 00 00.
func TestVectorV4Exchange(t *testing.T) {
	reply := append(loadHex(t, "v4_gbc.hex"), loadHex(t, "v3_reply.hex")...)
	sc := newScriptConn(reply)
	c := NewConn(sc, 0)
	body := &Body{ContentLength: 11, Kept: []byte("hello=world")}
	var rec recorder
	res, err := c.Exchange(reqV4(), body, &rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := append(loadHex(t, "v4_forward_post.hex"), loadHex(t, "v4_body.hex")...)
	want = append(want, 0x12, 0x34, 0, 0)
	if !bytes.Equal(sc.w.Bytes(), want) {
		t.Fatalf("sent\n% x\nwant\n% x", sc.w.Bytes(), want)
	}
	if res.BodyStreamed || !res.Reuse || res.Sent != int64(len(want)) {
		t.Fatalf("result %+v", res)
	}
}

func equalHeaders(a, b []Header) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
