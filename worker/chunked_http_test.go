package worker

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHTTPMemberChunkedBody: a chunked upload reaches an HTTP member
// whole and chunked (Transfer-Encoding: chunked, no Content-Length):
// small, larger than the copy buffer, empty, and with trailers (which,
// as through mod_jk, are not forwarded).
func TestHTTPMemberChunkedBody(t *testing.T) {
	type seen struct {
		te      []string
		cl      int64
		body    string
		trailer http.Header
	}
	var mu sync.Mutex
	var got []seen
	be := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool {
		mu.Lock()
		got = append(got, seen{r.TransferEncoding, r.ContentLength, body, r.Trailer})
		mu.Unlock()
		return ok200(w)
	})
	m := newHTTPMember(t, httpSpec(t, be.ln.Addr().String()))
	fs := front(t, m, nil)
	addr := strings.TrimPrefix(fs.URL, "http://")
	big := strings.Repeat("0123456789abcdef", 5000) // 80000 bytes
	var bigChunks []string
	for i := 0; i < len(big); i += 7000 {
		bigChunks = append(bigChunks, big[i:min(i+7000, len(big))])
	}
	for _, tc := range []struct {
		name     string
		chunks   []string
		trailers []string
	}{
		{"form", []string{"echo=x"}, nil},
		{"large", bigChunks, nil},
		{"empty", nil, nil},
		{"trailers", []string{"hello ", "trailers"}, []string{"X-Trailer: t1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, err := rawChunkedPost(addr, tc.chunks, tc.trailers)
			if err != nil || status != 200 {
				t.Fatalf("status %d, err %v", status, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("member got %d requests, want 1", len(got))
			}
			s := got[0]
			got = nil
			if want := strings.Join(tc.chunks, ""); s.body != want {
				t.Errorf("member got %d body bytes, want %d", len(s.body), len(want))
			}
			if len(s.te) != 1 || s.te[0] != "chunked" || s.cl != -1 {
				t.Errorf("member saw Transfer-Encoding %v, length %d; want chunked, -1", s.te, s.cl)
			}
			if len(s.trailer) != 0 {
				t.Errorf("trailers forwarded: %v", s.trailer)
			}
		})
	}
}

// rawChunkedPost sends a chunked POST to addr on its own connection and
// returns the response status.
func rawChunkedPost(addr string, chunks, trailers []string) (int, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "POST /up HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", addr)
	for _, ch := range chunks {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(ch), ch)
	}
	b.WriteString("0\r\n")
	for _, tr := range trailers {
		b.WriteString(tr + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
