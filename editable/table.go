// Package editable is the one table of the attributes the status worker
// may change at runtime (docs/status-worker.md#updates-and-ranges): per
// attribute its update parameter, workers.properties name, form label,
// scope, kind, range and the configuration field that holds it.
//
// Everything that handles an edit reads this table: the status worker's
// update command (parameter, parsing, range), its HTML forms (label, input
// kind, current value), its state file (name as key, value as Format
// prints it), and the lb and the member when they apply an edit (Check:
// the range of every attribute an edit changed). It imports only config,
// so balancer and worker can use it without knowing the status worker.
package editable

import "github.com/jkbalancer/jkbalancer/config"

// Scope says which running object holds an attribute.
type Scope uint8

const (
	ScopeLB     Scope = iota // the lb's settings (a *config.LB)
	ScopeMember              // one member of one lb (lb attributes of a *config.Member)
	ScopeAJP                 // an AJP worker, every instance of it (a *config.Member)
)

// Kind says how a value is read, printed, ranged and shown in a form.
type Kind uint8

const (
	Int        Kind = iota // C atoi, then [Min, Max]
	Packet                 // atoi, rounded up to 1024, then [Min, Max]
	Bool                   // jk_get_bool_code; a checkbox
	Str                    // length in [Min, Max]; longer is an error, not ignored
	Activation             // first letter: a/d/s or 0/1/2, else Active
	Method                 // first letter: r/t/b/s/n or 0-4, else Request
	Lock                   // first letter: o/p or 0/1, else Optimistic
)

// MaxValueLen is mod_jk's JK_MAX_NAME_LEN for strings set by the status
// worker.
const MaxValueLen = 60

const maxInt = int(^uint(0) >> 1)

// Attr is one editable attribute.
type Attr struct {
	Param string // update parameter, e.g. "vwa"
	Name  string // workers.properties name, e.g. "activation"; the state file's key
	Label string // HTML label (JK_STATUS_ARG_*_TEXT)
	Scope Scope
	Kind  Kind
	// Min and Max bound the value (numbers and the enum kinds) or the
	// length (Str).
	Min, Max int
	What     string // how the too-long message names a Str
	// Address marks host and port: they move the worker to a new
	// address, which is resolved first (worker.Member.SetAddress), so
	// they are applied together after the other attributes and are not
	// offered in the all-members form.
	Address bool
	// lb and mem point into the configuration struct that holds the
	// attribute: *int, *bool, *string, *config.Method, *config.Lock or
	// *config.Activation. Exactly one is set, by scope.
	lb  func(*config.LB) any
	mem func(*config.Member) any
}

func lbInt(p, name, label string, lo int, f func(*config.LB) *int) Attr {
	return Attr{Param: p, Name: name, Label: label, Scope: ScopeLB, Min: lo, Max: maxInt,
		lb: func(l *config.LB) any { return f(l) }}
}

func lbBool(p, name, label string, f func(*config.LB) *bool) Attr {
	return Attr{Param: p, Name: name, Label: label, Scope: ScopeLB, Kind: Bool,
		lb: func(l *config.LB) any { return f(l) }}
}

func memInt(s Scope, p, name, label string, lo, hi int, f func(*config.Member) *int) Attr {
	return Attr{Param: p, Name: name, Label: label, Scope: s, Min: lo, Max: hi,
		mem: func(m *config.Member) any { return f(m) }}
}

func memStr(s Scope, p, name, label, what string, lo int, f func(*config.Member) *string) Attr {
	return Attr{Param: p, Name: name, Label: label, Scope: s, Kind: Str, Min: lo, Max: MaxValueLen, What: what,
		mem: func(m *config.Member) any { return f(m) }}
}

