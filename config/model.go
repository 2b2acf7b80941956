// Package config parses, validates and compiles what an operator hands to
// jkbalancer: workers.properties, uriworkermap.properties, inline mounts and
// jkbalancer.yaml. The result is an immutable *Config; nothing in it changes
// after Load returns. Runtime state (lb values, member states, counters)
// lives elsewhere, keyed by worker name.
//
// Attribute names, defaults and units follow mod_jk 1.2.48 (docs/config.md).
// Values are kept in the units workers.properties uses (seconds
// for some attributes, milliseconds for others) so `jkbalancer check --json`
// prints them exactly as an operator would write them; the Duration helpers
// convert.
package config

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/jkbalancer/jkbalancer/config/proxy"
)

// Worker types understood by mod_jk 1.2.48 and by jkbalancer.
const (
	TypeAJP13  = "ajp13"
	TypeAJP14  = "ajp14"
	TypeLB     = "lb"
	TypeStatus = "status"
	TypeHTTP   = "http" // jkbalancer extension (issue 4)
)

// Config is the compiled configuration. It is immutable once built.
type Config struct {
	Server Server `json:"server"`

	// List is worker.list after defaults: the workers that mounts may name.
	List []string `json:"worker.list"`
	// Maintain is worker.maintain in seconds; <= 0 disables maintenance.
	Maintain int `json:"worker.maintain"`

	// Workers holds every worker that is instantiated: the listed ones and
	// every member of a listed lb. Templates that are only referenced are
	// not here.
	Workers map[string]*Worker `json:"workers"`

	// Mounts is every mount rule (uriworkermap file, inline JkMount-style
	// mounts, worker.X.mount), sorted in mod_jk's precedence order.
	Mounts *MountTable `json:"mounts"`

	// Properties is the resolved workers.properties map (after $(..)
	// substitution and reference inheritance) in file order, for the status
	// worker's dump command. Secrets are included; dump must skip them.
	Properties []Property `json:"-"`

	// Warnings are the non-fatal problems found while loading.
	Warnings Problems `json:"-"`
}

// MaintainInterval returns worker.maintain as a duration (0 when disabled).
func (c *Config) MaintainInterval() time.Duration {
	if c.Maintain <= 0 {
		return 0
	}
	return time.Duration(c.Maintain) * time.Second
}

// Property is one resolved key=value of workers.properties.
type Property struct {
	Pos   Pos
	Key   string
	Value string
}

// Worker is one worker definition. Exactly one of Member, LB, Status is
// set, according to Type (Member for ajp13/ajp14 and http; an http worker
// also has Member.HTTP).
type Worker struct {
	Name string `json:"-"`
	Type string `json:"type"`
	Pos  Pos    `json:"-"` // first line that defined this worker
	// Mount is worker.X.mount (only honoured for listed workers).
	Mount []string `json:"mount"`

	Member *Member `json:"-"`
	LB     *LB     `json:"-"`
	Status *Status `json:"-"`
}

