package status

import (
	"strconv"

	"github.com/jkbalancer/jkbalancer/config"
)

// The attributes an update may change (docs/status-worker.md#updates-and-ranges), in the order
// jk_status.c commits them. One table serves the update command (which
// parameter, which range), the HTML forms (label), and the state file
// (the workers.properties name as key, the value in the form the machine
// formats print it).

type scope uint8

const (
	scopeLB     scope = iota // lb settings (no sw)
	scopeMember              // per (lb, member)
	scopeAJP                 // per AJP worker name
)

// kind says how an update parameter is read.
type kind uint8

const (
	kInt        kind = iota // C atoi, then [min, max]
	kPacket                 // atoi, rounded up to 1024, then [min, max]
	kBool                   // jk_get_bool_code
	kStr                    // at most maxValueLen bytes, else an error
	kActivation             // first letter: a/d/s or 0/1/2, else Active
	kMethod                 // first letter: r/t/b/s/n or 0-4, else Request
	kLock                   // first letter: o/p or 0/1, else Optimistic
)

// maxValueLen is mod_jk's JK_MAX_NAME_LEN for strings set by the status
// worker.
const maxValueLen = 60

const maxInt = int(^uint(0) >> 1)

type attr struct {
	param string // update parameter, e.g. "vwa"
	name  string // workers.properties name, e.g. "activation"
	label string // HTML label (JK_STATUS_ARG_*_TEXT)
	scope scope
	kind  kind
	min   int
	max   int
	what  string // how the too-long message names it
	// lb and ajp point into the configuration struct that holds the
	// attribute: *int, *bool, *string, *config.Method, *config.Lock or
	// *config.Activation.
	lb  func(*config.LB) any
	ajp func(*config.Member) any
}

func lbInt(f func(*config.LB) *int) func(*config.LB) any {
	return func(l *config.LB) any { return f(l) }
}
func lbBool(f func(*config.LB) *bool) func(*config.LB) any {
	return func(l *config.LB) any { return f(l) }
}
func aInt(f func(*config.Member) *int) func(*config.Member) any {
	return func(a *config.Member) any { return f(a) }
}
func aStr(f func(*config.Member) *string) func(*config.Member) any {
	return func(a *config.Member) any { return f(a) }
}