// Table lists every attribute, by scope in the order of the HTML forms
// (jk_status.c form_worker, form_member), which within a scope is also
// the order jk_status.c commits them in, except that host and port are
// committed last, together. Read-only.
var Table = []Attr{
	lbInt("vlr", "retries", "Retries", 1, func(l *config.LB) *int { return &l.Retries }),
	lbInt("vlri", "retry_interval", "Retry Interval", 1, func(l *config.LB) *int { return &l.RetryInterval }),
	lbInt("vlt", "recover_time", "Recover Wait Time", 1, func(l *config.LB) *int { return &l.RecoverTime }),
	lbInt("vlee", "error_escalation_time", "Error Escalation Time", 1, func(l *config.LB) *int { return &l.ErrorEscalationTime }),
	lbInt("vlx", "max_reply_timeouts", "Max Reply Timeouts", 0, func(l *config.LB) *int { return &l.MaxReplyTimeouts }),
	lbBool("vls", "sticky_session", "Sticky Sessions", func(l *config.LB) *bool { return &l.StickySession }),
	lbBool("vlf", "sticky_session_force", "Force Sticky Sessions", func(l *config.LB) *bool { return &l.StickySessionForce }),
	{Param: "vlm", Name: "method", Label: "LB Method", Scope: ScopeLB, Kind: Method, Max: int(config.MethodNext),
		lb: func(l *config.LB) any { return &l.Method }},
	{Param: "vll", Name: "lock", Label: "Locking", Scope: ScopeLB, Kind: Lock, Max: int(config.LockPessimistic),
		lb: func(l *config.LB) any { return &l.Lock }},

	{Param: "vwa", Name: "activation", Label: "Activation", Scope: ScopeMember, Kind: Activation, Max: int(config.Stopped),
		mem: func(m *config.Member) any { return &m.Activation }},
	memInt(ScopeMember, "vwf", "lbfactor", "LB Factor", 1, maxInt, func(m *config.Member) *int { return &m.LBFactor }),
	// A member always has a route (its name when none is configured).
	memStr(ScopeMember, "vwn", "route", "Route", "route", 1, func(m *config.Member) *string { return &m.Route }),
	memStr(ScopeMember, "vwr", "redirect", "Redirect Route", "redirect", 0, func(m *config.Member) *string { return &m.Redirect }),
	memStr(ScopeMember, "vwc", "domain", "Cluster Domain", "domain", 0, func(m *config.Member) *string { return &m.Domain }),
	memInt(ScopeMember, "vwd", "distance", "Distance", 0, maxInt, func(m *config.Member) *int { return &m.Distance }),

	addr(memStr(ScopeAJP, "vahst", "host", "Hostname", "host name", 0, func(m *config.Member) *string { return &m.Host })),
	addr(memInt(ScopeAJP, "vaprt", "port", "Port", 0, 65535, func(m *config.Member) *int { return &m.Port })),
	memInt(ScopeAJP, "vacpt", "connection_pool_timeout", "Connection Pool Timeout", 0, maxInt, func(m *config.Member) *int { return &m.ConnectionPoolTimeout }),
	memInt(ScopeAJP, "vapng", "ping_timeout", "Ping Timeout", 0, maxInt, func(m *config.Member) *int { return &m.PingTimeout }),
	memInt(ScopeAJP, "vact", "connect_timeout", "Connect Timeout", 0, maxInt, func(m *config.Member) *int { return &m.ConnectTimeout }),
	memInt(ScopeAJP, "vapt", "prepost_timeout", "Prepost Timeout", 0, maxInt, func(m *config.Member) *int { return &m.PrepostTimeout }),
	memInt(ScopeAJP, "vart", "reply_timeout", "Reply Timeout", 0, maxInt, func(m *config.Member) *int { return &m.ReplyTimeout }),
	memInt(ScopeAJP, "var", "retries", "Retries", 1, maxInt, func(m *config.Member) *int { return &m.Retries }),
	memInt(ScopeAJP, "vari", "retry_interval", "Retry Interval", 1, maxInt, func(m *config.Member) *int { return &m.RetryInterval }),
	memInt(ScopeAJP, "vacpi", "connection_ping_interval", "Connection Ping Interval", 1, maxInt, func(m *config.Member) *int { return &m.ConnectionPingInterval }),
	memInt(ScopeAJP, "varo", "recovery_options", "Recovery Options", 0, maxInt, func(m *config.Member) *int { return &m.RecoveryOptions }),
	memInt(ScopeAJP, "vabl", "busy_limit", "Busy Limit", 0, maxInt, func(m *config.Member) *int { return &m.BusyLimit }),
	packet(memInt(ScopeAJP, "vamps", "max_packet_size", "Max Packet Size", 8192, 65536, func(m *config.Member) *int { return &m.MaxPacketSize })),
}

func addr(a Attr) Attr   { a.Address = true; return a }
func packet(a Attr) Attr { a.Kind = Packet; return a }

// ByParam returns the attribute an update parameter names, or nil.
func ByParam(p string) *Attr {
	for i := range Table {
		if Table[i].Param == p {
			return &Table[i]
		}
	}
	return nil
}

// ByName returns the attribute of scope s with a workers.properties name,
// or nil.
func ByName(s Scope, name string) *Attr {
	for i := range Table {
		if Table[i].Scope == s && Table[i].Name == name {
			return &Table[i]
		}
	}
	return nil
}

// Multi reports whether the all-members form (jk_status.c
// form_all_members) offers the attribute: every member and AJP attribute
// but the address.
func (a *Attr) Multi() bool { return a.Scope != ScopeLB && !a.Address }

// Choices are the labels of the radio buttons of an enum kind, in value
// order; nil for the other kinds.
func (a *Attr) Choices() []string {
	switch a.Kind {
	case Activation:
		return []string{"Active", "Disabled", "Stopped"}
	case Method:
		return []string{"Requests", "Traffic", "Busyness", "Sessions", "Next"}
	case Lock:
		return []string{"Optimistic", "Pessimistic"}
	}
	return nil
}
