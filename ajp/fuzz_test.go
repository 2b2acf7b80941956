package ajp

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeResponse feeds arbitrary bytes to Exchange as the backend's
// reply stream. Whatever arrives, the exchange must end (EOF ends the
// stream), never panic, never read past what it was given, never report a
// body it did not receive, and never send Tomcat more body than the
// Content-Length or any packet over P.
func FuzzDecodeResponse(f *testing.F) {
	v3 := loadHex(f, "v3_reply.hex")
	end := []byte{'A', 'B', 0, 2, 5, 1}
	for _, seed := range [][]byte{
		v3,
		append(loadHex(f, "v3_headers_strings.hex"), end...),
		append(loadHex(f, "v4_gbc.hex"), v3...),
		append(append(loadHex(f, "v7_flush.hex"), loadHex(f, "v7_gbc.hex")...), v3...),
		append(v3[:0x32:0x32], loadHex(f, "v7_end_close.hex")...),
	} {
		for mode := byte(0); mode < 3; mode++ {
			f.Add(mode, seed)
		}
	}
	f.Fuzz(func(t *testing.T, mode byte, stream []byte) {
		body, req := fuzzBody(mode)
		sc := newScriptConn(stream)
		c := NewConn(sc, 0)
		var rec recorder
		res, err := c.Exchange(req, body, &rec, &ExchangeOptions{FlushPackets: mode&4 != 0})
		if res.Received > int64(len(stream)) || int64(rec.body.Len()) != res.BodyBytes ||
			res.BodyBytes > int64(len(stream)) {
			t.Fatalf("received %d of %d, body %d/%d", res.Received, len(stream), rec.body.Len(), res.BodyBytes)
		}
		if err == nil && (!res.HeadSent || rec.heads != 1) {
			t.Fatalf("success without headers: %+v", res)
		}
		if err != nil && (res.Reuse || !c.closed) {
			t.Fatalf("failed exchange left the connection open: %v", err)
		}
		if res.Sent != int64(sc.w.Len()) {
			t.Fatalf("Sent %d, wrote %d", res.Sent, sc.w.Len())
		}
		checkSentBody(t, sc.w.Bytes(), body.ContentLength)
		decodeSendHeaders(stream, nil) // the raw decoder on garbage, too
	})
}

// fuzzBody picks one of the body flows of docs/ajp13.md#request-body-flow from the mode byte.
func fuzzBody(mode byte) (*Body, *Request) {
	req := reqV4()
	switch mode % 3 {
	case 0:
		req = reqV2()
		return &Body{}, req
	case 1:
		kept := bytes.Repeat([]byte{'k'}, 9000)
		req.Headers[1].Value = "20000"
		return &Body{ContentLength: 20000, Kept: kept, Rest: strings.NewReader(strings.Repeat("r", 11000))}, req
	}
	req.Headers = req.Headers[:1]
	return &Body{ContentLength: -1, Rest: strings.NewReader(strings.Repeat("c", 30000))}, req
}

// checkSentBody parses what the client wrote: one forward request, then
// data packets only, none over P, with at most cl body bytes (cl >= 0).
func checkSentBody(t *testing.T, w []byte, cl int64) {
	t.Helper()
	var total int64
	for i := 0; len(w) > 0; i++ {
		if len(w) < 4 || w[0] != 0x12 || w[1] != 0x34 {
			t.Fatalf("bad packet %d: % x", i, w[:min(len(w), 8)])
		}
		n := int(w[2])<<8 | int(w[3])
		if n > DefaultPacketSize-4 || len(w) < 4+n {
			t.Fatalf("packet %d: length %d", i, n)
		}
		p := w[4 : 4+n]
		w = w[4+n:]
		if i == 0 {
			if _, err := DecodeForward(p); err != nil {
				t.Fatalf("forward request: %v", err)
			}
			continue
		}
		if n > 0 && (n < 2 || int(p[0])<<8|int(p[1]) != n-2) {
			t.Fatalf("data packet %d malformed", i)
		}
		total += int64(max(n-2, 0))
	}
	if cl >= 0 && total > cl {
		t.Fatalf("sent %d body bytes for Content-Length %d", total, cl)
	}
}

// FuzzDecodeForward decodes arbitrary payloads like Tomcat would. Whatever
// decodes and re-encodes must reach a fixed point: encode(decode(x)) is
// stable and decodes to the same request.
func FuzzDecodeForward(f *testing.F) {
	for _, v := range []string{"v2_forward_get.hex", "v4_forward_post.hex", "v5_forward_query.hex", "v6_forward_patch.hex"} {
		f.Add(loadHex(f, v)[4:])
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		r1, err := DecodeForward(payload)
		if err != nil {
			return
		}
		b2, err := AppendForward(nil, r1, MaxPacketSize)
		if err != nil {
			return // e.g. CR/LF or an absolute URI: refused, never sent
		}
		r2, err := DecodeForward(b2[4:])
		if err != nil {
			t.Fatalf("own encoding does not decode: %v", err)
		}
		if !sameRequest(r1, r2) {
			t.Fatalf("round trip changed the request\n%+v\n%+v", r1, r2)
		}
		b3, err := AppendForward(nil, r2, MaxPacketSize)
		if err != nil || !bytes.Equal(b2, b3) {
			t.Fatalf("encoding not stable: %v", err)
		}
	})
}

// sameRequest compares two requests; header names compare
// case-insensitively, since a string name "Host" comes back coded.
func sameRequest(a, b *Request) bool {
	if len(a.Headers) != len(b.Headers) {
		return false
	}
	for i := range a.Headers {
		if !strings.EqualFold(a.Headers[i].Name, b.Headers[i].Name) || a.Headers[i].Value != b.Headers[i].Value {
			return false
		}
	}
	x, y := *a, *b
	x.Headers, y.Headers = nil, nil
	return reflect.DeepEqual(x, y)
}
