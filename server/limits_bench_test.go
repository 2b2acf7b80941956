package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// benchmarkFront measures keep-alive GETs through a real listener, so
// that the front end shows up: BenchmarkFrontGETStrict is served by
// server/h1, BenchmarkFrontGETLax (strict_http off) by net/http. The
// client's own parsing is in both.
func benchmarkFront(b *testing.B, limits string) {
	m := newCannedMember(b, 64)
	_, port, _ := net.SplitHostPort(m.ln.Addr().String())
	dir := b.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	write("workers.properties", fmt.Sprintf("worker.list=w\nworker.w.host=127.0.0.1\nworker.w.port=%s\n", port))
	write("jkbalancer.yaml", "admin: {listen: \"\"}\nworkers_file: workers.properties\nmounts: [\"/*=w\"]\n"+limits)
	c, br := benchClient(b, config.Sources{ConfigFile: filepath.Join(dir, "jkbalancer.yaml"), Listen: []string{"127.0.0.1:0"}})
	req := []byte("GET /app/items/list.jsp?page=2 HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench/1\r\nAccept: */*\r\n\r\n")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

func BenchmarkFrontGETStrict(b *testing.B) { benchmarkFront(b, "") }
func BenchmarkFrontGETLax(b *testing.B) {
	benchmarkFront(b, "limits: {strict_http: false, max_connections: 0}\n")
}
