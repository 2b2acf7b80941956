package worker

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
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
	conn, err := t.connect(ctx, t.to.Load().addr)
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

// requestProbe sends one request to the member on a pooled connection
// and checks its status. The body is read (up to 64 KiB) so the
// connection can be kept.
func (t *httpTransport) requestProbe(ctx context.Context, method, uri string, check func(int) error) error {
	status, err := t.probeOnce(ctx, method, uri)
	if err == nil {
		err = check(status)
	}
	if err != nil {
		return fmt.Errorf("probe %s %s: %w", method, uri, err)
	}
	t.m.lastFail.Store(0)
	return nil
}

func (t *httpTransport) probeOnce(ctx context.Context, method, uri string) (int, error) {
	if hasCTL(uri) {
		return 0, fmt.Errorf("probe URI %q has a control character or a blank", uri)
	}
	c, err := t.getConn(ctx)
	if err != nil {
		return 0, err
	}
	keep := false
	defer func() { t.putConn(c, keep) }()
	if dl, ok := ctx.Deadline(); ok {
		c.cc.replyTO = max(time.Until(dl), time.Millisecond)
	}
	d := t.to.Load()
	length := ""
	if !lacksBody(method) {
		length = "Content-Length: 0\r\n"
	}
	fmt.Fprintf(c.bw, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: jkbalancer-probe\r\n%s\r\n",
		method, uri, net.JoinHostPort(d.host, strconv.Itoa(d.port)), length)
	if err := c.bw.Flush(); err != nil {
		return 0, err
	}
	resp, err := readResponse(c.br, method)
	if err != nil {
		return 0, err
	}
	if resp.body != nil {
		n, err := io.Copy(io.Discard, io.LimitReader(resp.body, 64<<10))
		keep = err == nil && n < 64<<10 && !resp.close
	} else {
		keep = !resp.close
	}
	return resp.status, nil
}
