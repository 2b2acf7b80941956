// Package statusclient talks to mod_jk's status worker (jkstatus) over its
// HTTP API, the one jkbalancer's status worker keeps: it sets a member's
// activation with cmd=update and reads a member's activation, busy count
// and request count with cmd=show&mime=prop. The same calls work against
// httpd + mod_jk and against jkbalancer (docs/drain.md#how-it-talks-to-the-status-worker).
//
// A status URL whose host is a DNS name resolving to several addresses
// (a Kubernetes headless Service) stands for every address: Expand turns
// it into one Target per address, each dialled directly with the Host
// header (and TLS server name) of the URL.
package statusclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// maxBody bounds what is read of one answer.
const maxBody = 4 << 20

// DefaultTimeout bounds one request when Client.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Resolver looks up the addresses of a name; *net.Resolver is one.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Client sends status worker requests. The zero value is usable.
type Client struct {
	// Timeout bounds each request (DefaultTimeout when zero).
	Timeout time.Duration
	// Resolver resolves status URL names (net.DefaultResolver when nil).
	Resolver Resolver
	// User and Password are the basic-auth login used when a status URL
	// carries none of its own.
	User, Password string
	// Transport is cloned for each target (http.DefaultTransport's
	// settings when nil); tests set TLS roots here.
	Transport *http.Transport
}

// Target is one status worker instance.
type Target struct {
	URL  *url.URL // the status worker's URL, without the login
	Addr string   // host:port to dial; "" dials the URL's own host
	user string
	pass string
	auth bool
}

// String names the instance for messages: the URL without its login,
// and the address when the name stands for several.
func (t Target) String() string {
	s := t.URL.Redacted()
	if t.Addr != "" {
		s += " [" + t.Addr + "]"
	}
	return s
}

// Expand parses a status URL and returns one Target per address its host
// resolves to. A host that is an IP address, or that resolves only to
// 127.0.0.1 and ::1 (localhost), is one target dialled as given. each=false skips
// the lookup: one target, dialled as given.
func (c *Client) Expand(ctx context.Context, raw string, each bool) ([]Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("status URL %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("status URL %q: want http://HOST[:PORT]/PATH or https://...", raw)
	}
	base := Target{URL: u}
	if u.User != nil {
		base.user = u.User.Username()
		base.pass, _ = u.User.Password()
		base.auth = true
		v := *u
		v.User = nil
		base.URL = &v
	}
	host := u.Hostname()
	if !each || net.ParseIP(host) != nil {
		return []Target{base}, nil
	}
	addrs, err := c.resolve(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("status URL %s: %w", base.URL.Redacted(), err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("status URL %s: %s has no address", base.URL.Redacted(), host)
	}
	if onlyLocalhost(addrs) {
		return []Target{base}, nil
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	out := make([]Target, 0, len(addrs))
	for _, a := range addrs {
		t := base
		t.Addr = net.JoinHostPort(a, port)
		out = append(out, t)
	}
	return out, nil
}

func (c *Client) resolve(ctx context.Context, host string) ([]string, error) {
	r := c.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	addrs, err := r.LookupHost(ctx, host)
	if err != nil {
		return nil, err
	}
	// One request per distinct address, in a stable order.
	sort.Strings(addrs)
	out := addrs[:0]
	for i, a := range addrs {
		if i == 0 || a != addrs[i-1] {
			out = append(out, a)
		}
	}
	return out, nil
}

// onlyLocalhost: the addresses of localhost, one instance reachable over
// IPv4 and IPv6, not two.
func onlyLocalhost(addrs []string) bool {
	for _, a := range addrs {
		ip := net.ParseIP(a)
		if ip == nil || !(ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback)) {
			return false
		}
	}
	return true
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// client returns the HTTP client for t: redirects are not followed (a
// status worker does not redirect its machine formats, and a redirect
// would be dialled at t's address anyway).
func (c *Client) client(t Target) *http.Client {
	var tr *http.Transport
	if c.Transport != nil {
		tr = c.Transport.Clone()
	} else {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	tr.Proxy = nil
	tr.DisableKeepAlives = true
	if t.Addr != "" {
		d := &net.Dialer{Timeout: c.timeout()}
		addr := t.Addr
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}
	}
	return &http.Client{Transport: tr, Timeout: c.timeout(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends one request with query q (GET) or form (POST when not nil) and
// returns the body of a 2xx answer; every other outcome is an *Error.
func (c *Client) do(ctx context.Context, t Target, q url.Values, form url.Values) (string, error) {
	u := *t.URL
	u.RawQuery = q.Encode()
	method, body := http.MethodGet, io.Reader(nil)
	if form != nil {
		u.RawQuery = ""
		method, body = http.MethodPost, strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return "", &Error{Target: t, Kind: Garbled, Msg: "cannot build the request", Err: err}
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "jkbalancer-statusclient")
	switch {
	case t.auth:
		req.SetBasicAuth(t.user, t.pass)
	case c.User != "":
		req.SetBasicAuth(c.User, c.Password)
	}
	cl := c.client(t)
	defer cl.CloseIdleConnections()
	resp, err := cl.Do(req)
	if err != nil {
		return "", &Error{Target: t, Kind: Unreachable, Msg: method + " " + u.Redacted() + " failed", Err: unwrapURL(err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return "", &Error{Target: t, Kind: Unreachable, Msg: "reading the answer", Err: err}
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return "", &Error{Target: t, Kind: AuthRefused, Msg: "401: the login is missing or wrong (user:pass@ in the URL, or --user)"}
	case resp.StatusCode == http.StatusForbidden:
		return "", &Error{Target: t, Kind: AuthRefused, Msg: "403: " + firstLine(string(b))}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return "", &Error{Target: t, Kind: HTTPStatus, Msg: fmt.Sprintf("%s: %s", resp.Status, firstLine(string(b)))}
	case len(b) > maxBody:
		return "", &Error{Target: t, Kind: Garbled, Msg: fmt.Sprintf("answer larger than %d bytes", maxBody)}
	}
	return string(b), nil
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// firstLine is the start of an error body, for a message.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// PasswordFromEnv is the environment variable read for the password when
// a login is given without one.
const PasswordFromEnv = "JKBALANCER_STATUS_PASSWORD"

// SplitLogin splits "user:pass"; without a colon the password comes from
// $JKBALANCER_STATUS_PASSWORD (so it need not appear in ps).
func SplitLogin(s string) (user, pass string) {
	user, pass, ok := strings.Cut(s, ":")
	if !ok {
		pass = os.Getenv(PasswordFromEnv)
	}
	return user, pass
}