// Member holds the attributes of a backend worker, whatever protocol it
// speaks: an ajp13/ajp14 worker or an http one (HTTP set). They include
// the attributes it carries as an lb member (lbfactor, route, ...). Units
// are those of workers.properties; see the Duration helpers.
type Member struct {
	Host       string `json:"host"`
	Port       int    `json:"port"`
	Source     string `json:"source"`
	PreferIPv6 bool   `json:"prefer_ipv6"`

	SocketTimeout        int  `json:"socket_timeout"`         // s
	SocketConnectTimeout int  `json:"socket_connect_timeout"` // ms; default socket_timeout*1000
	SocketKeepalive      bool `json:"socket_keepalive"`
	SocketBuffer         int  `json:"socket_buffer"` // bytes

	// Safe defaults (config/safedefaults.go, docs/config.md#safe-defaults):
	// the keys of SafeDefaults are at a jkbalancer default, not at a value
	// the file set. IdlePingAfter 0 means no idle CPing; KeepaliveIdle 0
	// means the OS's keepalive timing.
	SafeDefaults    []string `json:"jkbalancer_defaults,omitempty"`
	IdlePingAfter   int      `json:"idle_ping_after,omitempty"`   // s
	IdlePingTimeout int      `json:"idle_ping_timeout,omitempty"` // ms
	KeepaliveIdle   int      `json:"keepalive_idle,omitempty"`    // s
	// StallMin (ms, 0 = off) and StallFactor: stall detection
	// (docs/config.md#stall-detection), jkbalancer extensions.
	StallMin    int `json:"stall_min"`
	StallFactor int `json:"stall_factor"`
	// PathCheckInterval: while a reply is late, how often the kernel is
	// asked whether the request's bytes were acknowledged (ajp pathcheck,
	// docs/config.md#safe-defaults); 0 = never (mod_jk).
	PathCheckInterval int `json:"path_check_interval,omitempty"` // ms

	// PingMode is the normalised set of recognised letters, a subset of
	// "CPI" in that order ("" = none; "A" expands to "CPI").
	PingMode               string `json:"ping_mode"`
	PingTimeout            int    `json:"ping_timeout"`             // ms
	ConnectTimeout         int    `json:"connect_timeout"`          // ms, after ping_mode derivation
	PrepostTimeout         int    `json:"prepost_timeout"`          // ms, after ping_mode derivation
	ConnectionPingInterval int    `json:"connection_ping_interval"` // s, after ping_mode derivation

	ConnectionPoolSize       int `json:"connection_pool_size"`
	ConnectionPoolMinsize    int `json:"connection_pool_minsize"`
	ConnectionPoolTimeout    int `json:"connection_pool_timeout"`    // s; 0 = never
	ConnectionAcquireTimeout int `json:"connection_acquire_timeout"` // ms

	ReplyTimeout    int   `json:"reply_timeout"` // ms; 0 = off
	Retries         int   `json:"retries"`
	RetryInterval   int   `json:"retry_interval"` // ms
	RecoveryOptions int   `json:"recovery_options"`
	FailOnStatus    []int `json:"fail_on_status"` // negative = fail over but keep the member OK
	BusyLimit       int   `json:"busy_limit"`
	MaxPacketSize   int   `json:"max_packet_size"` // rounded up to 1024, in [8192, 65536]

	// Secret is sent as AJP attribute 0x0C. Never printed (MarshalJSON
	// shows only whether it is set).
	Secret    string `json:"-"`
	SecretKey string `json:"-"` // ajp14 only

	// Member attributes (docs/config.md#member-keys).
	LBFactor   int        `json:"lbfactor"`
	Distance   int        `json:"distance"`
	Route      string     `json:"route"`
	Domain     string     `json:"domain"`
	Redirect   string     `json:"redirect"`
	Activation Activation `json:"activation"`

	// HTTP is set only for type=http members (config/http.go); the
	// attributes above then apply to the HTTP connection pool.
	HTTP *HTTPMember `json:"-"`

	// Proxy is set only for members of balancers: in jkbalancer.yaml
	// (config/proxy): what their BalancerMember said beyond the
	// attributes above.
	Proxy *ProxyMember `json:"proxy,omitempty"`
}

// ProxyMember is config/proxy's record of what a BalancerMember said
// beyond the workers.properties attributes it compiled into.
type ProxyMember = proxy.Member

// Duration helpers: convert the workers.properties units.

func (a *Member) SocketTimeoutDuration() time.Duration { return sec(a.SocketTimeout) }
func (a *Member) SocketConnectTimeoutDuration() time.Duration {
	return ms(a.SocketConnectTimeout)
}
func (a *Member) PingTimeoutDuration() time.Duration    { return ms(a.PingTimeout) }
func (a *Member) ConnectTimeoutDuration() time.Duration { return ms(a.ConnectTimeout) }
func (a *Member) PrepostTimeoutDuration() time.Duration { return ms(a.PrepostTimeout) }
func (a *Member) ConnectionPingIntervalDuration() time.Duration {
	return sec(a.ConnectionPingInterval)
}
func (a *Member) ConnectionPoolTimeoutDuration() time.Duration { return sec(a.ConnectionPoolTimeout) }
func (a *Member) ConnectionAcquireTimeoutDuration() time.Duration {
	return ms(a.ConnectionAcquireTimeout)
}
func (a *Member) ReplyTimeoutDuration() time.Duration  { return ms(a.ReplyTimeout) }
func (a *Member) RetryIntervalDuration() time.Duration { return ms(a.RetryInterval) }

// Address returns host:port for dialing.
func (a *Member) Address() string { return joinHostPort(a.Host, a.Port) }

// Recovery option bits (docs/compat.md#recovery-options).
const (
	RecoveryNoAfterRequest = 1  // don't retry once the backend received the request
	RecoveryNoAfterHeaders = 2  // don't retry once headers reached the client
	RecoveryAbortClose     = 4  // close the backend hard on client errors
	RecoveryHEAD           = 8  // with bit 1: still retry HEAD
	RecoveryGET            = 16 // with bit 1: still retry GET (not when 8 is set too)
)

// LB holds the attributes of an lb worker (docs/config.md#load-balancer-keys).
type LB struct {
	BalanceWorkers      []string `json:"balance_workers"`
	StickySession       bool     `json:"sticky_session"`
	StickySessionForce  bool     `json:"sticky_session_force"`
	Method              Method   `json:"method"`
	Lock                Lock     `json:"lock"`
	Retries             int      `json:"retries"`
	LBRetries           int      `json:"lb_retries"`
	RetryInterval       int      `json:"retry_interval"`        // ms
	RecoverTime         int      `json:"recover_time"`          // s
	ErrorEscalationTime int      `json:"error_escalation_time"` // s
	MaxReplyTimeouts    int      `json:"max_reply_timeouts"`
	SessionCookie       string   `json:"session_cookie"`
	SessionPath         string   `json:"session_path"`
	SetSessionCookie    bool     `json:"set_session_cookie"`
	SessionCookiePath   string   `json:"session_cookie_path"`
	Secret              string   `json:"-"` // pushed into members without their own
	// Discover is discover= (jkbalancer extension, config/discover.go):
	// more members from DNS; nil = only balance_workers.
	Discover *Discover `json:"discover,omitempty"`
}