// attrs is the table, in commit order within each scope. Read-only.
var attrs = []attr{
	{param: "vlr", name: "retries", label: "Retries", scope: scopeLB, min: 1, max: maxInt,
		lb: lbInt(func(l *config.LB) *int { return &l.Retries })},
	{param: "vlri", name: "retry_interval", label: "Retry Interval", scope: scopeLB, min: 1, max: maxInt,
		lb: lbInt(func(l *config.LB) *int { return &l.RetryInterval })},
	{param: "vlt", name: "recover_time", label: "Recover Wait Time", scope: scopeLB, min: 1, max: maxInt,
		lb: lbInt(func(l *config.LB) *int { return &l.RecoverTime })},
	{param: "vlee", name: "error_escalation_time", label: "Error Escalation Time", scope: scopeLB, min: 1, max: maxInt,
		lb: lbInt(func(l *config.LB) *int { return &l.ErrorEscalationTime })},
	{param: "vlx", name: "max_reply_timeouts", label: "Max Reply Timeouts", scope: scopeLB, min: 0, max: maxInt,
		lb: lbInt(func(l *config.LB) *int { return &l.MaxReplyTimeouts })},
	{param: "vls", name: "sticky_session", label: "Sticky Sessions", scope: scopeLB, kind: kBool,
		lb: lbBool(func(l *config.LB) *bool { return &l.StickySession })},
	{param: "vlf", name: "sticky_session_force", label: "Force Sticky Sessions", scope: scopeLB, kind: kBool,
		lb: lbBool(func(l *config.LB) *bool { return &l.StickySessionForce })},
	{param: "vlm", name: "method", label: "LB Method", scope: scopeLB, kind: kMethod,
		lb: func(l *config.LB) any { return &l.Method }},
	{param: "vll", name: "lock", label: "Locking", scope: scopeLB, kind: kLock,
		lb: func(l *config.LB) any { return &l.Lock }},

	{param: "vwa", name: "activation", label: "Activation", scope: scopeMember, kind: kActivation,
		ajp: func(a *config.Member) any { return &a.Activation }},
	{param: "vwf", name: "lbfactor", label: "LB Factor", scope: scopeMember, min: 1, max: maxInt,
		ajp: aInt(func(a *config.Member) *int { return &a.LBFactor })},
	{param: "vwn", name: "route", label: "Route", scope: scopeMember, kind: kStr, what: "route",
		ajp: aStr(func(a *config.Member) *string { return &a.Route })},
	{param: "vwr", name: "redirect", label: "Redirect Route", scope: scopeMember, kind: kStr, what: "redirect",
		ajp: aStr(func(a *config.Member) *string { return &a.Redirect })},
	{param: "vwc", name: "domain", label: "Cluster Domain", scope: scopeMember, kind: kStr, what: "domain",
		ajp: aStr(func(a *config.Member) *string { return &a.Domain })},
	{param: "vwd", name: "distance", label: "Distance", scope: scopeMember, min: 0, max: maxInt,
		ajp: aInt(func(a *config.Member) *int { return &a.Distance })},

	{param: "vacpt", name: "connection_pool_timeout", label: "Connection Pool Timeout", scope: scopeAJP, min: 0, max: maxInt,
		ajp: aInt(func(a *config.Member) *int { return &a.ConnectionPoolTimeout })},
	{param: "vaprt", name: "port", label: "Port", scope: scopeAJP, min: 0, max: 65535,
		ajp: aInt(func(a *config.Member) *int { return &a.Port })},
	{param: "vahst", name: "host", label: "Hostname", scope: scopeAJP, kind: kStr, what: "host name",
		ajp: aStr(func(a *config.Member) *string { return &a.Host })},
	{param: "vapng", name: "ping_timeout", label: "Ping Timeout", scope: scopeAJP, min: 0, max: maxInt,
		ajp: aInt(func(a *config.Member) *int { return &a.PingTimeout })},
	{param: "vact", name: "connect_timeout", label: "Connect Timeout", scope: scopeAJP, min: 0, max: maxInt,
		ajp: aInt(func(a *config.Member) *int { return &a.ConnectTimeout })},
	{param: "vapt", name: "prepost_timeout", label: "Prepost Timeout", scope: scopeAJP, min: 0, max: maxInt,
		ajp: aInt(func(a *config.Member) *int { return &a.PrepostTimeout })},
	{param: "vart", name: "reply_timeout", label: "Reply Timeout", scope: scopeAJP, min: 0, max: maxInt,
		ajp: aInt(func(a *config.Member) *int { return &a.ReplyTimeout })},
	{param: "var", name: "retries", label: "Retries", scope: scopeAJP, min: 1, max: maxInt,
		ajp: aInt(func(a *config.Member) *int { return &a.Retries })},
	{param: "vari", name: "retry_interval", label: "Retry Interval", scope: scopeAJP, min: 1, max: maxInt,
		ajp: aInt(func(a *config.Member) *int { return &a.RetryInterval })},
	{param: "vacpi", name: "connection_ping_interval", label: "Connection Ping Interval", scope: scopeAJP, min: 1, max: maxInt,
		ajp: aInt(func(a *config.Member) *int { return &a.ConnectionPingInterval })},
	{param: "varo", name: "recovery_options", label: "Recovery Options", scope: scopeAJP, min: 0, max: maxInt,
		ajp: aInt(func(a *config.Member) *int { return &a.RecoveryOptions })},
	{param: "vabl", name: "busy_limit", label: "Busy Limit", scope: scopeAJP, min: 0, max: maxInt,
		ajp: aInt(func(a *config.Member) *int { return &a.BusyLimit })},
	{param: "vamps", name: "max_packet_size", label: "Max Packet Size", scope: scopeAJP, kind: kPacket, min: 8192, max: 65536,
		ajp: aInt(func(a *config.Member) *int { return &a.MaxPacketSize })},
}

