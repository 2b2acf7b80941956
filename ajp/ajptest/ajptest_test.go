package ajptest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
)

func request(method, uri string, headers ...ajp.Header) *ajp.Request {
	return &ajp.Request{Method: method, Protocol: "HTTP/1.1", URI: uri, RemoteAddr: "127.0.0.1",
		ServerName: "localhost", ServerPort: 80, Headers: headers, SSLKeySize: -1}
}

// recorder keeps the response and the size of every Write.
type recorder struct {
	status  int
	headers []ajp.Header
	body    bytes.Buffer
	writes  []int
}

func (r *recorder) WriteHead(s int, h []ajp.Header) error {
	r.status, r.headers = s, append([]ajp.Header(nil), h...)
	return nil
}
func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, len(p))
	return r.body.Write(p)
}
func (r *recorder) Flush() error { return nil }

func (r *recorder) header(name string) string {
	for _, h := range r.headers {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

func dial(t *testing.T, s *Server) *ajp.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c := ajp.NewConn(nc, 0)
	t.Cleanup(func() { c.Close() })
	return c
}

var opts = &ajp.ExchangeOptions{ReplyTimeout: 10 * time.Second}

func TestEchoSession(t *testing.T) {
	s := NewServer(EchoHandler("tc1"))
	defer s.Close()
	c := dial(t, s)
	var w recorder
	if _, err := c.Exchange(request("GET", "/a"), nil, &w, opts); err != nil {
		t.Fatal(err)
	}
	ck := w.header("Set-Cookie")
	if !strings.HasPrefix(ck, "JSESSIONID=") || !strings.Contains(ck, ".tc1;") || len(strings.SplitN(ck[11:], ".", 2)[0]) != 32 {
		t.Fatalf("Set-Cookie %q", ck)
	}
	w = recorder{}
	id := strings.SplitN(ck, ";", 2)[0]
	if _, err := c.Exchange(request("GET", "/a", ajp.Header{Name: "Cookie", Value: id}), nil, &w, opts); err != nil {
		t.Fatal(err)
	}
	if w.header("Set-Cookie") != "" || !strings.Contains(w.body.String(), "route=tc1") {
		t.Fatalf("second contact: %q %q", w.header("Set-Cookie"), w.body.String())
	}
}

func TestWriteSplitsChunks(t *testing.T) {
	s := NewServer(func(w *ResponseWriter, r *Request) {
		w.Write(make([]byte, 20000))
	}, WithPacketSize(8192))
	defer s.Close()
	var w recorder
	// FlushPackets: each chunk is written as it comes, not joined with the
	// buffered ones after it, so the writes show the chunk sizes.
	perChunk := *opts
	perChunk.FlushPackets = true
	res, err := dial(t, s).Exchange(request("GET", "/"), nil, &w, &perChunk)
	if err != nil || res.Status != 200 || w.body.Len() != 20000 || len(w.writes) != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	for _, n := range w.writes {
		if n > 8192-8 {
			t.Fatalf("chunk of %d bytes", n)
		}
	}
}

func TestRestartAndCounters(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	addr := s.Addr()
	c := dial(t, s)
	if _, err := c.Exchange(request("GET", "/"), nil, &recorder{}, opts); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Fatalf("restarted on %s, not %s", s.Addr(), addr)
	}
	if _, err := c.Exchange(request("GET", "/"), nil, &recorder{}, opts); err == nil {
		t.Fatal("connection survived a restart")
	}
	if _, err := dial(t, s).Exchange(request("GET", "/"), nil, &recorder{}, opts); err != nil {
		t.Fatal(err)
	}
	if s.Requests() != 2 || s.Connections() != 2 || s.Pings() != 1 {
		t.Fatalf("requests %d connections %d pings %d", s.Requests(), s.Connections(), s.Pings())
	}
}

func TestCPongModes(t *testing.T) {
	s := NewServer(nil, WithCPong(CPongClose))
	defer s.Close()
	if err := dial(t, s).Ping(time.Second); err == nil {
		t.Fatal("CPongClose answered")
	}
	s.SetCPong(CPongIgnore)
	if err := dial(t, s).Ping(30 * time.Millisecond); err == nil {
		t.Fatal("CPongIgnore answered")
	}
	s.SetCPong(CPongAnswer)
	if err := dial(t, s).Ping(time.Second); err != nil {
		t.Fatal(err)
	}
}

