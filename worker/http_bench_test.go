package worker

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// cannedHTTP is a keep-alive HTTP/1.1 backend that answers every request
// with the same bytes and allocates nothing per request, so the benchmark
// counts jkbalancer's allocations only.
func cannedHTTP(b *testing.B, body int) string {
	reply := append([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 64\r\n\r\n"), make([]byte, body)...)
	return testutil.CannedHTTP(b, reply)
}

// BenchmarkHTTPForward is one GET through an http member (request
// building, pool slot, round trip, response copy) to a loopback backend
// answering 64 bytes on a kept-alive connection.
func BenchmarkHTTPForward(b *testing.B) {
	m := NewMember(Spec{Name: "w", Attrs: httpSpec(b, cannedHTTP(b, 64))})
	defer m.Close()
	r := httptest.NewRequest("GET", "/app/items/list.jsp?page=2", nil)
	r.Header.Set("User-Agent", "bench/1")
	r.Header.Set("Accept", "*/*")
	req := toRequest(b, r, 8192)
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		if _, err := m.Forward(w, req, &Attempt{}); err != nil {
			b.Fatal(err)
		}
	}
}
