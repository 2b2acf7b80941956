package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestReloadUnderLoad is the issue's "reload under steady load with zero
// failed client requests": clients send keep-alive requests while the
// test reloads, alternating two configurations (an lb over t1+t2, and one
// over t1+t3 in which member t2 has another address), each reload
// overlapping requests in flight. Every request must succeed, and both
// configurations must have served.
func TestReloadUnderLoad(t *testing.T) {
	const clients, perClient, reloads = 8, 150, 20
	t1, t2, t3 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2")),
		ajptest.NewServer(ajptest.EchoHandler("t3"))
	defer t1.Close()
	defer t2.Close()
	defer t3.Close()
	configs := []string{lbWorkers([]*ajptest.Server{t1, t2}, ""), lbWorkers([]*ajptest.Server{t1, t3}, "worker.t1.lbfactor=2\n")}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""), "workers.properties": configs[0]})
	url := r.url("/load")

	var done atomic.Int64
	var mu sync.Mutex
	var failures []string
	seen := map[string]int{}
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			for i := 0; i < perClient; i++ {
				route, err := loadGet(client, url)
				mu.Lock()
				if err != nil {
					failures = append(failures, err.Error())
				} else {
					seen[route]++
				}
				mu.Unlock()
				done.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for k := 0; k < reloads && time.Now().Before(deadline); k++ {
		// Spread the reloads over the run, so every reload overlaps
		// traffic; stop waiting if the clients are finished.
		mark := done.Load()
		for done.Load() < mark+clients*perClient/(reloads+1) && done.Load() < clients*perClient && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		r.mustReload(map[string]string{"workers.properties": configs[(k+1)%2]})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed during reloads; first: %s", len(failures), clients*perClient, failures[0])
	}
	if seen["t2"] == 0 || seen["t3"] == 0 || seen["t1"] == 0 {
		t.Errorf("both configurations should have served: %v", seen)
	}
	if st := r.srv.ReloadStats(); st.Reloads < 5 || st.Failed != 0 {
		t.Errorf("reload stats %+v", st)
	}
	t.Logf("%d requests, %d reloads, routes %v", clients*perClient, r.srv.ReloadStats().Reloads, seen)
}

func loadGet(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		return "", fmt.Errorf("status %d, body %q, err %v", resp.StatusCode, b, err)
	}
	return routeOf(string(b)), nil
}

// TestReloadWaitsForInFlight: a request in flight on a member that a
// reload removes finishes normally; the member's connection is closed
// only afterwards.
func TestReloadWaitsForInFlight(t *testing.T) {
	release, started := make(chan struct{}), make(chan struct{}, 1)
	slow := ajptest.NewServer(func(w *ajptest.ResponseWriter, req *ajptest.Request) {
		started <- struct{}{}
		select {
		case <-release:
		case <-req.Context().Done():
			return
		}
		w.SendHeaders(200)
		w.Write([]byte("slow done"))
		w.End(true)
	})
	defer slow.Close()
	other := ajptest.NewServer(ajptest.EchoHandler("other"))
	defer other.Close()
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""),
		"workers.properties": lbWorkers([]*ajptest.Server{slow}, "")})
	result := make(chan string, 1)
	go func() {
		resp, err := http.Get(r.url("/slow"))
		if err != nil {
			result <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		result <- fmt.Sprint(resp.StatusCode, " ", string(b))
	}()
	<-started
	r.mustReload(map[string]string{"workers.properties": lbWorkers([]*ajptest.Server{other}, "")})
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 2); got["other"] != 2 {
		t.Fatalf("new requests: %v", got)
	}
	if slow.OpenConns() != 1 {
		t.Fatalf("the removed member's busy connection: %d open, want 1 until its request ends", slow.OpenConns())
	}
	close(release)
	if got := <-result; got != "200 slow done" {
		t.Fatalf("the in-flight request got %q", got)
	}
	eventually(t, "the removed member to close its connection", func() bool { return slow.OpenConns() == 0 })
}

// TestReloadAndDrainCompose: reloads racing a SIGTERM drain neither panic
// nor leak: each returns nil or ErrClosed, the drain finishes, every
// backend connection is closed, and a reload after the drain is refused.
func TestReloadAndDrainCompose(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	configs := []string{lbWorkers([]*ajptest.Server{t1}, ""), lbWorkers([]*ajptest.Server{t2}, "")}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""), "workers.properties": configs[0]})
	url := r.url("/x")
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for k := 0; k < 50; k++ {
			err := r.reload(map[string]string{"workers.properties": configs[(k+1)%2]})
			if err != nil {
				errs <- err
				if errors.Is(err, ErrClosed) {
					return
				}
			}
		}
	}()
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 10 * time.Second}
		for i := 0; i < 50; i++ {
			if _, err := loadGet(client, url); err != nil {
				return // the drain closed the listener
			}
		}
	}()
	eventually(t, "reloads to start", func() bool { return r.srv.ReloadStats().Reloads >= 2 })
	r.stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("reload during the drain: %v", err)
		}
	}
	if err := r.srv.Reload(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("reload after the drain: %v", err)
	}
	eventually(t, "every backend connection to close", func() bool { return t1.OpenConns()+t2.OpenConns() == 0 })
}
