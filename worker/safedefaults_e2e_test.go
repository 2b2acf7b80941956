package worker

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// vanishedMember is an AJP member compiled from workers.properties with
// props, reached through a Vanisher, on an injected clock, with one
// request already served (so one connection sits in the pool).
func vanishedMember(t *testing.T, props ...string) (*Member, *ajptest.Server, *ajptest.Vanisher, *atomic.Int64) {
	t.Helper()
	s := ajptest.NewServer(nil)
	t.Cleanup(s.Close)
	v, err := ajptest.NewVanisher(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	var offset atomic.Int64
	base := time.Now()
	m := NewMember(Spec{Name: "w", Attrs: ajpSpec(t, v.Addr(), props...), Options: Options{
		Sleep: func(context.Context, time.Duration) error { return nil },
		Now:   func() time.Time { return base.Add(time.Duration(offset.Load())) }}})
	t.Cleanup(m.Close)
	getOK(t, m, "/")
	return m, s, v, &offset
}

// TestSafeDefaultsForgottenConnection: with the defaults of an untuned
// workers.properties, a pooled connection that a firewall forgot while it
// idled costs the request nothing: it is answered 200 on a fresh
// connection, and only the 5-byte CPing went into the void.
func TestSafeDefaultsForgottenConnection(t *testing.T) {
	m, s, v, clk := vanishedMember(t)
	v.Vanish()
	clk.Add(int64(6 * time.Second))
	// A failsafe, not a timing assertion: without the defaults the request
	// would wait for ever (socket_timeout 0); the cleanup closes it.
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		rec := httptest.NewRecorder()
		_, err := m.Forward(rec, toRequest(t, httptest.NewRequest("GET", "/", nil), 8192), &Attempt{})
		done <- result{rec.Code, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || r.code != 200 {
			t.Fatalf("request on a forgotten connection: %v %d", r.err, r.code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the request on a forgotten connection hangs")
	}
	eventually(t, "the CPing reaches the black hole", func() bool { return v.Dropped() >= 5 })
	if s.Requests() != 2 || v.Dropped() != 5 {
		t.Fatalf("requests %d, dropped %d bytes (want only the CPing's 5)", s.Requests(), v.Dropped())
	}
}

// TestModJKValuesForgottenConnection: with mod_jk's values written out,
// the request is written into the void, as mod_jk does (socket_timeout
// bounds the test).
func TestModJKValuesForgottenConnection(t *testing.T) {
	m, _, v, clk := vanishedMember(t, "prepost_timeout=0", "socket_timeout=1", "retries=1")
	v.Vanish()
	clk.Add(int64(6 * time.Second))
	rec := httptest.NewRecorder()
	_, err := m.Forward(rec, toRequest(t, httptest.NewRequest("GET", "/", nil), 8192), &Attempt{})
	if err == nil {
		t.Fatalf("the request on a forgotten connection was answered %d", rec.Code)
	}
	eventually(t, "the request reaches the black hole", func() bool { return v.Dropped() > 5 })
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
