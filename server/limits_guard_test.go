package server

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// pieceConn is a net.Conn whose reads return the input in pieces of at
// most step bytes, then io.EOF.
type pieceConn struct {
	net.Conn
	in   []byte
	step int
}

func (c *pieceConn) Read(p []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.step)], c.in)
	c.in = c.in[n:]
	return n, nil
}

// guardStream runs input through a headGuard, read in pieces of step
// bytes into buffers of bufSize, and returns what it hands on and the
// error that ended it (nil for io.EOF).
func guardStream(t testing.TB, input string, step, bufSize int) (string, error) {
	t.Helper()
	var g headGuard
	g.init(slog.New(slog.DiscardHandler), &net.TCPAddr{}, config.DefaultLimits())
	c := &pieceConn{in: []byte(input), step: step}
	var out bytes.Buffer
	buf := make([]byte, bufSize)
	for i := 0; i < 4*len(input)+16; i++ {
		n, err := g.read(c, buf)
		out.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			return out.String(), nil
		}
		if err != nil {
			return out.String(), err
		}
	}
	t.Fatalf("the guard did not finish %q", input)
	return "", nil
}

// TestGuardPassesValidStreams: well-formed requests, pipelined, with
// Content-Length and chunked bodies, come out byte for byte however the
// socket splits them and whatever buffer net/http reads into.
func TestGuardPassesValidStreams(t *testing.T) {
	streams := []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /n HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\nGET /n HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\nA \r\n0123456789\r\n0\r\nX-Sum: 1\r\n\r\n",
		"POST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
		"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n" + strings.Repeat("GET / HTTP/1.1\n\n", 1250),
		"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nGET /n HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX-Obs-Text: caf\xc3\xa9\r\nX-Tab: a\tb\r\n\r\n",
		"\x16\x03\x01\x00\x05hello", // TLS: passed through untouched
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00",
		"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nanything\n\n", // net/http answers 501
	}
	for _, in := range streams {
		for _, step := range []int{1, 3, 7, 64, 4096} {
			for _, buf := range []int{1, 5, 4096} {
				out, err := guardStream(t, in, step, buf)
				if err != nil || out != in {
					t.Fatalf("step %d buf %d: %q\n-> %q, %v", step, buf, in, out, err)
				}
			}
		}
	}
}

// TestGuardRefusesAmbiguousFraming: a head request smuggling relies on is
// not handed on; net/http gets refusedHead (which it answers with 400 and
// a close) after whatever came before it, and nothing after it.
func TestGuardRefusesAmbiguousFraming(t *testing.T) {
	ok := "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"
	smuggled := "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	cases := map[string]string{
		"CL and TE":            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"TE and CL":            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\n",
		"duplicate CL":         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd",
		"conflicting CL":       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\ncontent-length: 40\r\n\r\nabcd",
		"CL list":              "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\nabcd",
		"CL sign":              "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\nabcd",
		"TE in HTTP/1.0":       "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"obs-fold":             "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
		"obs-fold tab":         "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n",
		"folded CL":            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n 4\r\n\r\nabcd",
		"bare LF everywhere":   "GET / HTTP/1.1\nHost: x\n\n",
		"bare LF in a header":  "GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n",
		"bare LF ending head":  "GET / HTTP/1.1\r\nHost: x\r\n\n",
		"bare CR":              "GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n",
		"NUL in value":         "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
		"space before colon":   "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n",
		"no colon":             "GET / HTTP/1.1\r\nHost: x\r\nX-A\r\n\r\n",
		"pipelined after good": ok + "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	}
	for name, in := range cases {
		for _, step := range []int{1, 5, 4096} {
			out, err := guardStream(t, in+smuggled, step, 4096)
			if err != nil {
				t.Fatalf("%s step %d: error %v", name, step, err)
			}
			want := refusedHead
			if strings.HasPrefix(in, ok) {
				want = ok + refusedHead
			}
			if out != want {
				t.Errorf("%s step %d: handed on %q, want %q", name, step, out, want)
			}
		}
	}
}

// TestGuardBreaksMalformedChunks: the body read fails at the first
// malformed byte of a chunked body, and stays failed.
func TestGuardBreaksMalformedChunks(t *testing.T) {
	head := "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	for name, body := range map[string]string{
		"control byte in extension": "4;\x01\r\nabcd\r\n0\r\n\r\n",
		"bare LF after size":        "4\nabcd\r\n0\r\n\r\n",
		"no CRLF after data":        "4\r\nabcdX\r\n0\r\n\r\n",
		"size not hex":              "g\r\nabcd\r\n0\r\n\r\n",
		"size overflow":             "ffffffffffffffff1\r\nabcd\r\n0\r\n\r\n",
		"obs-fold in trailer":       "0\r\nX-A: 1\r\n b\r\n\r\n",
		"bare LF ends trailer":      "0\r\nX-A: 1\r\n\n",
		"size line too long":        "4;" + strings.Repeat("e", maxChunkLine) + "\r\nabcd\r\n0\r\n\r\n",
	} {
		out, err := guardStream(t, head+body+"GET /smuggled HTTP/1.1\r\n\r\n", 3, 4096)
		if !errors.Is(err, errChunked) || strings.Contains(out, "smuggled") || !strings.HasPrefix(out, head) {
			t.Errorf("%s: handed on %q, err %v", name, out, err)
		}
	}
}

