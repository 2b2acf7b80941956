package ajp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// rec is a ResponseWriter that keeps everything it is given.
type rec struct {
	status   int
	headers  []ajp.Header
	body     bytes.Buffer
	flushes  int
	headErr  error
	writeErr error
}

func (r *rec) WriteHead(status int, h []ajp.Header) error {
	r.status = status
	r.headers = append([]ajp.Header(nil), h...)
	return r.headErr
}

func (r *rec) Write(p []byte) (int, error) {
	if r.writeErr != nil {
		return 0, r.writeErr
	}
	return r.body.Write(p)
}

func (r *rec) Flush() error { r.flushes++; return nil }

func (r *rec) header(name string) string {
	for _, h := range r.headers {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

// newServer starts an ajptest server closed at the end of the test, and
// fails the test if the container saw any protocol violation.
func newServer(t *testing.T, h ajptest.Handler, opts ...ajptest.Option) *ajptest.Server {
	t.Helper()
	s := ajptest.NewServer(h, opts...)
	t.Cleanup(func() {
		s.Close()
		for _, err := range s.Errors() {
			t.Errorf("container saw: %v", err)
		}
	})
	return s
}

// newPool returns a pool for s, closed at the end of the test.
func newPool(t *testing.T, s *ajptest.Server, cfg ajp.PoolConfig) *ajp.Pool {
	t.Helper()
	cfg.Addr = s.Addr()
	if cfg.Size == 0 {
		cfg.Size = 4
	}
	p := ajp.NewPool(cfg)
	t.Cleanup(p.Close)
	return p
}

// dial opens one connection to s outside any pool.
func dial(t *testing.T, s *ajptest.Server) *ajp.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c := ajp.NewConn(nc, 0)
	t.Cleanup(func() { c.Close() })
	return c
}

func get(uri string) *ajp.Request {
	return &ajp.Request{Method: "GET", Protocol: "HTTP/1.1", URI: uri,
		RemoteAddr: "127.0.0.1", ServerName: "localhost", ServerPort: 80,
		Headers:    []ajp.Header{{Name: "Host", Value: "localhost"}, {Name: "Content-Length", Value: "0"}},
		SSLKeySize: -1, RemotePort: "40000", LocalAddr: "127.0.0.1", Activation: "ACT"}
}

func post(uri string, cl int64) *ajp.Request {
	r := get(uri)
	r.Method = "POST"
	r.Headers = r.Headers[:1]
	if cl >= 0 {
		r.Headers = append(r.Headers, ajp.Header{Name: "Content-Length", Value: itoa(cl)})
	}
	return r
}

func itoa(v int64) string { return string(appendInt(nil, v)) }

func appendInt(b []byte, v int64) []byte {
	if v >= 10 {
		b = appendInt(b, v/10)
	}
	return append(b, byte('0'+v%10))
}

// safe are exchange options that turn a deadlock into an error.
var safe = &ajp.ExchangeOptions{ReplyTimeout: 10 * time.Second}

// wantErr checks err is an *ajp.Error of the given stage and kind.
func wantErr(t *testing.T, err error, stage ajp.Stage, kind ajp.Kind) *ajp.Error {
	t.Helper()
	var e *ajp.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *ajp.Error %s/%s", err, err, stage, kind)
	}
	if e.Stage != stage || e.Kind != kind {
		t.Fatalf("error %v: stage %s kind %s, want %s/%s", err, e.Stage, e.Kind, stage, kind)
	}
	return e
}

// eventually waits, up to a deadline, for a condition that another
// goroutine or the kernel makes true.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

// pattern is a deterministic body source of n bytes: byte i is i%251.
type pattern struct{ off, n int64 }

// cycle holds the pattern twice over so any window of up to 251 bytes
// is one slice; longer reads copy it repeatedly.
var cycle = func() []byte {
	b := make([]byte, 2*251)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}()

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := 0; i < len(b); {
		start := (p.off + int64(i)) % 251
		i += copy(b[i:], cycle[start:start+251])
	}
	p.off += int64(len(b))
	return len(b), nil
}

var bg = context.Background()
