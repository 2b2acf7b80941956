package ajp_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// raw returns a handler that sends headers first (when head is set), then
// the given bytes, and closes the connection.
func raw(head bool, b ...byte) ajptest.Handler {
	return func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		if head {
			w.SendHeaders(200)
		}
		w.Raw(b)
		w.CloseConn()
	}
}

func TestExchangeBackendFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		h     ajptest.Handler
		stage ajp.Stage
		kind  ajp.Kind
	}{
		{"closes before headers", raw(false), ajp.StageReply, ajp.KindIO},
		{"closes mid-body", func(w *ajptest.ResponseWriter, r *ajptest.Request) {
			w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "100"})
			w.Write([]byte("part"))
			w.CloseConn()
		}, ajp.StageResponse, ajp.KindIO},
		{"garbage", raw(false, []byte("HTTP/1.1 200 OK\r\n\r\n")...), ajp.StageReply, ajp.KindProtocol},
		{"garbage after headers", raw(true, 'X', 'Y', 0, 1, 3), ajp.StageResponse, ajp.KindProtocol},
		{"truncated packet", raw(true, 'A', 'B', 0, 9, 3, 0), ajp.StageResponse, ajp.KindIO},
		{"empty packet", raw(false, 'A', 'B', 0, 0), ajp.StageReply, ajp.KindProtocol},
		{"chunk longer than packet", raw(true, 'A', 'B', 0, 5, 3, 0, 0x10, 'a', 0), ajp.StageResponse, ajp.KindInvalid},
		{"chunk before headers", raw(false, 'A', 'B', 0, 5, 3, 0, 1, 'a', 0), ajp.StageReply, ajp.KindInvalid},
		{"second SEND_HEADERS", raw(true, 'A', 'B', 0, 9, 4, 0, 200, 0, 1, '2', 0, 0, 0), ajp.StageResponse, ajp.KindInvalid},
		{"CPONG mid-request", raw(false, 'A', 'B', 0, 1, 9), ajp.StageReply, ajp.KindInvalid},
		{"unknown type", raw(false, 'A', 'B', 0, 1, 0x0b), ajp.StageReply, ajp.KindInvalid},
		{"END before headers", raw(false, 'A', 'B', 0, 2, 5, 1), ajp.StageReply, ajp.KindInvalid},
		{"header count too high", raw(false, 'A', 'B', 0, 9, 4, 0, 200, 0, 1, '2', 0, 0, 2), ajp.StageReply, ajp.KindProtocol},
		{"bytes after headers", raw(false, 'A', 'B', 0, 10, 4, 0, 200, 0, 1, '2', 0, 0, 0, 0), ajp.StageReply, ajp.KindProtocol},
		{"bad header code", raw(false, 'A', 'B', 0, 13, 4, 0, 200, 0, 0, 0, 0, 1, 0xa0, 0x0c, 0, 0, 0), ajp.StageReply, ajp.KindInvalid},
		{"status 0", raw(false, 'A', 'B', 0, 9, 4, 0, 0, 0, 1, '0', 0, 0, 0), ajp.StageReply, ajp.KindInvalid},
		{"END truncated", raw(true, 'A', 'B', 0, 1, 5), ajp.StageResponse, ajp.KindProtocol},
		{"GBC truncated", raw(false, 'A', 'B', 0, 2, 6, 0), ajp.StageReply, ajp.KindProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.h)
			c := dial(t, s)
			res, err := c.Exchange(get("/"), nil, &rec{}, safe)
			wantErr(t, err, tc.stage, tc.kind)
			if res.Reuse || c.Alive() {
				t.Fatalf("connection kept after %v", err)
			}
			if res.HeadSent != (tc.stage == ajp.StageResponse) {
				t.Fatalf("HeadSent %v at stage %s", res.HeadSent, tc.stage)
			}
		})
	}
}

