package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// hostile are members that misbehave in the ways docs/compat.md#status-codes maps
// to statuses. Status 200: the client gets the member's 200 head and then
// a broken body (the failure came after the response started: nothing
// else can be said).
var hostile = []struct {
	name   string
	h      ajptest.Handler // nil: a member that stops answering (silentMember, head: after its head)
	head   bool
	status int
}{
	{"garbage instead of a packet", rawReply(false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")), false, 502},
	{"closed before the headers", rawReply(false, nil), false, 502},
	{"unknown message type", rawReply(false, []byte{'A', 'B', 0, 1, 0x0b}), false, 500},
	{"body chunk before the headers", rawReply(false, []byte{'A', 'B', 0, 5, 3, 0, 1, 'a', 0}), false, 500},
	{"body chunk longer than its packet", rawReply(true, []byte{'A', 'B', 0, 5, 3, 0, 0x10, 'a', 0}), true, 200},
	{"closed mid-body", func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "100"})
		w.Write([]byte("part"))
		w.Flush()
		w.CloseConn()
	}, true, 200},
	{"never answers", nil, false, 504},
	// The head waits for the first body bytes (JkOptions -FlushHeader),
	// so nothing reached the client: 504, as httpd answers when mod_jk
	// fails before any body was sent.
	{"answers the head, then never the body", nil, true, 504},
}

// memberUnderTest is a hostile member: where it listens and how many
// connections it has open.
type memberUnderTest interface {
	Addr() string
	OpenConns() int
	Close()
}

func startHostile(h ajptest.Handler, head bool) memberUnderTest {
	if h != nil {
		return ajptest.NewServer(h)
	}
	return newSilentMember(head)
}

// silentMember reads a forward request, optionally answers its head, and
// then says nothing more, reading until the proxy closes the connection
// (ajptest's handlers cannot see that while they wait).
type silentMember struct {
	ln   net.Listener
	head bool
	open atomic.Int32
	wg   sync.WaitGroup
}

func newSilentMember(head bool) *silentMember {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	m := &silentMember{ln: ln, head: head}
	m.wg.Add(1)
	go m.accept()
	return m
}

func (m *silentMember) accept() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			return
		}
		m.open.Add(1)
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer m.open.Add(-1)
			defer c.Close()
			var hdr [4]byte
			if _, err := io.ReadFull(c, hdr[:]); err != nil {
				return
			}
			if _, err := io.CopyN(io.Discard, c, int64(hdr[2])<<8|int64(hdr[3])); err != nil {
				return
			}
			if m.head { // SEND_HEADERS 200 "OK", Content-Length: 100
				c.Write([]byte{'A', 'B', 0, 18, 4, 0, 200, 0, 2, 'O', 'K', 0, 0, 1, 0xA0, 0x08, 0, 3, '1', '0', '0', 0})
			}
			io.Copy(io.Discard, c) // until the proxy closes
		}()
	}
}

func (m *silentMember) Addr() string   { return m.ln.Addr().String() }
func (m *silentMember) OpenConns() int { return int(m.open.Load()) }
func (m *silentMember) Close()         { m.ln.Close(); m.wg.Wait() }

func memberPort(m memberUnderTest) string {
	_, p, _ := net.SplitHostPort(m.Addr())
	return p
}

// rawReply sends the headers first (when head is set), then b, and
// closes the connection.
func rawReply(head bool, b []byte) ajptest.Handler {
	return func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		if head {
			w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "100"})
			w.Flush()
		}
		if len(b) > 0 {
			w.Raw(b)
		}
		w.CloseConn()
	}
}

// TestMisbehavingMembersLeakNothing: each misbehaving member gives the
// status mod_jk gives for a directly mounted worker, and afterwards no
// goroutine is left over, the pool keeps no connection, and the member's
// end of every connection is closed.
func TestMisbehavingMembersLeakNothing(t *testing.T) {
	for _, c := range hostile {
		t.Run(c.name, func(t *testing.T) {
			be := startHostile(c.h, c.head)
			defer be.Close()
			ts := hardServer(t, "", "worker.list=w\nworker.w.host=127.0.0.1\nworker.w.port="+memberPort(be)+
				"\nworker.w.reply_timeout=300\nworker.w.retries=1\n", "/*=w")
			base := settledGoroutines(t, ts)
			status, broken := rawGet(t, ts.addr(), "/x")
			if status != c.status || broken != (c.status == 200) {
				t.Errorf("status %d, body broken %v; want %d, %v", status, broken, c.status, c.head)
			}
			noLeaks(t, base, be, func() int { return memberOpen(ts) })
		})
	}
}

// TestMisbehavingMemberFailsOver: under an lb the same failures before
// the response started move the request to the healthy member.
func TestMisbehavingMemberFailsOver(t *testing.T) {
	for _, c := range hostile {
		if c.status == 200 {
			continue // the client saw the response begin: no failover
		}
		t.Run(c.name, func(t *testing.T) {
			bad, good := startHostile(c.h, c.head), ajptest.NewServer(ajptest.EchoHandler("t2"))
			defer bad.Close()
			defer good.Close()
			ts := hardServer(t, "", "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=t1,t2\n"+
				"worker.t1.host=127.0.0.1\nworker.t1.port="+memberPort(bad)+"\nworker.t1.reply_timeout=300\n"+
				"worker.t2.host=127.0.0.1\nworker.t2.port="+portOf(good)+"\n", "/*=lb")
			// The healthy member's pooled connection belongs to the baseline.
			if status, _ := rawGet(t, ts.addr(), "/warm;jsessionid=abc.t2"); status != 200 {
				t.Fatalf("warm-up: %d", status)
			}
			base := settledGoroutines(t, ts)
			// The session names t1: the bad member is tried first.
			status, broken := rawGet(t, ts.addr(), "/x;jsessionid=abc.t1")
			if status != 200 || broken || good.Requests() != 2 {
				t.Errorf("status %d broken %v, healthy member saw %d", status, broken, good.Requests())
			}
			noLeaks(t, base, bad, func() int { return ts.srv.rt.Load().members[0].ConnStats().Open })
		})
	}
}

// rawGet sends one GET on a fresh connection (closed afterwards) and
// reports the status and whether the body ended short of its length.
func rawGet(t *testing.T, addr, path string) (int, bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err != nil
}

// settledGoroutines returns the goroutine count once the server serves
// (a request it answers itself went through) and the count holds still
// for 50 ms (at most 5 s).
func settledGoroutines(t *testing.T, ts *testServer) int {
	t.Helper()
	if status, _ := rawGet(t, ts.addr(), "/%2e%2e/"); status != http.StatusBadRequest {
		t.Fatalf("warm-up: status %d", status)
	}
	prev := -1
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		n := goruntime.NumGoroutine()
		if n == prev {
			return n
		}
		prev = n
	}
	t.Fatal("the goroutine count did not settle")
	return 0
}

// noLeaks waits (at most 5 s) until the goroutines are back to base, the
// pool holds no connection and the member has none open.
func noLeaks(t *testing.T, base int, be memberUnderTest, poolOpen func() int) {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for {
		g, p, o := goruntime.NumGoroutine(), poolOpen(), be.OpenConns()
		if g <= base && p == 0 && o == 0 {
			return
		}
		if time.Now().After(end) {
			buf := make([]byte, 1<<16)
			t.Fatalf("after 5 s: %d goroutines (baseline %d), pool open %d, member open %d\n%s",
				g, base, p, o, buf[:goruntime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
