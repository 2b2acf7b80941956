package worker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// defaultProbeTimeout bounds a probe when ping_timeout is 0.
const defaultProbeTimeout = 10 * time.Second

// ProbeURI is the path a request probe asks for.
const ProbeURI = "/"

// Probe checks the member out of band, off the request path: a CPing on a
// fresh connection (a successful connect proves nothing,
// docs/ajp13.md#connection-lifecycle), and, when the member last failed by not
// answering a request in
// reply_timeout, one real request, because a Tomcat whose request threads
// hang still answers CPing. It returns nil when the member is fit for
// traffic.
func (m *Member) Probe(ctx context.Context) error { return m.tr.probe(ctx) }

// probe is Member.Probe for AJP.
func (t *ajpTransport) probe(ctx context.Context) error {
	m := t.m
	timeout := m.cfg().PingTimeoutDuration()
	if timeout <= 0 {
		timeout = defaultProbeTimeout
	}
	if err := t.pool.Ping(ctx, timeout); err != nil {
		return fmt.Errorf("cping: %w", err)
	}
	if Class(m.lastFail.Load()) != ClassReplyTimeout {
		return nil
	}
	return t.requestProbe(ctx, timeout)
}

// requestProbe sends GET ProbeURI and wants any response head within
// reply_timeout (or the ping timeout) that is not a failure status.
func (t *ajpTransport) requestProbe(ctx context.Context, ping time.Duration) error {
	m := t.m
	wait := m.cfg().ReplyTimeoutDuration()
	if wait <= 0 {
		wait = ping
	}
	conn, err := t.pool.Get(ctx)
	if err != nil {
		return fmt.Errorf("probe request: %w", err)
	}
	req := ajp.Request{
		Method: http.MethodGet, Protocol: "HTTP/1.1", URI: ProbeURI,
		RemoteAddr: "127.0.0.1", ServerName: "localhost", ServerPort: 80, SSLKeySize: -1,
		Headers: []ajp.Header{{Name: "User-Agent", Value: "jkbalancer-probe"}, {Name: "Content-Length", Value: "0"}},
		Secret:  m.secret, RemotePort: "0", LocalAddr: "127.0.0.1", Activation: "ACT",
	}
	var sink probeSink
	res, err := conn.Exchange(&req, &ajp.Body{}, &sink, &ajp.ExchangeOptions{ReplyTimeout: wait})
	t.pool.Put(conn, err == nil && res.Reuse)
	if err != nil {
		return fmt.Errorf("probe request: %w", err)
	}
	for _, code := range m.cfg().FailOnStatus {
		if code == res.Status {
			return fmt.Errorf("probe request: status %d is in fail_on_status", res.Status)
		}
	}
	if res.Status == http.StatusServiceUnavailable {
		return errors.New("probe request: 503")
	}
	m.lastFail.Store(0)
	return nil
}

// probeSink discards the probe's response.
type probeSink struct{}

func (probeSink) WriteHead(int, []ajp.Header) error { return nil }
func (probeSink) Write(p []byte) (int, error)       { return len(p), nil }
func (probeSink) Flush() error                      { return nil }
