package h1

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestShutdownServesNewConnection: a connection handed to Go before
// Shutdown, whose client has not sent its request yet, is neither closed
// nor dropped: the client connected to an open listener, so its first
// request is answered and Shutdown returns after it. (A restart under
// socket activation resets requests otherwise:
// docs/deploy.md#upgrade-without-a-refused-connection.)
func TestShutdownServesNewConnection(t *testing.T) {
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 30 * time.Second}
	client, server := net.Pipe()
	defer client.Close()
	s.Go(server)
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	client.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatalf("the new connection was closed by Shutdown: %v", err)
	}
	r, err := http.ReadResponse(bufio.NewReader(client), nil)
	if err != nil {
		t.Fatalf("no answer on the new connection: %v", err)
	}
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("status %d, body %q; want 200, ok", r.StatusCode, body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Shutdown did not return after the last connection ended")
	}
}

// TestGoAfterShutdown: a connection handed over once Shutdown began is
// closed at once (nothing would wait for it).
func TestGoAfterShutdown(t *testing.T) {
	s := &Server{Handler: http.NotFoundHandler()}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	client, server := net.Pipe()
	defer client.Close()
	s.Go(server)
	client.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read: %v, want EOF", err)
	}
}
