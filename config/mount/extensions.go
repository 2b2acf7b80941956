package mount

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/props"
)

// extState is the parse state of one rule's extensions.
type extState struct {
	e    *Extensions
	pos  diag.Pos
	rule string // worker name, for problem reports
	c    *diag.Collector
	// activation remembers which list a member went to, so a conflicting
	// later list can take it over (mod_jk: later list wins, warning).
	activation map[string]*[]string
}

// extensionTable maps each rule extension (docs/compat.md#rule-extensions) to its
// setter. Read-only.
var extensionTable = map[string]func(s *extState, v string){
	"reply_timeout": func(s *extState, v string) {
		n, _ := props.Atoi(v)
		if n < 0 {
			s.c.Warnf(s.pos, s.rule, "reply_timeout", "negative value %q: the worker's reply_timeout stays in force", v)
			return
		}
		s.e.ReplyTimeout = n
	},
	"sticky_ignore":      func(s *extState, v string) { s.e.StickyIgnore = intFlag(v) },
	"stateless":          func(s *extState, v string) { s.e.Stateless = intFlag(v) },
	"set_session_cookie": func(s *extState, v string) { s.e.SetSessionCookie = intFlag(v) },
	"use_server_errors":  func(s *extState, v string) { s.e.UseServerErrors, _ = props.Atoi(v) },
	"session_cookie":     func(s *extState, v string) { s.e.SessionCookie = v },
	"session_path":       func(s *extState, v string) { s.e.SessionPath = v },
	// Parsed but unused by mod_jk 1.2.48's lb code.
	"session_cookie_path": func(s *extState, v string) { s.e.SessionCookiePath = v },
	"active":              func(s *extState, v string) { s.setActivation(&s.e.Active, "active", v) },
	"disabled":            func(s *extState, v string) { s.setActivation(&s.e.Disabled, "disabled", v) },
	"stopped":             func(s *extState, v string) { s.setActivation(&s.e.Stopped, "stopped", v) },
	"fail_on_status": func(s *extState, v string) {
		s.e.HasFailOnStatus = true
		for _, t := range props.SplitList(v) {
			n, ok := props.Atoi(t)
			if !ok || n == 0 {
				s.c.Warnf(s.pos, s.rule, "fail_on_status", "%q is not a status code; ignored", t)
				continue
			}
			s.e.FailOnStatus = append(s.e.FailOnStatus, n)
		}
	},
}

// intFlag is mod_jk's reading of the integer switches: non-zero is on.
func intFlag(v string) bool {
	n, _ := props.Atoi(v)
	return n != 0
}

// parseExtensions reads the ';'-separated extensions after the worker
// name. Quirk kept from mod_jk: an empty value takes the next token, so
// "session_path=;jsessionid" yields "jsessionid".
func parseExtensions(rest string, pos diag.Pos, worker string, c *diag.Collector) Extensions {
	e := Extensions{ReplyTimeout: -1}
	if rest == "" {
		return e
	}
	s := &extState{e: &e, pos: pos, rule: worker, c: c, activation: make(map[string]*[]string)}
	seen := make(map[string]bool)
	toks := strings.Split(rest, ";")
	for i := 0; i < len(toks); i++ {
		tok := props.TrimSpace(toks[i])
		if tok == "" {
			continue
		}
		name, val, eq := strings.Cut(tok, "=")
		name = props.TrimSpace(name)
		if eq && props.TrimSpace(val) == "" && i+1 < len(toks) {
			i++
			val = toks[i]
		}
		val = props.TrimSpace(val)
		set, ok := extensionTable[name]
		switch {
		case !ok:
			c.Warnf(pos, worker, name, "unknown rule extension %q: ignored", name)
		case seen[name]:
			c.Warnf(pos, worker, name, "rule extension given twice: the later value %q is ignored", val)
		default:
			seen[name] = true
			set(s, val)
		}
	}
	return e
}

// setActivation adds members to one activation list; a member already
// put in another list by an earlier extension moves to this one.
func (s *extState) setActivation(dst *[]string, ext, v string) {
	for _, m := range props.SplitList(v) {
		if prev, ok := s.activation[m]; ok && prev != dst {
			s.c.Warnf(s.pos, s.rule, ext, "member %s already has another activation in this rule: the later %s wins", m, ext)
			*prev = removeString(*prev, m)
		}
		if prev := s.activation[m]; prev == dst {
			continue
		}
		s.activation[m] = dst
		*dst = append(*dst, m)
	}
}

func removeString(list []string, s string) []string {
	out := list[:0]
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
