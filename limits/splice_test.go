package limits

import (
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// splicingBody is a body that moves itself (as server/h1's does): each
// call reports waits after the given byte counts, then moves n bytes or
// times out.
type splicingBody struct {
	stepBody
	waits   []int64
	n       int64
	timeout bool
}

func (b *splicingBody) SpliceTo(dst io.Writer, max int64, arm func(read int64), armDst func()) (int64, error, error) {
	for _, w := range b.waits {
		arm(w)
	}
	if b.timeout {
		return 0, fmt.Errorf("raw-read: %w", os.ErrDeadlineExceeded), nil
	}
	return min(b.n, max), nil, nil
}

// TestBodyTimeoutSplice: a body that moves itself gets the deadline a
// read would before each of its waits (idle from now, within what the
// bytes so far earned at minRate), counts what it moved toward the rate,
// and its timeout is errBodyTimeout; a body that cannot splice is left
// to Read.
func TestBodyTimeoutSplice(t *testing.T) {
	t0 := time.Unix(1000, 0)
	now := func() time.Time { return t0.Add(35 * time.Second) }
	body := &splicingBody{waits: []int64{0, 2000}, n: 5000}
	r := httptest.NewRequest("POST", "/", nil)
	r.Body = body
	w := &deadlineWriter{ResponseWriter: httptest.NewRecorder()}
	var b BodyTimeout
	b.Guard(w, r, 10*time.Second, 100, func() time.Time { return t0 })
	b.now = now
	b.n = 1000 // read before the splice
	n, rerr, werr := b.SpliceTo(io.Discard, 1<<20, nil, nil)
	if n != 5000 || rerr != nil || werr != nil || b.n != 6000 {
		t.Fatalf("SpliceTo = %d, %v, %v, counted %d; want 5000 moved, 6000 counted", n, rerr, werr, b.n)
	}
	// The last wait came after 1000+2000 bytes: 30 s earned, earlier than
	// now+idle.
	if want := t0.Add(10*time.Second + 30*time.Second); !w.deadline.Equal(want) {
		t.Errorf("deadline %v, want %v", w.deadline, want)
	}
	body.timeout = true
	if _, rerr, _ := b.SpliceTo(io.Discard, 1<<20, nil, nil); !errors.Is(rerr, errBodyTimeout) {
		t.Errorf("a splice past its deadline: %v, want errBodyTimeout", rerr)
	}
	b.rc = &stepBody{n: 10}
	if n, rerr, werr := b.SpliceTo(io.Discard, 1<<20, nil, nil); n != 0 || rerr != nil || werr != nil {
		t.Errorf("a body that cannot splice: %d, %v, %v; want nothing done", n, rerr, werr)
	}
}
