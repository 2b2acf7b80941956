package worker

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/sendwait"
	"github.com/jkbalancer/jkbalancer/internal/testutil"
	"github.com/jkbalancer/jkbalancer/netpath"
)

// rdConn records the read deadlines set on a member connection and the
// deadline each read ran under.
type rdConn struct {
	net.Conn
	mu    sync.Mutex
	cur   time.Time
	sets  int         // SetReadDeadline calls of any kind
	reads []time.Time // cur at each read
}

func (c *rdConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.cur = t
	c.sets++
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *rdConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	c.reads = append(c.reads, c.cur)
	c.mu.Unlock()
	return c.Conn.Read(p)
}

func (c *rdConn) state() (int, []time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sets, append([]time.Time(nil), c.reads...)
}

// recordedMemberConn is memberConn with the deadlines recorded. A check
// that comes due before the answer (a busy machine) finds the path
// healthy and waits on.
func recordedMemberConn(t *testing.T) (*countedConn, *rdConn, *bufio.ReadWriter) {
	a, b := testutil.TCPPair(t)
	rc := &rdConn{Conn: a}
	healthy := &Member{opts: Options{PathCheck: func(net.Conn) netpath.State { return netpath.Acked }}}
	cc := &countedConn{Conn: rc, t: &httpTransport{m: healthy}}
	cc.raw, _ = a.SyscallConn()
	cc.sender = sendwait.New(cc.raw)
	return cc, rc, bufio.NewReadWriter(bufio.NewReader(b), bufio.NewWriter(b))
}

// exchangeOn sends a GET on cc as a pooled connection's request goes
// (the look, the path check armed, the write fused with the wait), has
// the member answer with answer, and reads the response head, as the
// transport does; then it puts the connection back as putConn does.
func exchangeOn(t *testing.T, cc *countedConn, member *bufio.ReadWriter, every time.Duration, answer string) *memberResponse {
	t.Helper()
	cc.armPath(every, false, nil)
	resp := sendGET(t, cc, member, answer)
	cc.replyTO, cc.pathEvery = 0, 0 // putConn
	return resp
}

// sendGET writes a GET on cc, armed by the caller, as a pooled
// connection's request goes (check: lookOnUse), has the member
// answer with answer, and reads the response head.
func sendGET(t *testing.T, cc *countedConn, member *bufio.ReadWriter, answer string) *memberResponse {
	t.Helper()
	cc.check = true
	req := toRequest(t, httptest.NewRequest("GET", "/x", nil), 8192)
	body, length := newHTTPBody(req)
	done := make(chan error, 1)
	go func() { done <- writeRequest(bufio.NewWriterSize(cc, memberWriteBuf), cc, req, body, length) }()
	if _, err := http.ReadRequest(member.Reader); err != nil {
		t.Fatal(err)
	}
	member.WriteString(answer)
	member.Flush()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	resp, err := readResponse(bufio.NewReader(cc), "GET")
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestBusyMemberConnectionKeepsItsPathCheckDeadline: the path check's
// deadline a response head leaves in place serves the next request's
// wait, instead of being lifted after each head and set again for each
// wait (two runtime timer changes per request,
// docs/performance.md#per-request-work-in-go).
func TestBusyMemberConnectionKeepsItsPathCheckDeadline(t *testing.T) {
	cc, rc, member := recordedMemberConn(t)
	const n = 100
	for range n {
		exchangeOn(t, cc, member, time.Minute, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	}
	// One set per eighth of a minute at most: the margin holds unless
	// the 100 exchanges take over 3 minutes.
	if sets, _ := rc.state(); sets > n/4 {
		t.Errorf("%d read deadlines set for %d requests on a busy member connection, want a few", sets, n)
	}
}

// TestKeptPathCheckDeadlineBoundsNoOtherRead: a kept path-check deadline
// never bounds a body read, and a pooled socket's look on its own (a
// request in several writes) is not refused by one that passed while the
// connection sat idle.
func TestKeptPathCheckDeadlineBoundsNoOtherRead(t *testing.T) {
	cc, rc, member := recordedMemberConn(t)
	exchangeOn(t, cc, member, time.Minute, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	resp := exchangeOn(t, cc, member, time.Minute, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
	_, before := rc.state()
	member.WriteString("hello") // after the head was read: the body's read reaches the socket
	member.Flush()
	b, err := io.ReadAll(resp.body)
	if err != nil || string(b) != "hello" {
		t.Fatalf("body %q, %v", b, err)
	}
	_, reads := rc.state()
	if len(reads) == len(before) {
		t.Fatal("no body read reached the socket")
	}
	for i, dl := range reads[len(before):] {
		if !dl.IsZero() {
			t.Errorf("body read %d ran under a read deadline %v from now", i, time.Until(dl).Round(time.Second))
		}
	}

	// A path check of a millisecond, kept after the head, passes while
	// the connection is idle (the sleep only lets it pass).
	exchangeOn(t, cc, member, time.Millisecond, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	time.Sleep(20 * time.Millisecond)
	cc.check = true // lookOnUse; the request goes out in an ordinary write
	if _, err := cc.Write([]byte("GET /y HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatalf("a pooled connection refused after a kept deadline passed: %v", err)
	}
}
