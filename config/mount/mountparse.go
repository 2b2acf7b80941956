package mount

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/props"
)

// Line is one raw rule: the pattern side (with -/! modifiers) and
// the worker side (with ;extensions).
type Line struct {
	Key, Value string
	Pos        diag.Pos
}

// ParseFile parses uriworkermap.properties. It uses the
// workers.properties line rules and $(..) (earlier entries of this file,
// then the environment); a repeated pattern replaces the earlier line.
func ParseFile(data []byte, file string, lookup func(string) (string, bool), c *diag.Collector) []Rule {
	m := props.NewMap(lookup)
	props.ForEachLine(data, func(line string, n int) {
		pos := diag.Pos{File: file, Line: n}
		key, value, eq, ok := props.SplitLine(line)
		switch {
		case !ok:
			return
		case !eq:
			c.Warnf(pos, "", "", "rule %q has no '=': ignored (write PATTERN=WORKER)", key)
			return
		case value == "":
			c.Warnf(pos, "", "", "rule %q names no worker: ignored", key)
			return
		}
		value = m.Substitute(value)
		if old := m.Index[key]; old != nil {
			c.Warnf(pos, "", "", "pattern %q repeats the rule at %s: the last one wins", key, old.Pos)
			old.Value, old.Pos = value, pos
			return
		}
		p := &props.Prop{Key: key, Value: value, Pos: pos}
		m.Entries = append(m.Entries, p)
		m.Index[key] = p
	})
	var rules []Rule
	for _, p := range m.Entries {
		rules = append(rules, parseRule(Line{p.Key, p.Value, p.Pos}, SourceURIMap, c)...)
	}
	return rules
}

// ParseInline parses JkMount-style rules ("PATTERN=WORKER[;ext]" or
// "PATTERN WORKER") from jkbalancer.yaml and --mount. A repeated pattern
// replaces the earlier rule, like a repeated JkMount.
func ParseInline(lines []Line, lookup func(string) (string, bool), c *diag.Collector) []Rule {
	env := props.NewMap(lookup) // $(..) sees the environment only
	var order []Line
	index := make(map[string]int)
	for _, l := range lines {
		text := props.TrimSpace(l.Key)
		pattern, worker, ok := strings.Cut(text, "=")
		if !ok {
			pattern, worker, ok = cutSpace(text)
		}
		pattern, worker = props.TrimSpace(pattern), env.Substitute(props.TrimSpace(worker))
		if !ok || pattern == "" || worker == "" {
			c.Errorf(l.Pos, "", "mounts", "mount %q: write PATTERN=WORKER[;ext=value] or PATTERN WORKER", text)
			continue
		}
		ml := Line{pattern, worker, l.Pos}
		if i, dup := index[pattern]; dup {
			c.Warnf(l.Pos, "", "mounts", "pattern %q repeats the mount at %s: the last one wins", pattern, order[i].Pos)
			order[i] = ml
			continue
		}
		index[pattern] = len(order)
		order = append(order, ml)
	}
	var rules []Rule
	for _, l := range order {
		rules = append(rules, parseRule(l, SourceJkMount, c)...)
	}
	return rules
}

func cutSpace(s string) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if props.IsSpace(s[i]) {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// parseRule compiles one uriworkermap or JkMount rule. The '|' shortcut
// splits at the first '|' only: A|B gives A and AB.
func parseRule(l Line, src Source, c *diag.Collector) []Rule {
	name, rest, _ := strings.Cut(l.Value, ";")
	if name == "" {
		report(c, src, l.Pos, "", "rule %q names no worker before ';'", l.Key)
		return nil
	}
	ext := parseExtensions(rest, l.Pos, name, c)
	patterns := []string{l.Key}
	if a, b, ok := strings.Cut(l.Key, "|"); ok {
		patterns = []string{a, a + b}
	}
	var out []Rule
	for _, p := range patterns {
		if m, ok := NewRule(p, name, src, l.Pos, c); ok {
			m.Ext = ext
			out = append(out, m)
		}
	}
	return out
}

// NewRule strips the modifiers, in mod_jk's order: '-' (disabled) then
// '!' (exclusion); "!-/x" is not recognised. The rest must start with '/'.
func NewRule(raw, worker string, src Source, pos diag.Pos, c *diag.Collector) (Rule, bool) {
	m := Rule{Worker: worker, Source: src, Pos: pos, Ext: Extensions{ReplyTimeout: -1}}
	p := raw
	if strings.HasPrefix(p, "-") {
		m.Disabled, p = true, p[1:]
	}
	if strings.HasPrefix(p, "!") {
		m.Exclude, p = true, p[1:]
	}
	if !strings.HasPrefix(p, "/") {
		report(c, src, pos, worker, "invalid context %q: the pattern does not begin with '/' (write /*.jsp, not *.jsp)", raw)
		return m, false
	}
	m.Pattern = p
	m.Wildcard = strings.ContainsAny(p, "*?")
	return m, true
}

// report is a warning for uriworkermap rules (mod_jk logs and skips the
// rule) and an error for JkMount and worker.X.mount (startup fails).
func report(c *diag.Collector, src Source, pos diag.Pos, worker, format string, args ...any) {
	switch src {
	case SourceURIMap:
		c.Warnf(pos, worker, "", format+"; rule skipped", args...)
	case SourceJkMount:
		c.Errorf(pos, worker, "mounts", format, args...)
	default:
		c.Errorf(pos, worker, "mount", format, args...)
	}
}