// rawClient speaks to the container byte by byte.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func newRaw(t *testing.T, s *Server) *rawClient {
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *rawClient) send(b ...[]byte) {
	for _, p := range b {
		if _, err := r.nc.Write(p); err != nil {
			r.t.Fatal(err)
		}
	}
}

// next reads one container packet's payload.
func (r *rawClient) next() []byte {
	var h [4]byte
	if _, err := io.ReadFull(r.br, h[:]); err != nil {
		r.t.Fatal(err)
	}
	p := make([]byte, int(h[2])<<8|int(h[3]))
	if _, err := io.ReadFull(r.br, p); err != nil {
		r.t.Fatal(err)
	}
	return p
}

// The container asks for P-6 and flags a body longer than Content-Length.
func TestBodyFlow(t *testing.T) {
	s := NewServer(nil, WithPacketSize(16384))
	defer s.Close()
	r := newRaw(t, s)
	fwd, _ := ajp.AppendForward(nil, request("POST", "/", ajp.Header{Name: "Content-Length", Value: "3"}), 0)
	r.send(fwd, []byte{0x12, 0x34, 0, 5, 0, 3, 'a', 'b', 'c'})
	if p := r.next(); !bytes.Equal(p, []byte{6, 0x3f, 0xfa}) {
		t.Fatalf("GET_BODY_CHUNK % x", p)
	}
	r.send([]byte{0x12, 0x34, 0, 0})
	if p := r.next(); p[0] != 4 {
		t.Fatalf("want SEND_HEADERS, got % x", p)
	}
	if p := r.next(); !bytes.Equal(p, []byte{5, 1}) {
		t.Fatalf("END_RESPONSE % x", p)
	}
	if len(s.Errors()) != 0 {
		t.Fatal(s.Errors())
	}
	// An unsolicited data packet where a request is expected.
	r.send([]byte{0x12, 0x34, 0, 0})
	if _, err := r.br.ReadByte(); err == nil {
		t.Fatal("connection not closed")
	}
	s.Close()
	if errs := s.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "empty packet") {
		t.Fatalf("errors %v", errs)
	}
}

func TestOversizedRequest(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	r := newRaw(t, s)
	big := request("GET", "/", ajp.Header{Name: "X", Value: strings.Repeat("v", 8150)})
	fwd, err := ajp.AppendForward(nil, big, 16384)
	if err != nil {
		t.Fatal(err)
	}
	r.send(fwd)
	if p := r.next(); p[0] != 4 || int(p[1])<<8|int(p[2]) != 400 {
		t.Fatalf("want 400, got % x", p[:3])
	}
	if p := r.next(); !bytes.Equal(p, []byte{5, 0}) {
		t.Fatalf("END_RESPONSE % x", p)
	}
}

func TestHangResume(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	c := dial(t, s)
	s.Hang()
	if err := c.Ping(30 * time.Millisecond); err == nil {
		t.Fatal("a hung container answered")
	}
	s.Resume()
	if err := dial(t, s).Ping(time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestScriptedMisbehaviour: RawReply sends the scripted packets as they
// are; keep leaves the connection usable, Sequence goes on with the next
// handler, and Routes picks by URI.
func TestScriptedMisbehaviour(t *testing.T) {
	good := func(w *ResponseWriter, r *Request) { w.SendHeaders(204); w.End(true) }
	s := NewServer(Routes(map[string]Handler{
		"/raw": Sequence(RawReply(true, HeadersPacket(200, ajp.Header{Name: "Content-Length", Value: "2"}),
			BodyPacket([]byte("ok")), EndPacket(1)), RawReply(false, Packet(0x0b))),
	}, good))
	defer s.Close()
	c := dial(t, s)
	var w recorder
	if _, err := c.Exchange(request("GET", "/raw"), nil, &w, opts); err != nil || w.status != 200 || w.body.String() != "ok" {
		t.Fatalf("scripted response: %v %d %q", err, w.status, w.body.String())
	}
	if _, err := c.Exchange(request("GET", "/other"), nil, &recorder{}, opts); err != nil {
		t.Fatalf("the kept connection: %v", err)
	}
	if _, err := c.Exchange(request("GET", "/raw"), nil, &recorder{}, opts); err == nil {
		t.Fatal("the second /raw (an unknown message type) was accepted")
	}
	if s.Requests() != 3 || s.Connections() != 1 {
		t.Fatalf("%d requests on %d connections", s.Requests(), s.Connections())
	}
}
