package h1

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/splice"
	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

type bodySplicer interface {
	SpliceTo(dst io.Writer, max int64, arm func(read int64), armDst func()) (int64, error, error)
}

// TestBodySpliceTo: a request body with a length moves itself to another
// socket (the member's): what the connection's buffer held first, then
// the rest in the kernel; 100 Continue goes out first when asked for; the
// body is then read to its end, so the connection carries the next
// request. A client that closes early is the client's error.
func TestBodySpliceTo(t *testing.T) {
	if !splice.Available() {
		t.Skip("no splice(2) here")
	}
	near, far := testutil.TCPPair(t)
	got := make(chan []byte, 1)
	type result struct {
		n          int64
		rerr, werr error
	}
	results := make(chan result, 2)
	go func() { b, _ := io.ReadAll(far); got <- b }()
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/up" {
			return
		}
		s, ok := r.Body.(bodySplicer)
		if !ok {
			t.Error("the body cannot splice")
			return
		}
		n, rerr, werr := s.SpliceTo(near, r.ContentLength, nil, nil)
		results <- result{n, rerr, werr}
		fmt.Fprintf(w, "moved %d", n)
	}))
	body := bytes.Repeat([]byte("request body "), 100000) // 1.3 MB
	c := dial(t, addr)
	br := bufio.NewReader(c)
	fmt.Fprintf(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", len(body))
	if line, _ := br.ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("before the body: %q, want 100 Continue", line)
	}
	br.ReadString('\n')
	go c.Write(body)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	res := <-results
	near.Close()
	if res.n != int64(len(body)) || res.rerr != nil || res.werr != nil {
		t.Fatalf("SpliceTo = %d, %v, %v; want %d moved", res.n, res.rerr, res.werr, len(body))
	}
	if b := <-got; !bytes.Equal(b, body) {
		t.Fatalf("the other socket got %d bytes, not the body's %d", len(b), len(body))
	}
	// The connection carries the next request: the body was read whole.
	fmt.Fprintf(c, "POST /next HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("next request on the connection: %v", err)
	}

	// A client that sends part of the body and closes.
	near2, far2 := testutil.TCPPair(t)
	go io.Copy(io.Discard, far2)
	addr2, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, rerr, werr := r.Body.(bodySplicer).SpliceTo(near2, r.ContentLength, nil, nil)
		results <- result{n, rerr, werr}
	}))
	c2 := dial(t, addr2)
	fmt.Fprintf(c2, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n%s", make([]byte, 300000))
	c2.(*net.TCPConn).CloseWrite()
	select {
	case res = <-results:
	case <-time.After(10 * time.Second): // bounds a broken splice
		t.Fatal("SpliceTo did not return")
	}
	if res.n != 300000 || !errors.Is(res.rerr, io.ErrUnexpectedEOF) || res.werr != nil {
		t.Fatalf("short body: SpliceTo = %d, %v, %v; want 300000 moved and io.ErrUnexpectedEOF", res.n, res.rerr, res.werr)
	}
}
