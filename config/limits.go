package config

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Limits are the front end's defences against hostile and broken
// clients: what httpd's LimitRequestLine, LimitRequestFieldSize,
// mod_reqtimeout, KeepAliveTimeout, MaxRequestWorkers and HttpProtocolOptions
// used to provide in front of mod_jk. Zero turns a timeout or a cap off.
type Limits struct {
	// ReadHeaderTimeout bounds the time from the first byte of a request
	// to the end of its headers (mod_reqtimeout header=20): a client that
	// trickles its headers (slowloris) is disconnected.
	ReadHeaderTimeout time.Duration `json:"-"`
	// ReadBodyTimeout is how long a request body may go without a byte,
	// and the initial allowance for the whole body, which BodyMinRate
	// extends (mod_reqtimeout body=20,MinRate=500).
	ReadBodyTimeout time.Duration `json:"-"`
	BodyMinRate     int           `json:"body_min_rate"` // bytes/s; 0 = no rate, only the idle bound
	// IdleTimeout closes a keep-alive connection that waits this long for
	// its next request (httpd KeepAliveTimeout).
	IdleTimeout time.Duration `json:"-"`
	// MaxHeaderBytes bounds the request line plus headers; more is 431.
	MaxHeaderBytes int `json:"max_header_bytes"`
	// MaxRequestLine bounds "METHOD URI PROTOCOL"; more is 414 (httpd
	// LimitRequestLine, default 8190).
	MaxRequestLine int `json:"max_request_line"`
	// MaxConnections caps the client connections open at once over all
	// listeners; more wait in the kernel's accept queue. 0 = no cap.
	MaxConnections int `json:"max_connections"`
	// StrictHTTP refuses ambiguous HTTP/1.x framing (Content-Length with
	// Transfer-Encoding, repeated Content-Length, obs-fold, bare LF) with
	// 400 (httpd HttpProtocolOptions Strict). false = what Go's parser
	// accepts (HttpProtocolOptions Unsafe).
	StrictHTTP bool      `json:"strict_http"`
	RateLimit  RateLimit `json:"rate_limit"`

	Pos Pos `json:"-"` // the limits: key
}

// RateLimit limits requests per client address with a token bucket:
// RequestsPerSecond is the refill rate, Burst the bucket size. Off when
// RequestsPerSecond is 0.
type RateLimit struct {
	RequestsPerSecond float64 `json:"requests_per_second"`
	Burst             int     `json:"burst"`
	// Exempt are networks never limited (monitoring, a trusted proxy).
	Exempt []netip.Prefix `json:"exempt,omitempty"`
	// MaxClients bounds the addresses remembered at once; the least
	// recently seen is forgotten first.
	MaxClients int `json:"max_clients"`
}

// Default limits. The timeouts are mod_reqtimeout's defaults in httpd
// 2.4 (header=20-40,MinRate=500 body=20,MinRate=500); the request line is
// httpd's LimitRequestLine.
const (
	DefaultReadHeaderTimeout = 20 * time.Second
	DefaultReadBodyTimeout   = 20 * time.Second
	DefaultBodyMinRate       = 500
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultMaxRequestLine    = 8190
	DefaultMaxConnections    = 10000
	DefaultRateMaxClients    = 100000
)

// DefaultLimits returns the limits that apply without a limits: section.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadBodyTimeout:   DefaultReadBodyTimeout,
		BodyMinRate:       DefaultBodyMinRate,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
		MaxRequestLine:    DefaultMaxRequestLine,
		MaxConnections:    DefaultMaxConnections,
		StrictHTTP:        true,
		RateLimit:         RateLimit{MaxClients: DefaultRateMaxClients},
	}
}

// IsZero reports limits equal to the defaults, so that `check --json`
// prints the section only when something was changed.
func (l Limits) IsZero() bool { return l.Equal(DefaultLimits()) }

// Equal compares two limits, ignoring positions.
func (l Limits) Equal(o Limits) bool {
	a, b := l.RateLimit, o.RateLimit
	return l.ReadHeaderTimeout == o.ReadHeaderTimeout && l.ReadBodyTimeout == o.ReadBodyTimeout &&
		l.BodyMinRate == o.BodyMinRate && l.IdleTimeout == o.IdleTimeout &&
		l.MaxHeaderBytes == o.MaxHeaderBytes && l.MaxRequestLine == o.MaxRequestLine &&
		l.MaxConnections == o.MaxConnections && l.StrictHTTP == o.StrictHTTP &&
		a.RequestsPerSecond == b.RequestsPerSecond && a.Burst == b.Burst &&
		a.MaxClients == b.MaxClients && slices.Equal(a.Exempt, b.Exempt)
}

// MarshalJSON prints durations the way jkbalancer.yaml spells them.
func (l Limits) MarshalJSON() ([]byte, error) {
	type plain Limits
	return json.Marshal(struct {
		plain
		ReadHeaderTimeout string `json:"read_header_timeout"`
		ReadBodyTimeout   string `json:"read_body_timeout"`
		IdleTimeout       string `json:"idle_timeout"`
	}{plain(l), l.ReadHeaderTimeout.String(), l.ReadBodyTimeout.String(), l.IdleTimeout.String()})
}