// attrByParam and attrByName find table entries.
func attrByParam(p string) *attr {
	for i := range attrs {
		if attrs[i].param == p {
			return &attrs[i]
		}
	}
	return nil
}

func attrByName(s scope, name string) *attr {
	for i := range attrs {
		if attrs[i].scope == s && attrs[i].name == name {
			return &attrs[i]
		}
	}
	return nil
}

// multiAttrs are the attributes "att" may edit for all members at once
// (commit_all_members), in the order of the HTML select.
var multiAttrs = []string{"vwa", "vwf", "vwn", "vwr", "vwc", "vwd", "vacpt", "vapng", "vact", "vapt",
	"vart", "var", "vari", "vacpi", "varo", "vabl", "vamps"}

// field returns the pointer into c (a *config.LB or *config.Member).
func (a *attr) field(c any) any {
	switch v := c.(type) {
	case *config.LB:
		return a.lb(v)
	case *config.Member:
		return a.ajp(v)
	}
	return nil
}

// format prints the attribute of c the way the machine formats do.
func (a *attr) format(c any) string {
	switch p := a.field(c).(type) {
	case *int:
		return strconv.Itoa(*p)
	case *bool:
		return boolText(*p)
	case *string:
		return *p
	case *config.Method:
		return p.String()
	case *config.Lock:
		return p.String()
	case *config.Activation:
		return p.Code()
	}
	return ""
}

// assign stores a value printed by format into c.
func (a *attr) assign(c any, v string) {
	switch p := a.field(c).(type) {
	case *int:
		*p = atoi(v)
	case *bool:
		*p = boolCode(v, *p)
	case *string:
		*p = v
	case *config.Method:
		*p = parseMethod(v)
	case *config.Lock:
		*p = parseLock(v)
	case *config.Activation:
		*p = config.ParseActivation(v)
	}
}

// read interprets an update parameter against the current value cur (in
// format's form). It returns the new value in format's form and ok, or
// ok=false when mod_jk would ignore it (out of range, unchanged), or a
// message when the value is refused with an error (too long).
func (a *attr) read(raw, cur string) (val string, ok bool, errMsg string) {
	switch a.kind {
	case kInt, kPacket:
		n := atoi(raw)
		if a.kind == kPacket && n > 0 && n%1024 != 0 {
			n += 1024 - n%1024 // JK_ALIGN(i, 1024) on the unsigned value
		}
		if n < a.min || n > a.max {
			return "", false, ""
		}
		val = strconv.Itoa(n)
	case kBool:
		val = boolText(boolCode(raw, cur == "True"))
	case kStr:
		if len(raw) > maxValueLen {
			return "", false, "too long"
		}
		val = raw
	case kActivation:
		val = config.ParseActivation(raw).Code()
	case kMethod:
		val = parseMethod(raw).String()
	case kLock:
		val = parseLock(raw).String()
	}
	return val, val != cur, ""
}

// parseMethod is jk_lb_get_method_code: the first letter, unknown =
// Request.
func parseMethod(v string) config.Method {
	if v == "" {
		return config.MethodRequest
	}
	switch v[0] {
	case 't', 'T', '1':
		return config.MethodTraffic
	case 'b', 'B', '2':
		return config.MethodBusyness
	case 's', 'S', '3':
		return config.MethodSessions
	case 'n', 'N', '4':
		return config.MethodNext
	}
	return config.MethodRequest
}

// parseLock is jk_lb_get_lock_code: p/P/1 is Pessimistic, anything else
// Optimistic.
func parseLock(v string) config.Lock {
	if v != "" && (v[0] == 'p' || v[0] == 'P' || v[0] == '1') {
		return config.LockPessimistic
	}
	return config.LockOptimistic
}
