package ajp_test

import (
	"io"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// countReader counts the reads of a body source, as syscalls on the
// client's socket.
type countReader struct {
	r     io.Reader
	reads int
}

func (c *countReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// TestLargeRequestBodyReadsAhead: a 1 MiB request body is read from the
// client in 64 KiB reads, not one per GET_BODY_CHUNK (128 of them by
// default), and reaches the member whole (docs/performance.md#large-bodies).
// A small body is still read packet by packet.
func TestLargeRequestBodyReadsAhead(t *testing.T) {
	for _, c := range []struct {
		size     int64
		maxReads int
	}{{1 << 20, 24}, {20000, 3}} {
		s := newServer(t, ajptest.EchoHandler("t1"))
		conn := dial(t, s)
		rest := &countReader{r: &pattern{n: c.size}}
		var w rec
		res, err := conn.Exchange(post("/up", c.size), &ajp.Body{ContentLength: c.size, Rest: rest}, &w, safe)
		if err != nil || !res.Reuse || !res.BodyStreamed {
			t.Fatalf("%d bytes: %+v %v", c.size, res, err)
		}
		if want := "body=" + itoa(c.size) + "\n"; !strings.Contains(w.body.String(), want) {
			t.Fatalf("%d bytes: member answered %q", c.size, w.body.String())
		}
		if rest.reads > c.maxReads {
			t.Errorf("%d bytes: %d reads of the client body, want at most %d", c.size, rest.reads, c.maxReads)
		}
	}
}