// limits reads the limits: section of jkbalancer.yaml.
func (y *yamlLoader) limits(n *yaml.Node) {
	l := &y.out.server.Limits
	l.Pos = y.pos(n)
	dur := func(d *time.Duration) yamlHandler {
		return func(y *yamlLoader, v *yaml.Node) {
			if x, ok := y.duration(v); ok {
				*d = x
				if x == 0 {
					y.c.Warnf(y.pos(v), "", y.key, "0 turns this timeout off: a client that sends slowly holds its connection (and, for a body, a backend connection) for as long as it likes")
				}
			}
		}
	}
	y.mapping(n, "limits.", map[string]yamlHandler{
		"read_header_timeout": dur(&l.ReadHeaderTimeout),
		"read_body_timeout":   dur(&l.ReadBodyTimeout),
		"idle_timeout":        dur(&l.IdleTimeout),
		"body_min_rate":       func(y *yamlLoader, v *yaml.Node) { y.atLeast(v, &l.BodyMinRate, 0, "") },
		"max_header_bytes": func(y *yamlLoader, v *yaml.Node) {
			y.atLeast(v, &l.MaxHeaderBytes, 1024, "below 1024 bytes ordinary browser requests are refused")
		},
		"max_request_line": func(y *yamlLoader, v *yaml.Node) {
			y.atLeast(v, &l.MaxRequestLine, 256, "below 256 bytes ordinary URLs are refused")
		},
		"max_connections": func(y *yamlLoader, v *yaml.Node) {
			if y.atLeast(v, &l.MaxConnections, 0, "") && l.MaxConnections == 0 {
				y.c.Warnf(y.pos(v), "", y.key, "0 means no cap: enough idle connections exhaust the process's file descriptors")
			}
		},
		"strict_http": func(y *yamlLoader, v *yaml.Node) {
			if b, ok := y.bool(v); ok {
				l.StrictHTTP = b
			}
		},
		"rate_limit": func(y *yamlLoader, v *yaml.Node) { y.rateLimit(v, &l.RateLimit) },
	})
}

// rateLimit reads limits.rate_limit.
func (y *yamlLoader) rateLimit(n *yaml.Node, r *RateLimit) {
	burstPos := Pos{}
	y.mapping(n, "limits.rate_limit.", map[string]yamlHandler{
		"requests_per_second": func(y *yamlLoader, v *yaml.Node) {
			var f float64
			if err := deref(v).Decode(&f); err != nil || f < 0 {
				y.c.Errorf(y.pos(v), "", y.key, "expected a number of requests per second (0 = off, 0.5 = one every 2 s), got %q", deref(v).Value)
				return
			}
			r.RequestsPerSecond = f
		},
		"burst": func(y *yamlLoader, v *yaml.Node) {
			if y.atLeast(v, &r.Burst, 1, "") {
				burstPos = y.pos(v)
			}
		},
		"max_clients": func(y *yamlLoader, v *yaml.Node) { y.atLeast(v, &r.MaxClients, 1, "") },
		"exempt": func(y *yamlLoader, v *yaml.Node) {
			for _, t := range y.strList(v, false) {
				p, err := parsePrefix(t.Text)
				if err != nil {
					y.c.Errorf(t.Pos, "", y.key, "%q is not an address or network (write e.g. 10.0.0.0/8 or 2001:db8::/32)", t.Text)
					continue
				}
				r.Exempt = append(r.Exempt, p)
			}
		},
	})
	switch {
	case r.RequestsPerSecond == 0 && burstPos.Line > 0:
		y.c.Warnf(burstPos, "", "limits.rate_limit.burst", "ignored: requests_per_second is 0, so rate limiting is off")
	case r.RequestsPerSecond > 0 && r.Burst == 0:
		// One second's worth may arrive at once (a page and its assets).
		r.Burst = max(1, int(r.RequestsPerSecond+0.999))
	}
}

// parsePrefix accepts a network or a single address (as /32 or /128).
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// atLeast reads a whole number into *dst when it is at least lo; why
// tells what a smaller value would break.
func (y *yamlLoader) atLeast(n *yaml.Node, dst *int, lo int, why string) bool {
	v, ok := y.int(n)
	if !ok {
		return false
	}
	if v < lo {
		if why == "" {
			why = "it cannot be below " + strconv.Itoa(lo)
		}
		y.c.Errorf(y.pos(n), "", y.key, "%d is too small: %s", v, why)
		return false
	}
	*dst = v
	return true
}

// duration reads a Go duration ("20s", "1m30s") or whole seconds.
func (y *yamlLoader) duration(n *yaml.Node) (time.Duration, bool) {
	s := y.str(n)
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, ierr := strconv.Atoi(s)
		if ierr != nil {
			y.c.Errorf(y.pos(n), "", y.key, "%q is not a duration: write e.g. 20s or 2m", s)
			return 0, false
		}
		d = time.Duration(secs) * time.Second
	}
	if d < 0 {
		y.c.Errorf(y.pos(n), "", y.key, "negative duration %s", s)
		return 0, false
	}
	return d, true
}
