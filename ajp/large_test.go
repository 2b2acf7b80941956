package ajp

import (
	"bytes"
	"testing"
)

// countConn is a turnConn that counts its reads.
type countConn struct {
	turnConn
	reads int
}

func (c *countConn) Read(p []byte) (int, error) {
	c.reads++
	return c.turnConn.Read(p)
}

// writeCounter is a recorder that counts the writes to the client.
type writeCounter struct {
	recorder
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.recorder.Write(p)
}

// largeReply is a 200 with a body of chunks packets of P-8 bytes each.
func largeReply(chunks int) (reply, body []byte) {
	head := sendHeadersPayload(200, "OK")
	reply = append([]byte{'A', 'B', byte(len(head) >> 8), byte(len(head))}, head...)
	data := bytes.Repeat([]byte("0123456789abcdef"), DefaultPacketSize/16)[:DefaultPacketSize-8]
	for i := range chunks {
		data[0] = byte(i)
		reply = append(reply, 'A', 'B', byte((len(data)+4)>>8), byte(len(data)+4), 3, byte(len(data)>>8), byte(len(data)))
		reply = append(append(reply, data...), 0)
		body = append(body, data...)
	}
	return append(reply, 'A', 'B', 0, 2, 5, 1), body
}

// TestLargeResponseReadsLarge: a response past largeRead bytes is read in
// 64 KiB reads and written to the client in as large writes, not a read
// and a write per 16 KiB (docs/performance.md#large-bodies); its buffers
// go back when it ends, and the next exchange on the connection starts
// with the small ones again. (Without grow: 64 reads and 64 writes.)
func TestLargeResponseReadsLarge(t *testing.T) {
	reply, body := largeReply(128) // 1 MiB
	tc := &countConn{turnConn: turnConn{scriptConn: *newScriptConn(nil), replies: [][]byte{reply, reply}}}
	c := NewConn(tc, 0)
	for i := range 2 {
		tc.reads = 0
		var w writeCounter
		res, err := c.Exchange(reqV2(), nil, &w, nil)
		if err != nil || !res.Reuse || !bytes.Equal(w.body.Bytes(), body) {
			t.Fatalf("exchange %d: %+v %v, %d body bytes of %d", i, res, err, w.body.Len(), len(body))
		}
		if tc.reads > 32 || w.writes > 32 {
			t.Errorf("exchange %d: %d reads and %d client writes for 1 MiB, want at most 32 each", i, tc.reads, w.writes)
		}
		if c.bufferSet != nil {
			t.Fatalf("exchange %d kept its buffers", i)
		}
	}
	c.lease()
	if c.br.Size() != 2*DefaultPacketSize || c.large != nil {
		t.Errorf("the next lease reads into %d bytes, want the set's own %d", c.br.Size(), 2*DefaultPacketSize)
	}
	c.release()
}

// TestLargeResponseJunk: bytes after END_RESPONSE of a large response,
// whichever buffer holds them, keep the connection from being reused.
func TestLargeResponseJunk(t *testing.T) {
	reply, _ := largeReply(16)
	c := NewConn(newScriptConn(append(reply, 'A', 'B', 0, 1)), 0)
	var w recorder
	res, err := c.Exchange(reqV2(), nil, &w, nil)
	if err != nil || res.Reuse || !res.Trailing || c.Alive() {
		t.Fatalf("junk after a large response: %+v %v", res, err)
	}
}

// replayConn answers every request with the same reply.
type replayConn struct {
	scriptConn
	reply []byte
	rd    bytes.Reader
}

func (c *replayConn) Write(p []byte) (int, error) {
	c.rd.Reset(c.reply)
	c.r = &c.rd
	return len(p), nil
}

// BenchmarkExchangeLarge is a whole exchange of a 1 MiB response (128
// packets of P-8 bytes) from an in-memory backend to a writer that
// discards: the read and hold path of a large body, without syscalls.
func BenchmarkExchangeLarge(b *testing.B) {
	reply, body := largeReply(128)
	c := NewConn(&replayConn{reply: reply}, 0)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if res, err := c.Exchange(reqV2(), nil, discardWriter{}, nil); err != nil || !res.Reuse {
			b.Fatal(res, err)
		}
	}
}
