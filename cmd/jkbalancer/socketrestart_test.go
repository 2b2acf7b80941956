package main

import (
	"io"
	"net"
	"sync"
	"syscall"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestSocketActivationRestart is "systemctl restart" with the socket
// unit: the old process is stopped (SIGTERM, drain, exit) before the new
// one starts, and for that moment nobody accepts. The socket stays open
// (the test holds it, as systemd does), so clients connecting in the gap
// wait in its queue and the new process serves them: no request fails.
func TestSocketActivationRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	member := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.WriteString(w, "ok")
	})
	defer member.Close()
	sock, addr := heldSocket(t) // systemd's copy of the socket
	cfg := writeActivationConfig(t, addr, member.Addr())
	url := "http://" + addr + "/app/x"

	old := startActivated(t, bin, cfg, sock)
	waitLong(t, "the old process serves", func() bool { return getOK(url) == nil })
	var load loadStats
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); load.run(url, stop) }()
	}
	waitLong(t, "load is flowing", func() bool { return load.ok.Load() >= 20 })

	if err := old.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	old.wait(t)
	// Nobody accepts now. The clients' next connections wait in the queue.
	stopped := load.ok.Load() + load.failed.Load()
	waitLong(t, "a client waits on the queue", func() bool { return acceptQueued(addr) })
	if n := load.ok.Load() + load.failed.Load(); n > stopped+4 {
		t.Fatalf("%d requests finished with no process running", n-stopped)
	}
	startActivated(t, bin, cfg, sock)
	waitLong(t, "the new process serves", func() bool { return load.ok.Load() >= stopped+50 })
	close(stop)
	wg.Wait()
	if n := load.failed.Load(); n != 0 {
		t.Errorf("%d of %d requests failed across the restart; first: %v", n, n+load.ok.Load(), load.firstErr())
	}
	t.Logf("%d requests across the restart, none failed", load.ok.Load())
}

// acceptQueued reports whether a connection to addr completes its
// handshake (the kernel queues it while no process accepts): a refused
// connection would be the failure this test is about.
func acceptQueued(addr string) bool {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
