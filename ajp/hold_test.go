package ajp_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// writesRec records each Write it gets, and passes each on to seen when
// that is set.
type writesRec struct {
	rec
	writes []string
	seen   chan string
}

func (w *writesRec) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	if w.seen != nil {
		w.seen <- string(p)
	}
	return w.rec.Write(p)
}

// Body chunks that are all in the read buffer reach the writer in one
// write.
func TestExchangeJoinsBufferedChunks(t *testing.T) {
	s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200)
		w.Write([]byte("a"))
		w.Write([]byte("b"))
		w.Write([]byte("c"))
		w.End(true)
	})
	c := dial(t, s)
	var w writesRec
	res, err := c.Exchange(get("/"), nil, &w, safe)
	if err != nil || !res.Reuse || res.BodyBytes != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	if strings.Join(w.writes, "|") != "abc" {
		t.Fatalf("writes %q, want one of \"abc\"", w.writes)
	}
}

// Nothing is held while the exchange waits for the backend: a member that
// sends part of the body and then works must not keep the client waiting
// for that part.
func TestExchangeWritesBeforeWaiting(t *testing.T) {
	first := make(chan string, 1)
	s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200)
		w.Write([]byte("part"))
		// The next chunk's head goes out at once, its data only later: a
		// packet that is not all buffered may still keep us waiting.
		w.Raw([]byte{'A', 'B', 0, 8, 3, 0, 4})
		select {
		case <-first:
		case <-time.After(10 * time.Second): // bounds a broken exchange
		}
		w.Raw([]byte("rest\x00"))
		w.End(true)
	})
	c := dial(t, s)
	w := writesRec{seen: make(chan string, 2)}
	go func() { first <- <-w.seen }()
	res, err := c.Exchange(get("/"), nil, &w, safe)
	if err != nil || !res.Reuse {
		t.Fatalf("%+v %v", res, err)
	}
	if strings.Join(w.writes, "|") != "part|rest" {
		t.Fatalf("writes %q, want \"part\" before the wait and \"rest\" after", w.writes)
	}
}

// Held bytes still reach the client when the next chunk turns out to be
// malformed: whether the client saw a byte decides whether the request
// may be sent again, so holding must not change it.
func TestExchangeHeldBytesSurviveFailure(t *testing.T) {
	s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200)
		w.Write([]byte("a"))
		w.Raw([]byte{'A', 'B', 0, 4, 3, 0, 9, 0}) // chunk length 9 in a 4-byte packet
		w.CloseConn()
	})
	c := dial(t, s)
	var w writesRec
	res, err := c.Exchange(get("/"), nil, &w, safe)
	var ae *ajp.Error
	if !errors.As(err, &ae) || ae.Kind == ajp.KindClientWrite || res.Reuse {
		t.Fatalf("%+v %v", res, err)
	}
	if w.body.String() != "a" || res.BodyBytes != 1 {
		t.Fatalf("client got %q (%d bytes counted), want \"a\"", w.body.String(), res.BodyBytes)
	}
}
