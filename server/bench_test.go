package server

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// cannedMember is a minimal AJP backend for benchmarks: it answers every
// forward request with the same prepared bytes and allocates nothing per
// request, so the benchmark counts jkbalancer's own allocations.
type cannedMember struct {
	ln    net.Listener
	reply []byte
}

func newCannedMember(tb testing.TB, body int) *cannedMember {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	m := &cannedMember{ln: ln, reply: cannedReply(body)}
	go m.accept()
	tb.Cleanup(func() { ln.Close() })
	return m
}

// cannedReply is SEND_HEADERS 200 (Content-Type, Content-Length), the
// body in SEND_BODY_CHUNKs of at most 8184 bytes (what fits a packet of
// the default max_packet_size, as Tomcat sends it; a larger packet is
// refused as mod_jk refuses it), and END_RESPONSE with reuse.
func cannedReply(n int) []byte {
	h := []byte{'A', 'B', 0, 0, 4, 0, 200, 0, 3, '2', '0', '0', 0, 0, 2}
	h = append(h, 0xA0, 0x01, 0, 10)
	h = append(h, "text/plain"...)
	h = append(h, 0, 0xA0, 0x03)
	cl := fmt.Sprint(n)
	h = binary.BigEndian.AppendUint16(h, uint16(len(cl)))
	h = append(h, cl...)
	h = append(h, 0)
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)-4))
	b := h
	for left := n; left > 0; {
		c := min(left, 8192-8)
		b = append(b, 'A', 'B')
		b = binary.BigEndian.AppendUint16(b, uint16(c+4))
		b = append(b, 3)
		b = binary.BigEndian.AppendUint16(b, uint16(c))
		b = append(b, make([]byte, c)...)
		b = append(b, 0)
		left -= c
	}
	return append(b, 'A', 'B', 0, 2, 5, 1)
}

func (m *cannedMember) accept() {
	for {
		c, err := m.ln.Accept()
		if err != nil {
			return
		}
		go m.serve(c)
	}
}

func (m *cannedMember) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	buf := make([]byte, 65536)
	cping := []byte{'A', 'B', 0, 1, 9}
	for {
		h := buf[:4] // the header, read before the payload overwrites it
		if _, err := io.ReadFull(r, h); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(h[2:]))
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return
		}
		switch {
		case n == 1 && buf[0] == 10: // CPing
			c.Write(cping)
		case n > 0 && buf[0] == 2:
			if _, err := c.Write(m.reply); err != nil {
				return
			}
		}
	}
}

// benchServer builds a server over members canned members behind one lb.
func benchServer(b *testing.B, members, body int) *Server {
	b.Helper()
	var w strings.Builder
	w.WriteString("worker.list=lb\nworker.lb.type=lb\n")
	names := make([]string, members)
	for i := range names {
		m := newCannedMember(b, body)
		names[i] = fmt.Sprintf("m%d", i)
		_, port, _ := net.SplitHostPort(m.ln.Addr().String())
		fmt.Fprintf(&w, "worker.%s.host=127.0.0.1\nworker.%s.port=%s\n", names[i], names[i], port)
	}
	fmt.Fprintf(&w, "worker.lb.balance_workers=%s\n", strings.Join(names, ","))
	path := filepath.Join(b.TempDir(), "workers.properties")
	if err := os.WriteFile(path, []byte(w.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: path, Mounts: []string{"/*=lb"}, Listen: []string{"127.0.0.1:0"}})
	if cfg == nil {
		b.Fatal(problems)
	}
	srv, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv
}

// discardWriter is a reusable http.ResponseWriter that keeps nothing.
type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(s int)           { d.status = s }

// benchmarkProxied measures one whole proxied request through ServeHTTP:
// normalise, match, build the forward request, pick, pool, exchange,
// response. allocs/op is jkbalancer's allocations per request (the
// client side is a reused request and writer).
func benchmarkProxied(b *testing.B, members, body int, cookie string) {
	srv := benchServer(b, members, body)
	req := httptest.NewRequest(http.MethodGet, "/app/items/list.jsp?page=2", nil)
	req.Header.Set("User-Agent", "bench/1")
	req.Header.Set("Accept", "*/*")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		w.status = 0
		srv.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

func BenchmarkProxiedGET64(b *testing.B)      { benchmarkProxied(b, 2, 64, "") }
func BenchmarkProxiedGET16K(b *testing.B)     { benchmarkProxied(b, 2, 16384, "") }
func BenchmarkProxiedSticky(b *testing.B)     { benchmarkProxied(b, 2, 64, "JSESSIONID=ABC.m1") }
func BenchmarkProxied200Members(b *testing.B) { benchmarkProxied(b, 200, 64, "") }

// The sticky pair isolates what choosing costs: the same member and
// connection serve every request, with 2 or 200 members to choose from.
func BenchmarkProxiedSticky200(b *testing.B) { benchmarkProxied(b, 200, 64, "JSESSIONID=ABC.m199") }

func BenchmarkNormalizePath(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := splitPaths("/app/items/list.jsp;jsessionid=ABC.t1", config.ForwardURIProxy); err != nil {
			b.Fatal(err)
		}
	}
}
