//go:build integration

package server

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// replayMember answers until failing is set; then it reads each request
// (exactly Content-Length, like a servlet reading a form), counts it and
// closes the connection without a word. While warming it holds requests
// until `warm` are in flight, so that many connections stay pooled.
type replayMember struct {
	be      *ajptest.Server
	warm    int32
	in      atomic.Int32
	ready   chan struct{}
	once    sync.Once
	failing atomic.Bool
	seen    atomic.Int32
}

func newReplayMember(t *testing.T, warm int) *replayMember {
	m := &replayMember{warm: int32(warm), ready: make(chan struct{})}
	m.be = ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		if r.ContentLength > 0 {
			io.CopyN(io.Discard, r.Body, r.ContentLength)
		}
		if m.failing.Load() {
			m.seen.Add(1)
			w.CloseConn()
			return
		}
		if m.in.Add(1) >= m.warm {
			m.once.Do(func() { close(m.ready) })
		}
		select {
		case <-m.ready:
		case <-time.After(20 * time.Second):
		}
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "2"})
		w.Write([]byte("ok"))
	})
	t.Cleanup(m.be.Close)
	return m
}

// TestPOSTReplayLikeModJK is the tester's scenario against the
// reference: one ajp13 worker, the pool warmed by 30 concurrent GETs, a
// member that reads a POST and closes. httpd + mod_jk sends the POST
// worker.retries times (2), once with recovery_options=1; jkbalancer
// must send it exactly as often (it sent it once per pooled connection),
// and both as often as worker.SendLimit says, which this checks against
// the reference.
func TestPOSTReplayLikeModJK(t *testing.T) {
	itRequireDeps(t, "httpd")
	for _, ro := range []int{0, 1} {
		a := workerAJP(t, "worker.list=w\nworker.w.type=ajp13\nworker.w.host=127.0.0.1\nworker.w.recovery_options="+
			strconv.Itoa(ro)+"\n", "w")
		want := int32(worker.POSTSendLimit(a))
		if want != 2-int32(ro) {
			t.Fatalf("recovery_options=%d: SendLimit %d, mod_jk's documented count %d", ro, want, 2-ro)
		}
		for _, proxy := range []string{"mod_jk", "jkbalancer"} {
			t.Run(proxy+"/recovery_options="+strconv.Itoa(ro), func(t *testing.T) {
				m := newReplayMember(t, 30)
				host, port, _ := net.SplitHostPort(m.be.Addr())
				spec := itSpec{workers: "worker.list=w\nworker.w.type=ajp13\nworker.w.host=" + host +
					"\nworker.w.port=" + port + "\nworker.w.recovery_options=" + strconv.Itoa(ro) + "\n",
					jkMounts: []string{"/* w"}}
				var addr string
				if proxy == "mod_jk" {
					addr = itStartHTTPD(t, spec).addr
				} else {
					addr = itStartJKB(t, spec, "").addr
				}
				var wg sync.WaitGroup
				errs := make(chan error, 30)
				for i := 0; i < 30; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r, err := itRawGet(addr, "/warm")
						if err == nil && r.status != 200 {
							err = io.ErrUnexpectedEOF
						}
						if err != nil {
							errs <- err
						}
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatalf("warming: %v", err)
				}
				if n := m.be.OpenConns(); n < 30 {
					t.Fatalf("after warming %d backend connections are open, want 30", n)
				}
				m.failing.Store(true)
				body := "order=42"
				r, err := itRawDo(addr, "POST /buy HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
					"Content-Length: "+strconv.Itoa(len(body))+"\r\nConnection: close\r\n\r\n"+body)
				if err != nil || r.status < 500 {
					t.Fatalf("POST: %v %+v, want a 5xx", err, r)
				}
				if got := m.seen.Load(); got != want {
					t.Errorf("the member received the POST %d times, want %d", got, want)
				}
			})
		}
	}
}

// TestLBPOSTReplayLikeModJK: an lb of two members, both reading a POST
// and closing. Each member must receive it as often through jkbalancer as
// through httpd + mod_jk (jk_lb_worker.c service: lb retries rounds, the
// second after the forced recovery, worker.retries sends per try).
func TestLBPOSTReplayLikeModJK(t *testing.T) {
	itRequireDeps(t, "httpd")
	var counts [2][2]int32
	for i, proxy := range []string{"mod_jk", "jkbalancer"} {
		t.Run(proxy, func(t *testing.T) {
			m1, m2 := newReplayMember(t, 1), newReplayMember(t, 1)
			m1.failing.Store(true)
			m2.failing.Store(true)
			workers := "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=m1,m2\n"
			for j, m := range []*replayMember{m1, m2} {
				host, port, _ := net.SplitHostPort(m.be.Addr())
				p := "worker.m" + strconv.Itoa(j+1) + "."
				workers += p + "type=ajp13\n" + p + "host=" + host + "\n" + p + "port=" + port + "\n"
			}
			spec := itSpec{workers: workers, jkMounts: []string{"/* lb"}}
			var addr string
			if proxy == "mod_jk" {
				addr = itStartHTTPD(t, spec).addr
			} else {
				addr = itStartJKB(t, spec, "").addr
			}
			r, err := itRawDo(addr, "POST /buy HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
				"Content-Length: 8\r\nConnection: close\r\n\r\norder=42")
			if err != nil || r.status < 500 {
				t.Fatalf("POST: %v %+v, want a 5xx", err, r)
			}
			counts[i] = [2]int32{m1.seen.Load(), m2.seen.Load()}
			t.Logf("m1 received the POST %d times, m2 %d", counts[i][0], counts[i][1])
		})
	}
	if counts[0] != counts[1] {
		t.Errorf("mod_jk sent the POST %v times (m1, m2), jkbalancer %v", counts[0], counts[1])
	}
	// Per member: SendLimit per try, one try per lb round (lb retries).
	a := workerAJP(t, "worker.list=m1\nworker.m1.type=ajp13\nworker.m1.host=127.0.0.1\n", "m1")
	lb := workerLB(t, "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=m1\nworker.m1.host=127.0.0.1\n", "lb")
	if want := int32(lb.Retries * worker.POSTSendLimit(a)); counts[0] != [2]int32{want, want} {
		t.Errorf("mod_jk sent the POST %v times (m1, m2), SendLimit x lb rounds says %d each", counts[0], want)
	}
}

// workerAJP compiles workers.properties text and returns worker name's
// attributes.
func workerAJP(t *testing.T, text, name string) *config.Member {
	t.Helper()
	return compileWorkers(t, text).Workers[name].Member
}

// workerLB is workerAJP for an lb.
func workerLB(t *testing.T, text, name string) *config.LB {
	t.Helper()
	return compileWorkers(t, text).Workers[name].LB
}

func compileWorkers(t *testing.T, text string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "workers.properties")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: path})
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	return cfg
}
