package server

import (
	"context"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// lbReplayMember is an AJP member that counts the requests it receives and
// either answers 200 or, when failing, reads the request and closes the
// connection without a word (the order-processed-twice member).
type lbReplayMember struct {
	be      *ajptest.Server
	seen    atomic.Int32
	failing atomic.Bool
}

func newLBReplayMember(t *testing.T) *lbReplayMember {
	rm := &lbReplayMember{}
	rm.be = ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		rm.seen.Add(1)
		if r.ContentLength > 0 {
			io.CopyN(io.Discard, r.Body, r.ContentLength)
		}
		if rm.failing.Load() {
			w.CloseConn()
			return
		}
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "2"})
		w.Write([]byte("ok"))
	})
	t.Cleanup(rm.be.Close)
	return rm
}

// replayLB builds lb "lb" over real AJP members m1, m2 at the members'
// addresses; memberProps apply to both members. Sleeps return at once.
// It returns the compiled configuration too, for the bounds.
func replayLB(t *testing.T, members []*lbReplayMember, memberProps ...string) (*balancer.LB, *config.Config) {
	t.Helper()
	text := "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers="
	var names []string
	for i := range members {
		names = append(names, "m"+strconv.Itoa(i+1))
	}
	text += strings.Join(names, ",") + "\n"
	for i, rm := range members {
		host, port, _ := net.SplitHostPort(rm.be.Addr())
		p := "worker." + names[i] + "."
		text += p + "type=ajp13\n" + p + "host=" + host + "\n" + p + "port=" + port + "\n"
		for _, prop := range memberProps {
			text += p + prop + "\n"
		}
	}
	path := filepath.Join(t.TempDir(), "workers.properties")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: path, Mounts: []string{"/*=lb"}})
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	nosleep := func(context.Context, time.Duration) error { return nil }
	spec := balancer.Spec{Name: "lb", LB: cfg.Workers["lb"].LB, Sleep: nosleep}
	for _, name := range names {
		a := cfg.Workers[name].Member
		m := worker.NewMember(worker.Spec{Name: name, Attrs: a, Options: worker.Options{Sleep: nosleep}})
		t.Cleanup(m.Close)
		spec.Members = append(spec.Members, balancer.MemberSpec{Name: name, Attrs: a, Member: m})
	}
	lb, err := balancer.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	return lb, cfg
}

// warm sends one GET to each member through the lb (the Request method
// takes them in turn) while they answer, so each keeps a pooled
// connection, then has the failing ones fail and resets the counts. The
// POST then goes to m1 first again.
func replayWarm(t *testing.T, lb *balancer.LB, members []*lbReplayMember, failing ...bool) {
	t.Helper()
	for range members {
		if err := replaySend(lb, "GET", ""); err != nil {
			t.Fatalf("warming: %v", err)
		}
	}
	for i, rm := range members {
		if n := rm.seen.Load(); n != 1 {
			t.Fatalf("warming: m%d received %d GETs, want 1", i+1, n)
		}
		rm.seen.Store(0)
		rm.failing.Store(failing[i])
	}
}

// postOnce sends one POST through the lb and returns its error.
func replayPOST(lb *balancer.LB) error { return replaySend(lb, "POST", "order=42") }

func replaySend(lb *balancer.LB, method, body string) error {
	r := httptest.NewRequest(method, "/buy", strings.NewReader(body))
	req := &worker.Request{HTTP: r, Body: &ajp.Body{ContentLength: int64(len(body)), Kept: []byte(body)}}
	req.Forward = ajp.Request{Method: method, Protocol: "HTTP/1.1", URI: "/buy", RemoteAddr: "127.0.0.1",
		ServerName: "localhost", ServerPort: 80, SSLKeySize: -1}
	if body != "" {
		req.Forward.Headers = []ajp.Header{{Name: "Content-Length", Value: strconv.Itoa(len(body))}}
	} else {
		req.Body = &ajp.Body{}
	}
	return lb.Serve(httptest.NewRecorder(), req)
}

// TestLBPOSTSendsBoundedByRetries: an lb of two members, the first reads a
// POST and closes. mod_jk (jk_lb_worker.c service around ajp_service)
// sends it to each member it tries as often as worker.SendLimit says
// (worker.retries times; once with recovery_options=1), and tries a
// member once per lb round (the lb's retries). Nothing multiplies beyond
// that: no per-connection replays.
func TestLBPOSTSendsBoundedByRetries(t *testing.T) {
	t.Run("failover", func(t *testing.T) {
		m1, m2 := newLBReplayMember(t), newLBReplayMember(t)
		lb, cfg := replayLB(t, []*lbReplayMember{m1, m2})
		replayWarm(t, lb, []*lbReplayMember{m1, m2}, true, false)
		if err := replayPOST(lb); err != nil {
			t.Fatalf("failover to m2: %v", err)
		}
		want := worker.POSTSendLimit(cfg.Workers["m1"].Member) // one round: m2 answers
		if a, b := m1.seen.Load(), m2.seen.Load(); int(a) != want || b != 1 || want != 2 {
			t.Fatalf("m1 received the POST %d times (want %d, worker.retries), m2 %d (want 1)", a, want, b)
		}
	})
	t.Run("recovery_options=1", func(t *testing.T) {
		m1, m2 := newLBReplayMember(t), newLBReplayMember(t)
		lb, cfg := replayLB(t, []*lbReplayMember{m1, m2}, "recovery_options=1")
		replayWarm(t, lb, []*lbReplayMember{m1, m2}, true, false)
		if err := replayPOST(lb); err == nil || worker.Status(err) != 502 {
			t.Fatalf("err=%v, want 502: the POST may have been processed", err)
		}
		want := worker.POSTSendLimit(cfg.Workers["m1"].Member) // not resendable: no failover either
		if a, b := m1.seen.Load(), m2.seen.Load(); int(a) != want || b != 0 || want != 1 {
			t.Fatalf("m1 received the POST %d times (want %d), m2 %d (want 0)", a, want, b)
		}
	})
	t.Run("both fail", func(t *testing.T) {
		// Two lb rounds (lb retries=2), the second after the forced
		// recovery of both members in ERR: each member is tried once per
		// round, SendLimit (worker.retries=2) sends each time.
		m1, m2 := newLBReplayMember(t), newLBReplayMember(t)
		lb, cfg := replayLB(t, []*lbReplayMember{m1, m2})
		replayWarm(t, lb, []*lbReplayMember{m1, m2}, true, true)
		if err := replayPOST(lb); err == nil {
			t.Fatal("no error from two failing members")
		}
		rounds := cfg.Workers["lb"].LB.Retries
		for i, m := range []*lbReplayMember{m1, m2} {
			want := rounds * worker.POSTSendLimit(cfg.Workers["m"+strconv.Itoa(i+1)].Member)
			if got := int(m.seen.Load()); got != want || want != 4 {
				t.Errorf("m%d received the POST %d times; want %d (%d lb rounds x SendLimit)", i+1, got, want, rounds)
			}
		}
	})
}