// TestPacketSizeBoundary: a body chunk whose packet carries exactly
// max_packet_size (8192) bytes of payload is taken, one byte more is
// mod_jk's "wrong message size": a protocol error, the connection dropped.
func TestPacketSizeBoundary(t *testing.T) {
	chunk := func(n int) []byte { // SEND_BODY_CHUNK of n data bytes: payload n+4
		p := []byte{'A', 'B', byte((n + 4) >> 8), byte(n + 4), 3, byte(n >> 8), byte(n)}
		return append(append(p, make([]byte, n)...), 0)
	}
	for _, n := range []int{8188, 8189} {
		s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
			w.SendHeaders(200)
			w.Raw(chunk(n))
			w.End(true)
		})
		c := dial(t, s)
		var r rec
		res, err := c.Exchange(get("/"), nil, &r, safe)
		if n == 8188 {
			if err != nil || r.body.Len() != n || !res.Reuse {
				t.Fatalf("payload 8192: err %v, %d body bytes, reuse %v", err, r.body.Len(), res.Reuse)
			}
			continue
		}
		e := wantErr(t, err, ajp.StageResponse, ajp.KindProtocol)
		if !strings.Contains(e.Error(), "wrong message size") || r.body.Len() != 0 || res.Reuse || c.Alive() {
			t.Fatalf("payload 8193: %v, %d body bytes, reuse %v, alive %v", e, r.body.Len(), res.Reuse, c.Alive())
		}
	}
}

// blocked is a handler that hangs (until the server closes), optionally
// after sending the headers.
func blocked(head bool) ajptest.Handler {
	return func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		if head {
			w.SendHeaders(200)
			w.Flush()
		}
		<-r.Context().Done()
		w.CloseConn()
	}
}

func TestExchangeReplyTimeout(t *testing.T) {
	opt := &ajp.ExchangeOptions{ReplyTimeout: 50 * time.Millisecond}
	for _, tc := range []struct {
		head  bool
		stage ajp.Stage
	}{{false, ajp.StageReply}, {true, ajp.StageResponse}} {
		s := newServer(t, blocked(tc.head))
		c := dial(t, s)
		_, err := c.Exchange(get("/"), nil, &rec{}, opt)
		if e := wantErr(t, err, tc.stage, ajp.KindTimeout); !e.Timeout() {
			t.Fatal("Timeout() false")
		}
	}
}

// SocketTimeout from the pool applies to reads even without ReplyTimeout.
func TestExchangeSocketTimeout(t *testing.T) {
	s := newServer(t, blocked(false))
	p := newPool(t, s, ajp.PoolConfig{SocketTimeout: 50 * time.Millisecond})
	c, err := p.Get(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Put(c, false)
	_, err = c.Exchange(get("/"), nil, &rec{}, nil)
	wantErr(t, err, ajp.StageReply, ajp.KindTimeout)
}

func TestExchangeHungServer(t *testing.T) {
	s := newServer(t, ajptest.EchoHandler("r"))
	c := dial(t, s)
	if _, err := c.Exchange(get("/"), nil, &rec{}, safe); err != nil {
		t.Fatal(err)
	}
	s.Hang()
	defer s.Resume()
	_, err := c.Exchange(get("/"), nil, &rec{}, &ajp.ExchangeOptions{ReplyTimeout: 50 * time.Millisecond})
	wantErr(t, err, ajp.StageReply, ajp.KindTimeout)
}

func TestExchangeClientReadError(t *testing.T) {
	boom := errors.New("client went away")
	s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			w.CloseConn()
		}
	})
	kept := make([]byte, 8186)
	for _, tc := range []struct {
		name  string
		body  *ajp.Body
		stage ajp.Stage
	}{
		{"first packet", &ajp.Body{ContentLength: 100, Rest: iotest.ErrReader(boom)}, ajp.StageSend},
		{"first packet short", &ajp.Body{ContentLength: 100, Kept: kept[:10]}, ajp.StageSend},
		{"later packet", &ajp.Body{ContentLength: 20000, Kept: kept, Rest: iotest.ErrReader(boom)}, ajp.StageReply},
		{"ends short of CL", &ajp.Body{ContentLength: 20000, Kept: kept, Rest: &pattern{n: 100}}, ajp.StageReply},
		{"chunked", &ajp.Body{ContentLength: -1, Rest: iotest.ErrReader(boom)}, ajp.StageReply},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, s)
			res, err := c.Exchange(post("/", tc.body.ContentLength), tc.body, &rec{}, safe)
			wantErr(t, err, tc.stage, ajp.KindClientRead)
			if res.Reuse || c.Alive() {
				t.Fatal("connection kept after a client read error")
			}
			if tc.stage == ajp.StageSend && res.Sent != 0 {
				t.Fatalf("sent %d bytes before the body failed", res.Sent)
			}
		})
	}
}

func TestExchangeOnClosedConn(t *testing.T) {
	s := newServer(t, nil)
	c := dial(t, s)
	c.Close()
	_, err := c.Exchange(get("/"), nil, &rec{}, nil)
	wantErr(t, err, ajp.StageSend, ajp.KindIO)
}
