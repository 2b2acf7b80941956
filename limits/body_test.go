package limits

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// deadlineWriter is a ResponseWriter that can set read deadlines, and
// remembers the last.
type deadlineWriter struct {
	http.ResponseWriter
	deadline time.Time
}

func (w *deadlineWriter) SetReadDeadline(t time.Time) error { w.deadline = t; return nil }

// stepBody returns n bytes per Read until told to time out.
type stepBody struct {
	n       int
	expired bool
	closed  bool
}

func (b *stepBody) Read(p []byte) (int, error) {
	if b.expired {
		return 0, fmt.Errorf("read tcp: %w", os.ErrDeadlineExceeded)
	}
	return copy(p, strings.Repeat("b", b.n)), nil
}

func (b *stepBody) Close() error { b.closed = true; return nil }

// TestBodyTimeoutDeadlines: every read gets idle from now, but no later
// than the allowance the bytes received so far earned at minRate; a
// deadline that ran out reads as errBodyTimeout.
func TestBodyTimeoutDeadlines(t *testing.T) {
	t0 := time.Unix(1000, 0)
	clock := t0
	now := func() time.Time { return clock }
	body := &stepBody{n: 1000}
	r := httptest.NewRequest("POST", "/", nil)
	r.Body = body
	w := &deadlineWriter{ResponseWriter: httptest.NewRecorder()}
	var b BodyTimeout
	b.Guard(w, r, 10*time.Second, 100, now)
	if r.Body != &b {
		t.Fatal("the body is not guarded")
	}
	p := make([]byte, 4096)
	for _, step := range []struct {
		at, deadline time.Duration
	}{
		{0, 10 * time.Second},                 // idle from the start
		{5 * time.Second, 15 * time.Second},   // idle from now: 1000 B earned 10 s more
		{30 * time.Second, 30 * time.Second},  // 2000 B at 100 B/s: 10 s + 20 s
		{100 * time.Second, 40 * time.Second}, // 3000 B: already past
	} {
		clock = t0.Add(step.at)
		if n, err := b.Read(p); n != 1000 || err != nil {
			t.Fatalf("read at %v: %d, %v", step.at, n, err)
		}
		if got := w.deadline.Sub(t0); got != step.deadline {
			t.Errorf("read at %v: deadline %v after the start, want %v", step.at, got, step.deadline)
		}
	}
	body.expired = true
	if _, err := b.Read(p); !errors.Is(err, errBodyTimeout) {
		t.Errorf("read past the deadline: %v, want errBodyTimeout", err)
	}
	b.Close()
	if !body.closed {
		t.Error("Close did not close the body")
	}
}

// TestBodyTimeoutWithoutMinRate: body_min_rate 0 leaves only the idle
// limit per read.
func TestBodyTimeoutWithoutMinRate(t *testing.T) {
	clock := time.Unix(1000, 0)
	r := httptest.NewRequest("POST", "/", nil)
	r.Body = &stepBody{n: 10}
	w := &deadlineWriter{ResponseWriter: httptest.NewRecorder()}
	var b BodyTimeout
	b.Guard(w, r, time.Second, 0, func() time.Time { return clock })
	clock = clock.Add(time.Hour)
	io.ReadFull(r.Body, make([]byte, 5))
	if want := clock.Add(time.Second); !w.deadline.Equal(want) {
		t.Errorf("deadline %v, want %v", w.deadline, want)
	}
}

// TestBodyTimeoutNotGuarded: no read_body_timeout, or a writer that
// cannot set deadlines, leaves the body alone.
func TestBodyTimeoutNotGuarded(t *testing.T) {
	for _, c := range []struct {
		name string
		w    http.ResponseWriter
		idle time.Duration
	}{
		{"timeout 0", &deadlineWriter{ResponseWriter: httptest.NewRecorder()}, 0},
		{"no deadlines", httptest.NewRecorder(), time.Second},
	} {
		r := httptest.NewRequest("POST", "/", nil)
		body := &stepBody{}
		r.Body = body
		var b BodyTimeout
		b.Guard(c.w, r, c.idle, 100, time.Now)
		if r.Body != body {
			t.Errorf("%s: the body was wrapped", c.name)
		}
	}
}
