package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// The hostile-member harness: a member misbehaves on GET /bad and
// answers GET /next cleanly ("next"); jkbalancer serves it as a directly
// mounted worker. hostileRun checks, for one misbehaviour, what the
// client got, that the next request is answered cleanly, how often the
// member got /bad, and the log.

// hostileWant is what one misbehaviour must give.
type hostileWant struct {
	status int    // the client's status; with cut, the status of the head it saw
	cut    bool   // the response began and was then cut
	sends  sends  // how /bad ended at the member: how often it may get it
	log    string // the one WARN line has this (see logs); "": no WARN line
}

// sends is how the member's handling of /bad counts against
// worker.SendLimit, the bound the member keeps to: a failure is sent as
// often as SendLimit allows for it (retries=2, recovery_options=0 here),
// an answer, repaired or not, once.
type sends struct {
	answered bool
	f        worker.Failure
}

var (
	answered        = sends{answered: true}
	failedNoHead    = sends{f: worker.Failure{Phase: worker.PhaseAfterSend}}
	failedAfterHead = sends{f: worker.Failure{Phase: worker.PhaseAfterHead}}
	failedAnswered  = sends{f: worker.Failure{Phase: worker.PhaseAnswered}}
	failedCut       = sends{f: worker.Failure{Phase: worker.PhaseAfterHead, Committed: true}}
	failedTimeout   = sends{f: worker.Failure{Phase: worker.PhaseAfterSend, GiveUp: true}}
)

// limit is how often the member a may get the GET.
func (s sends) limit(a *config.Member) int {
	if s.answered {
		return 1
	}
	return worker.SendLimit(a, http.MethodGet, s.f)
}

// What the one WARN line says: the request failed with a status, or the
// member's response was repaired and passed on.
const (
	failed502 = "status=502"
	failed500 = "status=500"
	failed504 = "status=504"
	failed400 = "status=400" // the client went away
	repaired  = "repaired"
)

// hostileGot is what the client saw for GET /bad.
type hostileGot struct {
	status int // 0: no response at all
	body   string
	cut    bool
	page   bool // jkbalancer's own error page, whole
}

// hostileCounter counts /bad requests at a member.
type hostileCounter struct{ n atomic.Int32 }

// ajpHostile is an AJP member running bad on /bad.
func ajpHostile(t *testing.T, bad ajptest.Handler, c *hostileCounter) (port string) {
	t.Helper()
	next := func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "4"})
		w.Write([]byte("next"))
		w.End(true)
	}
	s := ajptest.NewServer(ajptest.Routes(map[string]ajptest.Handler{
		"/bad": func(w *ajptest.ResponseWriter, r *ajptest.Request) { c.n.Add(1); bad(w, r) },
	}, next))
	t.Cleanup(s.Close)
	return portOf(s)
}

// httpHostile is an HTTP/1.1 member on raw TCP: bad answers /bad on the
// connection (false: close it), /next gets "next".
func httpHostile(t *testing.T, bad func(c net.Conn) bool, cnt *hostileCounter) (port string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					r, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, r.Body)
					if r.URL.Path != "/bad" {
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext")
						continue
					}
					cnt.n.Add(1)
					if !bad(c) {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port
}

// hostileServer serves worker w (type typ) at port, directly mounted.
func hostileServer(t *testing.T, typ, port string) *testServer {
	t.Helper()
	return hardServer(t, "", "worker.list=w\nworker.w.type="+typ+"\nworker.w.host=127.0.0.1\nworker.w.port="+port+
		"\nworker.w.reply_timeout=300\nworker.w.retries=2\nworker.w.retry_interval=1\n", "/*=w")
}

// hostileGet sends GET path on a fresh connection and reads the reply,
// at most 1 MiB of body (an endless body is cut by the test).
func hostileGet(t *testing.T, addr, path string) hostileGot {
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
		return hostileGot{cut: true}
	}
	// No resp.Body.Close: it would read an endless body to its end; the
	// connection's Close ends it.
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	got := hostileGot{status: resp.StatusCode, body: string(b), cut: err != nil || len(b) == 1<<20}
	got.page = !got.cut && strings.HasPrefix(got.body, "<!DOCTYPE HTML") && strings.HasSuffix(got.body, "</html>\n")
	return got
}

// warnLines returns the log lines at WARN or above in log.
func warnLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			out = append(out, l)
		}
	}
	return out
}

// hostileCheck runs GET /bad and GET /next against ts and checks want.
func hostileCheck(t *testing.T, ts *testServer, cnt *hostileCounter, want hostileWant) {
	t.Helper()
	before := len(ts.log.String())
	got := hostileGet(t, ts.addr(), "/bad")
	// The server may still be busy with /bad when the client gave up
	// reading (an endless body): its log line comes when it is done.
	pollUntil(t, "/bad to finish", func() bool { return ts.srv.rt.Load().inflight.Load() == 0 })
	switch {
	case want.cut && (!got.cut || got.status != want.status && got.status != 0):
		t.Errorf("(a) got %d cut=%v, want the %d response cut", got.status, got.cut, want.status)
	case !want.cut && (got.cut || got.status != want.status):
		t.Errorf("(a) got %d cut=%v body %q, want a whole %d", got.status, got.cut, got.body, want.status)
	case !want.cut && strings.HasPrefix(want.log, "status=") && !got.page:
		t.Errorf("(a) %d without a whole error page: %q", got.status, got.body)
	}
	if next := hostileGet(t, ts.addr(), "/next"); next.status != 200 || next.body != "next" {
		t.Errorf("(b) the next request got %d %q (cut %v), want 200 \"next\"", next.status, next.body, next.cut)
	}
	if n, limit := int(cnt.n.Load()), want.sends.limit(ts.srv.rt.Load().cfg.Workers["w"].Member); n != limit {
		t.Errorf("(c) the member got /bad %d times, want %d (worker.SendLimit)", n, limit)
	}
	lines := warnLines(ts.log.String()[before:])
	switch {
	case want.log != "" && (len(lines) != 1 || !strings.Contains(lines[0], want.log)):
		t.Errorf("(d) want one WARN line with %q, got %q", want.log, lines)
	case want.log == "" && len(lines) != 0:
		t.Errorf("(d) want no WARN line, got %q", lines)
	}
}
