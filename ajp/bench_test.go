package ajp

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// browserRequest is a typical proxied browser GET.
func browserRequest() *Request {
	return &Request{Method: "GET", Protocol: "HTTP/1.1", URI: "/shop/cart/items",
		RemoteAddr: "203.0.113.42", ServerName: "www.example.com", ServerPort: 443, IsSSL: true,
		Headers: []Header{
			{"Host", "www.example.com"},
			{"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},
			{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
			{"Accept-Language", "en-US,en;q=0.5"},
			{"Accept-Encoding", "gzip, deflate, br"},
			{"Referer", "https://www.example.com/shop/"},
			{"Cookie", "JSESSIONID=0123456789ABCDEF0123456789ABCDEF.tc1; theme=dark"},
			{"Upgrade-Insecure-Requests", "1"},
			{"Sec-Fetch-Dest", "document"},
			{"Content-Length", "0"},
		},
		Secret: "s3cret", QueryString: "page=2", Route: "tc1",
		SSLCipher: "TLS_AES_128_GCM_SHA256", SSLKeySize: 128, SSLProtocol: "TLSv1.3",
		RemotePort: "51234", LocalAddr: "10.0.0.5", Activation: "ACT"}
}

func BenchmarkAppendForward(b *testing.B) {
	req := browserRequest()
	buf := make([]byte, 0, DefaultPacketSize)
	b.ReportAllocs()
	for b.Loop() {
		out, err := AppendForward(buf[:0], req, DefaultPacketSize)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out)))
	}
}

// typicalHeaders is a SEND_HEADERS with coded and string names.
func typicalHeaders(tb testing.TB) []byte {
	p := []byte{4, 0, 200}
	p = appendString(p, "200")
	hs := []struct {
		code int
		name string
		val  string
	}{
		{0xA001, "", "text/html;charset=UTF-8"},
		{0xA003, "", "5120"},
		{0xA004, "", "Mon, 23 Nov 2026 07:28:07 GMT"},
		{0xA007, "", "JSESSIONID=0123456789ABCDEF0123456789ABCDEF.tc1; Path=/; HttpOnly"},
		{0, "Cache-Control", "no-cache"},
		{0, "X-Frame-Options", "DENY"},
		{0, "X-Request-Trace", "abc123"},
	}
	p = appendUint16(p, len(hs))
	for _, h := range hs {
		if h.code != 0 {
			p = appendUint16(p, h.code)
		} else {
			p = appendString(p, h.name)
		}
		p = appendString(p, h.val)
	}
	return p
}

func BenchmarkDecodeSendHeaders(b *testing.B) {
	p := typicalHeaders(b)
	hdrs := make([]Header, 0, 16)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		_, h, err := decodeSendHeaders(p, hdrs)
		if err != nil {
			b.Fatal(err)
		}
		hdrs = h[:0]
	}
}

// loopConn replays the same bytes forever and discards writes.
type loopConn struct {
	scriptConn
	data []byte
	off  int
}

// Read stops at the end of data, so a reply never looks like it has junk
// after END_RESPONSE.
func (l *loopConn) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

func (l *loopConn) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkBodyChunk is the streaming hot path: frame one SEND_BODY_CHUNK
// of P-8 bytes out of the read buffer, decode it and hand the data to the
// client writer, zero copy.
func BenchmarkBodyChunk(b *testing.B) {
	data := bytes.Repeat([]byte{'x'}, DefaultPacketSize-8)
	pkt := []byte{'A', 'B', byte((len(data) + 4) >> 8), byte(len(data) + 4), 3, byte(len(data) >> 8), byte(len(data))}
	pkt = append(append(pkt, data...), 0)
	c := NewConn(&loopConn{data: pkt}, 0)
	c.lease() // as Exchange does
	x := &c.x
	*x = exchange{w: discardWriter{}, head: true}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		p, _, err := c.readPacket(0)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.bodyChunk(x, p); err != nil {
			b.Fatal(err)
		}
	}
}

type discardWriter struct{}

func (discardWriter) WriteHead(int, []Header) error { return nil }
func (discardWriter) Write(p []byte) (int, error)   { return len(p), nil }
func (discardWriter) Flush() error                  { return nil }

// BenchmarkExchangeCanned runs whole exchanges against an in-memory
// backend that replays one response (headers, a 64-byte body, end), so
// the figures are the client's alone.
func BenchmarkExchangeCanned(b *testing.B) {
	reply := append([]byte{'A', 'B', 0, 0}, typicalHeaders(b)...)
	reply[2], reply[3] = byte((len(reply)-4)>>8), byte(len(reply)-4)
	body := bytes.Repeat([]byte{'a'}, 64)
	reply = append(reply, 'A', 'B', 0, byte(len(body)+4), 3, 0, byte(len(body)))
	reply = append(append(reply, body...), 0)
	reply = append(reply, 'A', 'B', 0, 2, 5, 1)
	c := NewConn(&loopConn{data: reply}, 0)
	req := browserRequest()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Exchange(req, nil, discardWriter{}, nil)
		if err != nil || !res.Reuse {
			b.Fatal(err)
		}
	}
}

// BenchmarkAlive is the per-Get liveness check on a real socket.
func BenchmarkAlive(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		s, err := ln.Accept()
		if err == nil {
			io.Copy(io.Discard, s)
		}
	}()
	nc, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	c := NewConn(nc, 0)
	defer c.Close()
	b.ReportAllocs()
	for b.Loop() {
		if !c.Alive() {
			b.Fatal("not alive")
		}
	}
}
