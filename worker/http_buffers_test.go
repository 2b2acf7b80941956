package worker

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestReadResponseLongLine: a head line longer than the 8 KiB read buffer
// is read all the same up to memberLineMax, as with the 32 KiB buffer
// before (docs/performance.md#memory), the body after it intact; the
// grown reader keeps its connection out of the pool. A longer line is
// refused.
func TestReadResponseLongLine(t *testing.T) {
	long := strings.Repeat("v", 20<<10)
	body := strings.Repeat("b", 50<<10)
	raw := "HTTP/1.1 200 OK\r\nX-Long: " + long + "\r\nContent-Length: 51200\r\n\r\n" + body + "HTTP/1.1 next"
	br := bufio.NewReaderSize(strings.NewReader(raw), memberReadBuf)
	resp, err := readResponse(br, "GET")
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.header.Get("X-Long"); got != long {
		t.Fatalf("X-Long: %d bytes, want %d", len(got), len(long))
	}
	got, err := io.ReadAll(resp.body)
	if err != nil || string(got) != body {
		t.Fatalf("body: %d bytes (%v), want %d", len(got), err, len(body))
	}
	if rest, _ := io.ReadAll(br); string(rest) != "HTTP/1.1 next" {
		t.Fatalf("after the body: %q", rest)
	}
	c := &hconn{br: br, bw: bufio.NewWriterSize(nil, memberWriteBuf), readers: &memberReaders}
	if c.release() {
		t.Fatal("a connection whose reader grew went back to the pool")
	}

	raw = "HTTP/1.1 200 OK\r\nX-Long: " + strings.Repeat("v", memberLineMax) + "\r\nContent-Length: 0\r\n\r\n"
	_, err = readResponse(bufio.NewReaderSize(strings.NewReader(raw), memberReadBuf), "GET")
	var head *errMemberHead
	if !errors.As(err, &head) {
		t.Fatalf("a line over %d bytes: %v", memberLineMax, err)
	}
}

// TestReadBufferFollowsResponses: a member's connections lease the 8 KiB
// read buffer while its bodies come with the head's read; a body beyond
// it (16 KiB here) gives the next largeLeases connections the 32 KiB one,
// so that such bodies keep one read and one write
// (docs/performance.md#memory); then the small one again. Each goes back
// to its own pool.
func TestReadBufferFollowsResponses(t *testing.T) {
	big := strings.Repeat("b", 16<<10)
	be := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool {
		b := "ok"
		if r.URL.Path == "/big" {
			b = big
		}
		io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(b))+"\r\n\r\n"+b)
		return true
	})
	m := newHTTPMember(t, httpSpec(t, be.ln.Addr().String()))
	tr := m.tr.(*httpTransport)
	leased := func() int {
		t.Helper()
		c, err := tr.getConn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer tr.putConn(c, true)
		return c.br.Size()
	}
	getOK(t, m, "/")
	if n := leased(); n != memberReadBuf {
		t.Fatalf("after a small response: leased %d, want %d", n, memberReadBuf)
	}
	rec := httptest.NewRecorder()
	if _, err := m.Forward(rec, toRequest(t, httptest.NewRequest("GET", "/big", nil), 8192), &Attempt{}); err != nil || rec.Body.String() != big {
		t.Fatalf("GET /big: %v, %d bytes", err, rec.Body.Len())
	}
	for i := range largeLeases {
		if n := leased(); n != memberLargeBuf {
			t.Fatalf("lease %d after a 16 KiB body: %d, want %d", i, n, memberLargeBuf)
		}
	}
	if n := leased(); n != memberReadBuf {
		t.Fatalf("after %d leases: %d, want %d again", largeLeases, n, memberReadBuf)
	}
	if s := tr.stats(); s.Idle != 1 {
		t.Fatalf("the connection left the pool: %+v", s)
	}
}

// TestLongHeaderLineThroughMember: a member's 20 KiB header line reaches
// the client through a real connection, which is then closed rather than
// pooled with its grown reader; the next request dials a new one.
func TestLongHeaderLineThroughMember(t *testing.T) {
	long := strings.Repeat("v", 20<<10)
	be := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool {
		if r.URL.Path == "/long" {
			io.WriteString(w, "HTTP/1.1 200 OK\r\nX-Long: "+long+"\r\nContent-Length: 2\r\n\r\nok")
			return true
		}
		return ok200(w)
	})
	m := newHTTPMember(t, httpSpec(t, be.ln.Addr().String()))
	rec := httptest.NewRecorder()
	if _, err := m.Forward(rec, toRequest(t, httptest.NewRequest("GET", "/long", nil), 8192), &Attempt{}); err != nil ||
		rec.Code != 200 || rec.Header().Get("X-Long") != long || rec.Body.String() != "ok" {
		t.Fatalf("GET /long: %v %d, X-Long %d bytes, body %q", err, rec.Code, len(rec.Header().Get("X-Long")), rec.Body.String())
	}
	if s := m.tr.(*httpTransport).stats(); s.Idle != 0 {
		t.Fatalf("the grown connection was pooled: %+v", s)
	}
	getOK(t, m, "/")
	if seen := be.log(); len(seen) != 2 || !strings.HasPrefix(seen[1], "1/0 ") {
		t.Fatalf("member saw %q; want the second request on a new connection", seen)
	}
}

// TestLargeHeaderMapNotKept: a connection reuses its last response's
// header map for the next response, but not one that held more than
// maxKeptFields fields: a map does not shrink when cleared, so a member's
// head of many fields would otherwise stay held by the pooled connection.
func TestLargeHeaderMapNotKept(t *testing.T) {
	head := func(fields int) string {
		var b strings.Builder
		b.WriteString("HTTP/1.1 200 OK\r\n")
		for i := range fields {
			b.WriteString("X-F" + strconv.Itoa(i) + ": v\r\n")
		}
		return b.String() + "Content-Length: 0\r\n\r\n"
	}
	for _, tc := range []struct {
		fields int
		kept   bool
	}{{maxKeptFields - 1, true}, {maxKeptFields + 10, false}} {
		c := &hconn{}
		var first http.Header
		for i, raw := range []string{head(tc.fields), head(2)} {
			c.lease(&memberReaders)
			c.br.Reset(strings.NewReader(raw))
			resp, err := c.readResponse("GET")
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = resp.header
			} else if same := reflect.ValueOf(resp.header).UnsafePointer() == reflect.ValueOf(first).UnsafePointer(); same != tc.kept {
				t.Fatalf("after a head of %d fields, the next response reused its map: %v, want %v", tc.fields+1, same, tc.kept)
			}
			if !c.release() {
				t.Fatal("release kept the buffers")
			}
		}
	}
}

// TestLongHeadLinesKeepConnections: a member whose every head has a line
// over the small read buffer (a long cookie, say) costs one connection,
// whose reader grew, not one per request: a head that outgrew the small
// buffer gives the next connections the large one, as a body does.
func TestLongHeadLinesKeepConnections(t *testing.T) {
	long := strings.Repeat("v", memberReadBuf+1024)
	be := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool {
		io.WriteString(w, "HTTP/1.1 200 OK\r\nSet-Cookie: "+long+"\r\nContent-Length: 2\r\n\r\nok")
		return true
	})
	m := newHTTPMember(t, httpSpec(t, be.ln.Addr().String()))
	for range 3 {
		getOK(t, m, "/")
	}
	if seen := be.log(); len(seen) != 3 || !strings.HasPrefix(seen[1], "1/0 ") || !strings.HasPrefix(seen[2], "1/1 ") {
		t.Fatalf("member saw %q; want the first connection closed, the second kept", seen)
	}
}
