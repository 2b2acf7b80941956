package worker

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// relay is one upgraded (WebSocket) connection pair. The request's
// goroutine owns it and waits for both directions; the transport keeps it
// so that close can end it.
type relay struct {
	client, member io.Closer
	once           sync.Once
}

func (r *relay) close() {
	r.once.Do(func() {
		r.client.Close()
		r.member.Close()
	})
}

// relay finishes a protocol switch the member accepted (101): it takes
// over the client's connection, sends it the member's 101, and copies
// bytes both ways until either side closes, then closes both. The bytes
// are counted on the member connection like any response.
func (t *httpTransport) relay(w http.ResponseWriter, req *Request, resp *memberResponse, c *hconn) *Error {
	m := t.m
	back := &upgraded{c}
	fail := func(class Class, err error) *Error {
		back.Close()
		return &Error{Member: m.name, Class: class, Status: resp.status, Err: err}
	}
	want, got := req.HTTP.Header.Get("Upgrade"), resp.header.Get("Upgrade")
	if !strings.EqualFold(firstToken(want), firstToken(got)) {
		return fail(ClassProtocol, fmt.Errorf("member switched to %q when %q was asked for", got, want))
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return fail(ClassInternal, fmt.Errorf("take over the client connection: %w", err))
	}
	r := &relay{client: conn, member: back}
	if !t.track(r) {
		r.close()
		return nil
	}
	defer t.untrack(r)
	// The front end's and socket_timeout's deadlines were for HTTP; an
	// upgraded connection may idle as long as its protocol likes.
	conn.SetDeadline(time.Time{})
	c.cc.noExpire.Store(true)
	c.cc.clearReadDeadline() // and forgets a path check's kept for a next request
	c.cc.Conn.SetDeadline(time.Time{})
	if err := writeSwitch(brw, resp); err != nil {
		r.close()
		return &Error{Member: m.name, Class: ClassClient, HeadSent: true, Status: resp.status, Err: err}
	}
	done := make(chan struct{}, 2)
	go func() {
		io.Copy(back, brw) // bytes the front end already buffered first
		done <- struct{}{}
	}()
	go func() {
		io.Copy(conn, back)
		done <- struct{}{}
	}()
	<-done
	r.close()
	<-done
	return nil
}

// upgraded is the member side of a switched connection: what the member
// sent after its 101 may already sit in the read buffer.
type upgraded struct{ c *hconn }

func (u *upgraded) Read(p []byte) (int, error)  { return u.c.br.Read(p) }
func (u *upgraded) Write(p []byte) (int, error) { return u.c.cc.Write(p) }
func (u *upgraded) Close() error                { return u.c.cc.Close() }

// writeSwitch sends the member's 101 head to the client.
func writeSwitch(brw interface {
	io.Writer
	Flush() error
}, resp *memberResponse) error {
	h := make(http.Header, len(resp.header))
	copyEndToEnd(h, resp.header)
	h["Connection"] = []string{"Upgrade"}
	h["Upgrade"] = resp.header["Upgrade"]
	if _, err := io.WriteString(brw, "HTTP/1.1 101 Switching Protocols\r\n"); err != nil {
		return err
	}
	if err := h.Write(brw); err != nil {
		return err
	}
	if _, err := io.WriteString(brw, "\r\n"); err != nil {
		return err
	}
	return brw.Flush()
}

func firstToken(v string) string {
	tok, _, _ := strings.Cut(v, ",")
	tok, _, _ = strings.Cut(tok, "/")
	return strings.TrimSpace(tok)
}

// track registers an upgraded pair; false once the transport is closed.
func (t *httpTransport) track(r *relay) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.relays == nil {
		return false
	}
	t.relays[r] = struct{}{}
	return true
}

func (t *httpTransport) untrack(r *relay) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.relays, r)
}
