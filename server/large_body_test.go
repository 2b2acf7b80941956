package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// largeBodyServer serves an http member that answers /bad with bad
// through the plain-HTTP front end, logging status and body bytes.
func largeBodyServer(t *testing.T, bad func(c net.Conn) bool) (*testServer, string) {
	t.Helper()
	var cnt hostileCounter
	logFile := filepath.Join(t.TempDir(), "req.log")
	ts := hardServer(t, "log:\n  request_format: \"s=%s B=%B\"\n  request_file: "+logFile+"\n",
		"worker.list=w\nworker.w.type=http\nworker.w.host=127.0.0.1\nworker.w.port="+httpHostile(t, bad, &cnt)+
			"\nworker.w.reply_timeout=2000\nworker.w.retries=1\n", "/*=w")
	return ts, logFile
}

// reqLog returns the request log's lines once there are n of them.
func reqLog(t *testing.T, file string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(file)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(b) > 0 && len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLargeBodyThroughFrontEnd: a member's 1 MiB body with a length (the
// kernel moves it, docs/performance.md#large-bodies) reaches the client
// whole, the request log counts every byte, and the client connection
// carries the next request.
func TestLargeBodyThroughFrontEnd(t *testing.T) {
	body := bytes.Repeat([]byte("large body 0123456789\n"), 1<<20/22+1)
	ts, logFile := largeBodyServer(t, func(c net.Conn) bool {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n")
		c.Write(body)
		return true
	})
	client := &http.Client{Timeout: 10 * time.Second}
	var reused []bool
	for _, path := range []string{"/bad", "/next"} {
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", ts.base+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if path == "/bad" && !bytes.Equal(got, body) {
			t.Fatalf("client got %d bytes, not the member's %d", len(got), len(body))
		}
	}
	if len(reused) != 2 || !reused[1] {
		t.Errorf("connection reused: %v, want the second request on the first's connection", reused)
	}
	lines := reqLog(t, logFile, 2)
	if want := "s=200 B=" + strconv.Itoa(len(body)); len(lines) != 2 || !strings.HasSuffix(lines[0], want) {
		t.Errorf("request log %q, want the first line to end %q", lines, want)
	}
}

// TestLargeBodyShortThroughFrontEnd: a member that closes 200 KiB into a
// 1 MiB body: the client gets those bytes and a cut connection, the
// request log counts what it got.
func TestLargeBodyShortThroughFrontEnd(t *testing.T) {
	ts, logFile := largeBodyServer(t, func(c net.Conn) bool {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n")
		c.Write(make([]byte, 200<<10))
		return false
	})
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(ts.base + "/bad")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil || len(got) != 200<<10 {
		t.Fatalf("client got %d bytes and %v, want 200 KiB and a cut", len(got), err)
	}
	if lines := reqLog(t, logFile, 1); !strings.HasSuffix(lines[0], "B="+strconv.Itoa(200<<10)) {
		t.Errorf("request log %q, want B=%d", lines, 200<<10)
	}
}

// TestLargeUploadThroughFrontEnd: a 1 MiB request body to an http member
// (moved by the kernel after the kept part, docs/performance.md#large-bodies)
// arrives whole, under read_body_timeout as through Read, and the client
// connection carries the next request.
func TestLargeUploadThroughFrontEnd(t *testing.T) {
	member := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(w, "%d %x", len(b), sum)
	}))
	defer member.Close()
	_, port, _ := net.SplitHostPort(member.Listener.Addr().String())
	ts := hardServer(t, "limits: {read_body_timeout: 10s}\n",
		"worker.list=w\nworker.w.type=http\nworker.w.host=127.0.0.1\nworker.w.port="+port+"\n", "/*=w")
	body := bytes.Repeat([]byte("upload body 0123456789\n"), 1<<20/23+1)
	want := fmt.Sprintf("%d %x", len(body), sha256.Sum256(body))
	client := &http.Client{Timeout: 20 * time.Second}
	for i := range 2 {
		resp, err := client.Post(ts.base+"/up", "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != want {
			t.Fatalf("upload %d: %d %q, want the member to see %q", i, resp.StatusCode, got, want)
		}
	}
}
