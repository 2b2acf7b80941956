package ajp

import (
	"bufio"
	"fmt"
	"io"
	"sync"
)

// errBodyShort reports a client body that ended before its Content-Length.
var errBodyShort = fmt.Errorf("client body ended before Content-Length: %w", io.ErrUnexpectedEOF)

// dataPacket builds in dst (length 0, capacity >= 6+want) the next request
// body packet with up to want bytes (docs/ajp13.md#request-body-flow): Kept first, then Rest.
// It never lets the total exceed ContentLength, and once the body is
// exhausted it returns the empty packet 12 34 00 00.
//
// The offset into Kept lives in the exchange, not in Body, so the next
// attempt's Exchange sends Kept again. Reading Rest sets BodyStreamed: those
// bytes exist nowhere else. A Rest that fails, or ends short of a known
// length, is a client error; the caller closes the connection so Tomcat's
// application sees an I/O error rather than a silently truncated body
// (docs/ajp13.md#request-body-flow rule 8).
func (x *exchange) dataPacket(dst []byte, want int) ([]byte, error) {
	b := x.body
	if b == nil || x.eof {
		want = 0
	} else if b.ContentLength >= 0 {
		want = int(min(int64(want), b.ContentLength-x.sent))
	}
	if want <= 0 {
		return appendEmptyData(dst), nil
	}
	data := dst[6 : 6+want]
	n := 0
	if x.kept < len(b.Kept) {
		n = copy(data, b.Kept[x.kept:])
		x.kept += n
	}
	if n < want {
		m, err := x.readRest(data[n:])
		n += m
		if err != nil {
			return dst, err
		}
	}
	if n == 0 {
		return appendEmptyData(dst), nil
	}
	x.sent += int64(n)
	dst = dst[:6+n]
	putHeader(dst, magicToBackend0, magicToBackend1, n+2)
	dst[4], dst[5] = byte(n>>8), byte(n)
	return dst, nil
}

// readRest fills p from the client body. With a known length every byte
// must come; with an unknown length the end of the body is normal and
// marks the exchange's body as exhausted.
func (x *exchange) readRest(p []byte) (int, error) {
	b := x.body
	if b.Rest == nil {
		if b.ContentLength >= 0 {
			return 0, errBodyShort
		}
		x.eof = true
		return 0, nil
	}
	x.res.BodyStreamed = true
	src := b.Rest
	if x.ahead != nil || (b.ContentLength < 0 || b.ContentLength-int64(len(b.Kept)) >= largeRead) {
		src = x.readAhead()
	}
	n, err := io.ReadFull(src, p)
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		if b.ContentLength >= 0 {
			return n, errBodyShort
		}
		x.eof = true
		return n, nil
	}
	return n, err
}

// aheadPool holds the read-ahead buffers of large request bodies.
var aheadPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, largeRead) }}

// readAhead returns the body's rest behind a largeRead buffer: a body of
// 64 KiB or more (or of unknown length) is read from the client in reads
// of up to 64 KiB, not one per packet Tomcat asks for
// (docs/performance.md#large-bodies). A read returns what the client has
// sent, so nothing waits longer than reading the packet itself would;
// what is read ahead is streamed (BodyStreamed), and endExchange gives
// the buffer back.
func (x *exchange) readAhead() io.Reader {
	if x.ahead == nil {
		x.ahead = aheadPool.Get().(*bufio.Reader)
		x.ahead.Reset(x.body.Rest)
	}
	return x.ahead
}

// endAhead gives the read-ahead buffer back; what it still holds was the
// client's and is dropped with the exchange, like the rest of a body the
// member never asked for.
func (x *exchange) endAhead() {
	if x.ahead != nil {
		x.ahead.Reset(nil)
		aheadPool.Put(x.ahead)
		x.ahead = nil
	}
}
