package config

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/jkbalancer/jkbalancer/config/props"
)

// Defaults of docs/config.md#load-balancer-keys, docs/config.md#status-worker-keys.
const (
	defaultRecoverTime = 60
	defaultCookiePath  = "/"
	defaultPrefix      = "worker"
	defaultNS          = "jk:"
	defaultXMLNS       = `xmlns:jk="http://tomcat.apache.org"`
)

var lbInts = []intField[LB]{
	{"retries", defaultRetries, func(l *LB) *int { return &l.Retries }},
	{"lb_retries", defaultRetries, func(l *LB) *int { return &l.LBRetries }},
	{"retry_interval", defaultRetryIntvl, func(l *LB) *int { return &l.RetryInterval }},
	{"recover_time", defaultRecoverTime, func(l *LB) *int { return &l.RecoverTime }},
	{"error_escalation_time", 0, func(l *LB) *int { return &l.ErrorEscalationTime }},
	{"max_reply_timeouts", 0, func(l *LB) *int { return &l.MaxReplyTimeouts }},
}

var lbBools = []boolField[LB]{
	{"sticky_session", true, func(l *LB) *bool { return &l.StickySession }},
	{"sticky_session_force", false, func(l *LB) *bool { return &l.StickySessionForce }},
	{"set_session_cookie", false, func(l *LB) *bool { return &l.SetSessionCookie }},
}

var lbStrs = []strField[LB]{
	{"session_cookie", defaultSessionCookie, func(l *LB) *string { return &l.SessionCookie }},
	{"session_path", defaultSessionPath, func(l *LB) *string { return &l.SessionPath }},
	{"session_cookie_path", defaultCookiePath, func(l *LB) *string { return &l.SessionCookiePath }},
	{"secret", "", func(l *LB) *string { return &l.Secret }},
}

// compileLB builds an lb worker's own attributes. Members are compiled
// by the caller; balance_workers is returned as tokens so problems about
// a member can name the line that listed it.
func compileLB(r attrReader) (*LB, []props.Token) {
	l := &LB{}
	readInts(r, l, lbInts)
	readBools(r, l, lbBools)
	readStrs(r, l, lbStrs)
	m, _ := r.str("method", "")
	l.Method = ParseMethod(m)
	lk, _ := r.str("lock", "")
	l.Lock = ParseLock(lk)
	l.Retries = max(l.Retries, 1)
	l.LBRetries = max(l.LBRetries, 1)
	l.RecoverTime = max(l.RecoverTime, 1)
	if !r.has("error_escalation_time") {
		l.ErrorEscalationTime = l.RecoverTime / 2
	}
	members := r.list("balance_workers")
	if members == nil {
		// balanced_workers is not a list attribute for duplicates (mod_jk
		// joins repeats with '*'), so it has no per-line parts.
		if p := r.get("balanced_workers"); p != nil {
			members = props.ListTokens(p.Value, p.Pos)
		}
	}
	l.BalanceWorkers = tokenTexts(members)
	r.checkLengths("session_cookie", "session_path", "session_cookie_path")
	return l, members
}

var statusBools = []boolField[Status]{
	{"read_only", false, func(s *Status) *bool { return &s.ReadOnly }},
	{"user_case_insensitive", false, func(s *Status) *bool { return &s.UserCaseInsensitive }},
}

var statusStrs = []strField[Status]{
	{"css", "", func(s *Status) *string { return &s.CSS }},
	{"prefix", defaultPrefix, func(s *Status) *string { return &s.Prefix }},
	{"ns", defaultNS, func(s *Status) *string { return &s.NS }},
	{"xmlns", defaultXMLNS, func(s *Status) *string { return &s.XMLNS }},
	{"doctype", "", func(s *Status) *string { return &s.Doctype }},
}

// compileStatus builds a status worker (docs/config.md#status-worker-keys).
func compileStatus(r attrReader) *Status {
	s := &Status{}
	readBools(r, s, statusBools)
	readStrs(r, s, statusStrs)
	// "-" means "none" for ns and xmlns; the compiled value is then empty.
	if s.NS == "-" {
		s.NS = ""
	}
	if s.XMLNS == "-" {
		s.XMLNS = ""
	}
	s.User = tokenTexts(r.list("user"))
	s.Good = tokenTexts(r.list("good"))
	if s.Good == nil {
		// mask 0x0F: active, and OK, idle, busy or recovering
		s.Good = []string{"a.o", "a.i", "a.b", "a.r"}
	}
	s.Bad = tokenTexts(r.list("bad"))
	if s.Bad == nil {
		s.Bad = []string{"s", "e"} // stopped or in error
	}
	compileStatusExtensions(r, s)
	return s
}

// compileStatusExtensions reads the jkbalancer-only status attributes:
// user_file (resolved against the directory of the line that sets it) and
// csrf.
func compileStatusExtensions(r attrReader, s *Status) {
	if p := r.get("user_file"); p != nil {
		s.UserFile = p.Value
		if !filepath.IsAbs(s.UserFile) && p.Pos.File != "" {
			s.UserFile = filepath.Join(filepath.Dir(p.Pos.File), s.UserFile)
		}
		if f, err := os.Open(s.UserFile); err != nil {
			r.c.Errorf(p.Pos, r.name, "user_file", "cannot read the user file: %v; create it with htpasswd -c -5 %s USER", err, s.UserFile)
		} else {
			f.Close()
		}
	}
	s.Allow = compileAllow(r)
	if p := r.get("csrf"); p != nil {
		switch v := strings.ToLower(p.Value); v {
		case CSRFBrowser, CSRFStrict:
			s.CSRF = v
		default:
			r.c.Errorf(p.Pos, r.name, "csrf", "csrf=%s is not understood: use browser (scripts keep the GET update API) or strict (every change needs the form's POST and token)", p.Value)
		}
	}
}
