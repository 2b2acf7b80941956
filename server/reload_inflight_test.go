package server

import (
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/balancer"
)

// TestReloadInFlightFailureReachesNextGeneration: a request that starts on
// generation 1 is held by its member while a reload swaps in generation
// 2, then fails. Its ERR, error count and the failover's election are
// visible in generation 2's snapshot: both generations share the lb's
// state (package registry), where a copy taken at the reload would have
// lost them.
func TestReloadInFlightFailureReachesNextGeneration(t *testing.T) {
	arrived, release := make(chan string, 1), make(chan struct{})
	var mu sync.Mutex
	holder := ""
	// The first member to get /hold holds it until released, then fails
	// it and every retry by closing the connection; the other answers.
	handler := func(name string) ajptest.Handler {
		return func(w *ajptest.ResponseWriter, r *ajptest.Request) {
			if r.URI != "/hold" {
				ajptest.EchoHandler(name)(w, r)
				return
			}
			mu.Lock()
			first := holder == ""
			if first {
				holder = name
			}
			mine := holder == name
			mu.Unlock()
			switch {
			case !mine:
				ajptest.EchoHandler(name)(w, r)
				return
			case first:
				arrived <- name
				<-release
			}
			w.CloseConn()
		}
	}
	t1, t2 := ajptest.NewServer(handler("t1")), ajptest.NewServer(handler("t2"))
	defer t1.Close()
	defer t2.Close()
	ms := []*ajptest.Server{t1, t2}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""), "workers.properties": lbWorkers(ms, "")})

	done := make(chan int, 1)
	go func() {
		resp, err := http.Get(r.url("/hold"))
		if err != nil {
			done <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	held := <-arrived
	gen1 := r.srv.rt.Load()
	r.mustReload(map[string]string{"workers.properties": lbWorkers(ms, "worker.lb.retries=3\n")})
	if r.srv.rt.Load() == gen1 {
		t.Fatal("the reload did not swap in a new generation")
	}
	close(release)
	if code := <-done; code != http.StatusOK {
		t.Fatalf("the held request ended with %d, want 200 from the other member", code)
	}
	other := map[string]string{"t1": "t2", "t2": "t1"}[held]
	after := r.lb("lb")
	if after.Retries != 3 {
		t.Fatalf("generation 2 not serving: retries %d", after.Retries)
	}
	if m := member(after, held); m.State != balancer.StateError || m.Errors != 1 || m.LastErrorTime.IsZero() {
		t.Errorf("%s in generation 2: state %v errors %d last error %v; want the old generation's failure",
			held, m.State, m.Errors, m.LastErrorTime)
	}
	if m := member(after, other); m.Elected != 1 || m.LBValue == 0 {
		t.Errorf("%s in generation 2: elected %d lb value %d; want the failover", other, m.Elected, m.LBValue)
	}
}
