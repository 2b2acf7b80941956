package worker

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// probe is Member.Probe for HTTP, the counterpart of the CPing: with
// probe_uri, one probe_method request whose status must be in
// probe_status, within probe_timeout. Without it, a connect (and the TLS
// handshake for https) is enough, except that, as for AJP, a member that
// last failed by not answering within reply_timeout must answer one real
// request (GET ProbeURI, not 503, not in fail_on_status): an application
// whose threads hang still accepts connections.
func (t *httpTransport) probe(ctx context.Context) error {
	if t.initErr != nil {
		return t.initErr
	}
	h := t.h
	timeout := time.Duration(h.ProbeTimeout) * time.Millisecond
	if timeout <= 0 {
		timeout = defaultProbeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if h.ProbeURI != "" {
		return t.requestProbe(ctx, h.ProbeMethod, h.ProbeURI, func(code int) error {
			if !h.ProbeStatus.Contains(code) {
				return fmt.Errorf("status %d is not in probe_status", code)
			}
			return nil
		})
	}
	dial := t.dial
	if h.Scheme == "https" {
		dial = t.dialTLS
	}
	conn, err := dial(ctx, "tcp", t.to.Load().addr)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	conn.Close()
	if Class(t.m.lastFail.Load()) != ClassReplyTimeout {
		return nil
	}
	return t.requestProbe(ctx, http.MethodGet, ProbeURI, func(code int) error {
		for _, c := range t.m.failOnStatus(&Request{}) {
			if c == code {
				return fmt.Errorf("status %d is in fail_on_status", code)
			}
		}
		if code == http.StatusServiceUnavailable {
			return fmt.Errorf("status %d", code)
		}
		return nil
	})
}

// requestProbe sends one request to the member and checks its status.
// The body is read (up to 64 KiB) so the connection can be kept.
func (t *httpTransport) requestProbe(ctx context.Context, method, uri string, check func(int) error) error {
	req, err := http.NewRequestWithContext(ctx, method, t.to.Load().base, nil)
	if err != nil {
		return fmt.Errorf("probe %s %s: %w", method, uri, err)
	}
	path, query, _ := strings.Cut(uri, "?")
	req.URL.Opaque, req.URL.RawQuery = path, query
	req.Header.Set("User-Agent", "jkbalancer-probe")
	resp, err := t.tr.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("probe %s %s: %w", method, uri, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if err := check(resp.StatusCode); err != nil {
		return fmt.Errorf("probe %s %s: %w", method, uri, err)
	}
	t.m.lastFail.Store(0)
	return nil
}