func (l *LB) RetryIntervalDuration() time.Duration       { return ms(l.RetryInterval) }
func (l *LB) RecoverTimeDuration() time.Duration         { return sec(l.RecoverTime) }
func (l *LB) ErrorEscalationTimeDuration() time.Duration { return sec(l.ErrorEscalationTime) }

// Status holds the attributes of a status worker (docs/config.md#status-worker-keys).
type Status struct {
	CSS                 string   `json:"css"`
	ReadOnly            bool     `json:"read_only"`
	User                []string `json:"user"`
	UserCaseInsensitive bool     `json:"user_case_insensitive"`
	Good                []string `json:"good"`
	Bad                 []string `json:"bad"`
	Prefix              string   `json:"prefix"`
	NS                  string   `json:"ns"`
	XMLNS               string   `json:"xmlns"`
	Doctype             string   `json:"doctype"`

	// jkbalancer extensions (there is no httpd to authenticate users or to
	// guard the forms):
	// UserFile is worker.NAME.user_file, an htpasswd file whose users may
	// log in with HTTP basic auth ("" = none; relative to workers.properties).
	UserFile string `json:"user_file,omitempty"`
	// CSRF is worker.NAME.csrf: CSRFBrowser or CSRFStrict ("" = browser).
	CSRF string `json:"csrf,omitempty"`
	// Allow is worker.NAME.allow: the client addresses (the TCP peer) that
	// may reach the worker at all (nil = everyone, as in mod_jk);
	// IPv4-mapped IPv6 entries are stored as IPv4.
	Allow []netip.Prefix `json:"allow,omitempty"`
}

// Values of Status.CSRF: with "browser", state changes from a browser
// need the HTML form's POST and its token while scripts keep mod_jk's GET
// API; with "strict", every state change needs them.
const (
	CSRFBrowser = "browser"
	CSRFStrict  = "strict"
)

// Activation of an lb member (docs/compat.md#activation-and-states).
type Activation uint8

const (
	Active Activation = iota
	Disabled
	Stopped
)

// String returns mod_jk's long name.
func (a Activation) String() string {
	switch a {
	case Disabled:
		return "Disabled"
	case Stopped:
		return "Stopped"
	}
	return "Active"
}

// Code returns the three-letter form used by the status worker and the
// JK_LB_ACTIVATION request attribute.
func (a Activation) Code() string {
	switch a {
	case Disabled:
		return "DIS"
	case Stopped:
		return "STP"
	}
	return "ACT"
}

func (a Activation) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// ParseActivation reads mod_jk's activation syntax: first character A/a/0,
// D/d/1, S/s/2; anything else is Active.
func ParseActivation(v string) Activation {
	if v == "" {
		return Active
	}
	switch v[0] {
	case 'D', 'd', '1':
		return Disabled
	case 'S', 's', '2':
		return Stopped
	}
	return Active
}

// Method is the lb balancing method (docs/compat.md#load-values-and-methods).
type Method uint8

const (
	MethodRequest Method = iota
	MethodTraffic
	MethodBusyness
	MethodSessions
	MethodNext
)

func (m Method) String() string {
	return [...]string{"Request", "Traffic", "Busyness", "Sessions", "Next"}[m]
}

func (m Method) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// ParseMethod examines only the first character, like mod_jk.
func ParseMethod(v string) Method {
	if v == "" {
		return MethodRequest
	}
	switch v[0] {
	case 'T', 't', '1':
		return MethodTraffic
	case 'B', 'b', '2':
		return MethodBusyness
	case 'S', 's', '3':
		return MethodSessions
	case 'N', 'n', '4':
		return MethodNext
	}
	return MethodRequest
}

// Lock is the lb locking mode; a single process treats both alike but the
// value is kept for the status worker.
type Lock uint8

const (
	LockOptimistic Lock = iota
	LockPessimistic
)

func (l Lock) String() string {
	if l == LockPessimistic {
		return "Pessimistic"
	}
	return "Optimistic"
}

func (l Lock) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// ParseLock examines only the first character.
func ParseLock(v string) Lock {
	if v != "" && (v[0] == 'P' || v[0] == 'p' || v[0] == '1') {
		return LockPessimistic
	}
	return LockOptimistic
}

func sec(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

func ms(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Millisecond
}

func joinHostPort(host string, port int) string {
	for i := 0; i < len(host); i++ {
		if host[i] == ':' {
			return fmt.Sprintf("[%s]:%d", host, port)
		}
	}
	return fmt.Sprintf("%s:%d", host, port)
}
