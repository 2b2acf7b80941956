package limits

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// errBodyTimeout is what a request body read returns once
// limits.read_body_timeout ran out: the request fails as a client error
// (400, or the backend connection closed mid-body: docs/compat.md#status-codes
// "client aborted while sending body"), and the backend connection is
// never reused (CVE-2008-5519).
var errBodyTimeout = errors.New("client request body too slow (limits.read_body_timeout, limits.body_min_rate)")

// readDeadliner is what net/http's HTTP/1 and HTTP/2 response writers
// offer (http.ResponseController uses it too).
type readDeadliner interface {
	SetReadDeadline(time.Time) error
}

// BodyTimeout wraps a request body so that every read must complete
// before a deadline, mod_reqtimeout style: the body gets an initial
// allowance (idle) extended by one second per minRate bytes received,
// and no single read may wait longer than idle. A stalled body and one
// trickled slower than minRate both run out. The server keeps one in its
// pooled per-request scratch, so guarding a body allocates nothing: both transports read the
// body on the handler's goroutine, so nothing reads through it after the
// handler returned (net/http's client Transport, used for HTTP members
// before, did, and it was allocated per request then).
type BodyTimeout struct {
	rc      io.ReadCloser
	dl      readDeadliner
	now     func() time.Time
	start   time.Time
	idle    time.Duration
	minRate int64
	n       int64 // bytes received so far
}

// Guard puts the deadline on r's body when w can set read deadlines
// (idle <= 0: no deadline). b replaces r.Body until r is done.
func (b *BodyTimeout) Guard(w http.ResponseWriter, r *http.Request, idle time.Duration, minRate int, now func() time.Time) {
	dl, ok := w.(readDeadliner)
	if !ok || idle <= 0 {
		return
	}
	*b = BodyTimeout{rc: r.Body, dl: dl, now: now, start: now(), idle: idle, minRate: int64(minRate)}
	r.Body = b
}

// Read reads the body under the deadline; a deadline that ran out is
// errBodyTimeout.
func (b *BodyTimeout) Read(p []byte) (int, error) {
	if err := b.arm(b.n); err != nil {
		return 0, err
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = errBodyTimeout
	}
	return n, err
}

// arm sets the deadline of the next wait for the body, got bytes into it.
func (b *BodyTimeout) arm(got int64) error {
	deadline := b.now().Add(b.idle)
	if b.minRate > 0 {
		earned := b.start.Add(b.idle + time.Duration(got/b.minRate)*time.Second)
		if earned.Before(deadline) {
			deadline = earned
		}
	}
	return b.dl.SetReadDeadline(deadline)
}

// splicer is a body that can move itself to a member's socket
// (server/h1's, docs/performance.md#large-bodies).
type splicer interface {
	SpliceTo(dst io.Writer, max int64, arm func(read int64), armDst func()) (n int64, readErr, writeErr error)
}

// SpliceTo passes a splice of the body on to the body beneath, with the
// deadline Read would set before each of its waits; it returns 0 and no
// error when that body cannot splice.
func (b *BodyTimeout) SpliceTo(dst io.Writer, max int64, arm func(read int64), armDst func()) (n int64, readErr, writeErr error) {
	s, ok := b.rc.(splicer)
	if !ok {
		return 0, nil, nil
	}
	got := b.n
	n, readErr, writeErr = s.SpliceTo(dst, max, func(read int64) {
		b.arm(got + read)
		if arm != nil {
			arm(read)
		}
	}, armDst)
	b.n += n
	if readErr != nil && errors.Is(readErr, os.ErrDeadlineExceeded) {
		readErr = errBodyTimeout
	}
	return n, readErr, writeErr
}

// Close closes the body.
func (b *BodyTimeout) Close() error { return b.rc.Close() }
