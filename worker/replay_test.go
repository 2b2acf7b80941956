package worker

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// failOnce warms a member of kind k (props are its attributes) with warm
// concurrent GETs, makes it fail at stage and sends one method request:
// it returns how often the member received that request, and the error.
func failOnce(t *testing.T, k memberKind, stage failStage, warm int, method string, props ...string) (int, error) {
	t.Helper()
	s := newSendScenario(stage)
	m := noSleepMember(t, k.spec(t, k.start(t, s), props...))
	warmPool(t, k, m, s, warm)
	s.fail()
	body := ""
	if method == http.MethodPost {
		body = "order=42"
	}
	_, err := m.Forward(httptest.NewRecorder(), k.newReq(t, method, body), &Attempt{})
	return int(s.seen.Load()), err
}

// TestPOSTNotReplayedPerPooledConnection is the tester's scenario: default
// settings (retries=2, recovery_options=0), 30 connections warm in the
// pool, a member that reads a POST and closes without answering. mod_jk
// sends it worker.retries times (2); jkbalancer sent it once per pooled
// connection (19 over AJP, 9 over HTTP). With recovery_options=1 once.
func TestPOSTNotReplayedPerPooledConnection(t *testing.T) {
	for _, k := range memberKinds {
		t.Run(k.name, func(t *testing.T) {
			seen, err := failOnce(t, k, failCloseAfterRead, 30, http.MethodPost)
			if err == nil || Status(err) != http.StatusBadGateway {
				t.Errorf("defaults: err=%v (status %d), want a 502", err, Status(err))
			}
			if seen != 2 {
				t.Errorf("defaults: the member received the POST %d times, want 2 (worker.retries)", seen)
			}
			seen, _ = failOnce(t, k, failCloseAfterRead, 30, http.MethodPost, "recovery_options=1")
			if seen != 1 {
				t.Errorf("recovery_options=1: the member received the POST %d times, want 1", seen)
			}
		})
	}
}

// TestRecoveryBitsWithWarmPool: bits 8 and 16 bring back the resend after
// bit 1 for HEAD and GET (8 wins when both are set, mod_jk's else-if in
// ajp_get_reply), and a warm pool adds nothing to it.
func TestRecoveryBitsWithWarmPool(t *testing.T) {
	cases := []struct {
		ro     int
		method string
		want   int
	}{
		{9, "GET", 1}, {9, "HEAD", 2}, {17, "GET", 2}, {17, "HEAD", 1}, {17, "POST", 1},
		{25, "GET", 1}, {25, "HEAD", 2}, {24, "GET", 2}, {8, "POST", 2}, {16, "POST", 2},
	}
	for _, k := range memberKinds {
		for _, c := range cases {
			seen, _ := failOnce(t, k, failCloseAfterRead, 4, c.method, "recovery_options="+strconv.Itoa(c.ro))
			if seen != c.want {
				t.Errorf("%s recovery_options=%d %s: member received it %d times, want %d", k.name, c.ro, c.method, seen, c.want)
			}
		}
	}
}

// restartMember is a member of kind k that answers 200 "ok" (holding the
// first requests until s.want are in flight) and counts requests; restart
// closes every connection it has open, as a restarted member does, and
// returns once each close is done (the FIN went out), so the test does
// not race the liveness check against it.
type restartMember struct {
	addr    string
	seen    func() int64
	restart func()
}

func newRestartMember(t *testing.T, kind string, s *sendScenario) restartMember {
	if kind == "ajp" {
		be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
			io.Copy(io.Discard, r.Body)
			if !s.failing.Load() {
				s.hold()
			}
			w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "2"})
			w.Write([]byte("ok"))
		})
		t.Cleanup(be.Close)
		return restartMember{be.Addr(), be.Requests, func() {
			be.CloseIdleConns()
			// A connection leaves OpenConns when its goroutine returns,
			// after the read the close ended: the socket is closed.
			for i := 0; i < 2000 && be.OpenConns() > 0; i++ {
				time.Sleep(time.Millisecond)
			}
		}}
	}
	h := &httpRestartMember{conns: make(map[net.Conn]chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.all.Add(1)
	go h.accept(ln, s)
	t.Cleanup(func() { ln.Close(); h.restart(); h.all.Wait() })
	return restartMember{ln.Addr().String(), h.seen.Load, h.restart}
}

// httpRestartMember is the HTTP/1.1 side of restartMember, on raw TCP so
// that restart knows when its sockets are closed.
type httpRestartMember struct {
	seen  atomic.Int64
	all   sync.WaitGroup // the accept loop and every connection
	mu    sync.Mutex
	conns map[net.Conn]chan struct{} // closed when the connection's goroutine returns
}

func (h *httpRestartMember) accept(ln net.Listener, s *sendScenario) {
	defer h.all.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		done := make(chan struct{})
		h.mu.Lock()
		h.conns[c] = done
		h.all.Add(1)
		h.mu.Unlock()
		go h.serve(c, s, done)
	}
}