// TestGuardOversizedHeadIsLeftToNetHTTP: a head longer than the limit is
// passed on unchecked (net/http answers 431), not buffered forever.
func TestGuardOversizedHeadIsLeftToNetHTTP(t *testing.T) {
	in := "GET / HTTP/1.1\r\nX-Big: " + strings.Repeat("a", config.DefaultMaxHeaderBytes+2*headSlack)
	out, err := guardStream(t, in, 1000, 4096)
	if err != nil || out != in {
		t.Fatalf("got %d bytes, err %v", len(out), err)
	}
}

// TestGuardTimeoutKeepsPartialHead: a read error (the server's deadline,
// or its abort of a background read) returns at once and loses none of a
// head that is still arriving.
func TestGuardTimeoutKeepsPartialHead(t *testing.T) {
	var g headGuard
	g.init(slog.New(slog.DiscardHandler), &net.TCPAddr{}, config.DefaultLimits())
	c := &scriptedConn{steps: []any{"GET / HT", errTimeout, "TP/1.1\r\nHost: x\r\n", errTimeout, "\r\n"}}
	var out bytes.Buffer
	buf := make([]byte, 64)
	timeouts := 0
	for i := 0; i < 20; i++ {
		n, err := g.read(c, buf)
		out.Write(buf[:n])
		if errors.Is(err, errTimeout) {
			if n != 0 {
				t.Fatal("bytes and an error together")
			}
			timeouts++
			continue
		}
		if err != nil {
			break
		}
	}
	if out.String() != "GET / HTTP/1.1\r\nHost: x\r\n\r\n" || timeouts != 2 {
		t.Fatalf("got %q after %d timeouts", out.String(), timeouts)
	}
}

var errTimeout = &net.OpError{Op: "read", Err: timeoutError{}}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// scriptedConn returns each step in turn: a string as data, an error as
// the error; then io.EOF.
type scriptedConn struct {
	net.Conn
	steps []any
}

func (c *scriptedConn) Read(p []byte) (int, error) {
	if len(c.steps) == 0 {
		return 0, io.EOF
	}
	s := c.steps[0]
	c.steps = c.steps[1:]
	if err, ok := s.(error); ok {
		return 0, err
	}
	return copy(p, s.(string)), nil
}

func (c *scriptedConn) SetReadDeadline(time.Time) error { return nil }

// FuzzHeadGuard: whatever the bytes and however they are split, the guard
// ends, and hands on a prefix of its input, possibly followed by
// refusedHead.
func FuzzHeadGuard(f *testing.F) {
	f.Add("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n", 3)
	f.Add("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n", 2)
	f.Add("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n\x81\x05hello", 64)
	f.Add("GET / HTTP/1.1\nHost: x\n\n", 1)
	f.Fuzz(func(t *testing.T, in string, step int) {
		step = 1 + (step&0xffff)%8192
		out, _ := guardStream(t, in, step, 4096)
		if rest, refused := strings.CutSuffix(out, refusedHead); refused {
			out = rest
		}
		if !strings.HasPrefix(in, out) {
			t.Fatalf("handed on %q, not a prefix of %q", out, in)
		}
	})
}

// TestGuardConnEndsBackgroundReadAtOnce: at a request boundary with
// nothing held, the one-byte read net/http starts in the background gets
// "nothing yet" without waiting on the socket; with bytes of the next
// head held, a one-byte read gets the next of them.
func TestGuardConnEndsBackgroundReadAtOnce(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	server.SetReadDeadline(time.Now().Add(10 * time.Second)) // bounds a guard that would wait
	gc := &guardConn{Conn: server, release: func() {}}
	gc.g.init(slog.New(slog.DiscardHandler), &net.TCPAddr{}, config.DefaultLimits())
	first := "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	go func() {
		client.Write([]byte(first))
		client.Write([]byte("GET /b HTTP/1.1\r\nHost: x\r\n"))
		client.Write([]byte("\r\n"))
	}()
	buf := make([]byte, 4096)
	if n, err := gc.Read(buf); err != nil || string(buf[:n]) != first {
		t.Fatalf("first head: %q %v", buf[:n], err)
	}
	one := make([]byte, 1)
	if n, err := gc.Read(one); n != 0 || err != nil {
		t.Fatalf("background read between requests: %d %v, want 0 bytes at once", n, err)
	}
	if n, err := gc.Read(buf[:5]); err != nil || string(buf[:n]) != "GET /" {
		t.Fatalf("start of the second head: %q %v", buf[:n], err)
	}
	if n, err := gc.Read(one); n != 1 || err != nil || one[0] != 'b' {
		t.Fatalf("one-byte read with the head held: %d %q %v", n, one[:n], err)
	}
}