func (h *httpRestartMember) serve(c net.Conn, s *sendScenario, done chan struct{}) {
	defer h.all.Done()
	defer close(done)
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		r, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, r.Body)
		h.seen.Add(1)
		if !s.failing.Load() {
			s.hold()
		}
		if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
			return
		}
	}
}

// restart closes every connection and waits until their goroutines
// returned: each read ended with the close, so the sockets are closed.
func (h *httpRestartMember) restart() {
	h.mu.Lock()
	conns := h.conns
	h.conns = make(map[net.Conn]chan struct{})
	h.mu.Unlock()
	for c, done := range conns {
		c.Close()
		<-done
	}
}

// TestRestartLeavesStalePoolNoRetrySpent: the member restarts while four
// connections sit in the pool (it closed them while idle). With retries=1
// the next POST still succeeds, reaches the member once, and spends no
// retry: the liveness check drops the stale connections, like mod_jk's
// jk_is_socket_connected in ajp_send_request. Both for a POST that goes
// out in one write (an http member looks with the wait for the response,
// sendwait.Send) and for one larger than the write buffer, whose first
// write looks on its own (countedConn.writeFirst's check).
func TestRestartLeavesStalePoolNoRetrySpent(t *testing.T) {
	for _, k := range memberKinds {
		for _, body := range []string{"order=42", "order=" + strings.Repeat("4", memberWriteBuf-100)} {
			t.Run(k.name+"/"+strconv.Itoa(len(body)), func(t *testing.T) {
				s := newSendScenario(failCloseAfterRead)
				be := newRestartMember(t, k.name, s)
				m := noSleepMember(t, k.spec(t, be.addr, "retries=1"))
				warmPool(t, k, m, s, 4)
				s.fail() // stop holding
				be.restart()
				before := be.seen()
				w := httptest.NewRecorder()
				if _, err := m.Forward(w, k.newReq(t, http.MethodPost, body), &Attempt{}); err != nil || w.Code != 200 {
					t.Fatalf("after the restart: err=%v code=%d", err, w.Code)
				}
				if got := be.seen() - before; got != 1 {
					t.Errorf("the member received the POST %d times, want 1", got)
				}
				if r := m.Metrics().Snapshot().Retries; r != 0 {
					t.Errorf("%d retries spent on stale connections, want 0", r)
				}
			})
		}
	}
}

// TestStaleWriteResentWithoutRetry: the member closed every pooled
// connection after the liveness check passed (the race a restart leaves,
// or a platform without the check), so writing the request fails on each
// of them. The member never got it: it goes out at once on a fresh
// connection, without spending the only retry, and arrives once.
func TestStaleWriteResentWithoutRetry(t *testing.T) {
	for _, k := range memberKinds {
		t.Run(k.name, func(t *testing.T) {
			s := newSendScenario(failCloseAfterRead)
			be := newRestartMember(t, k.name, s)
			m := noSleepMember(t, k.spec(t, be.addr, "retries=1"))
			warmPool(t, k, m, s, 4)
			s.fail() // stop holding
			stale := 0
			m.beforeSend = func(reused bool, conn io.Closer) {
				if reused {
					stale++
					conn.Close()
				}
			}
			before := be.seen()
			w := httptest.NewRecorder()
			if _, err := m.Forward(w, k.newReq(t, http.MethodPost, "order=42"), &Attempt{}); err != nil || w.Code != 200 {
				t.Fatalf("err=%v code=%d after %d stale connections", err, w.Code, stale)
			}
			if stale != 4 {
				t.Errorf("%d stale connections tried, want the 4 pooled ones", stale)
			}
			if got := be.seen() - before; got != 1 {
				t.Errorf("the member received the POST %d times, want 1", got)
			}
			if r := m.Metrics().Snapshot().Retries; r != 0 {
				t.Errorf("%d retries spent on stale connections, want 0", r)
			}
		})
	}
}
