package config

import (
	"sort"
	"strings"

	"github.com/jkbalancer/jkbalancer/config/props"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

// mountLine is one raw rule: the pattern side (with -/! modifiers) and
// the worker side (with ;extensions).
type mountLine struct {
	key, value string
	pos        Pos
}

// readMountFile parses uriworkermap.properties. It uses the
// workers.properties line rules and $(..) (earlier entries of this file,
// then the environment); a repeated pattern replaces the earlier line.
func readMountFile(data []byte, file string, lookup func(string) (string, bool), c *diag.Collector) []Mount {
	m := props.NewMap(lookup)
	props.ForEachLine(data, func(line string, n int) {
		pos := Pos{File: file, Line: n}
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
	var rules []Mount
	for _, p := range m.Entries {
		rules = append(rules, parseRule(mountLine{p.Key, p.Value, p.Pos}, SourceURIMap, c)...)
	}
	return rules
}

// parseInlineMounts parses JkMount-style rules ("PATTERN=WORKER[;ext]" or
// "PATTERN WORKER") from jkbalancer.yaml and --mount. A repeated pattern
// replaces the earlier rule, like a repeated JkMount.
func parseInlineMounts(lines []mountLine, lookup func(string) (string, bool), c *diag.Collector) []Mount {
	env := props.NewMap(lookup) // $(..) sees the environment only
	var order []mountLine
	index := make(map[string]int)
	for _, l := range lines {
		text := props.TrimSpace(l.key)
		pattern, worker, ok := strings.Cut(text, "=")
		if !ok {
			pattern, worker, ok = cutSpace(text)
		}
		pattern, worker = props.TrimSpace(pattern), env.Substitute(props.TrimSpace(worker))
		if !ok || pattern == "" || worker == "" {
			c.Errorf(l.pos, "", "mounts", "mount %q: write PATTERN=WORKER[;ext=value] or PATTERN WORKER", text)
			continue
		}
		ml := mountLine{pattern, worker, l.pos}
		if i, dup := index[pattern]; dup {
			c.Warnf(l.pos, "", "mounts", "pattern %q repeats the mount at %s: the last one wins", pattern, order[i].pos)
			order[i] = ml
			continue
		}
		index[pattern] = len(order)
		order = append(order, ml)
	}
	var rules []Mount
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
func parseRule(l mountLine, src MountSource, c *diag.Collector) []Mount {
	name, rest, _ := strings.Cut(l.value, ";")
	if name == "" {
		report(c, src, l.pos, "", "rule %q names no worker before ';'", l.key)
		return nil
	}
	ext := parseExtensions(rest, l.pos, name, c)
	patterns := []string{l.key}
	if a, b, ok := strings.Cut(l.key, "|"); ok {
		patterns = []string{a, a + b}
	}
	var out []Mount
	for _, p := range patterns {
		if m, ok := newMount(p, name, src, l.pos, c); ok {
			m.Ext = ext
			out = append(out, m)
		}
	}
	return out
}

// newMount strips the modifiers, in mod_jk's order: '-' (disabled) then
// '!' (exclusion); "!-/x" is not recognised. The rest must start with '/'.
func newMount(raw, worker string, src MountSource, pos Pos, c *diag.Collector) (Mount, bool) {
	m := Mount{Worker: worker, Source: src, Pos: pos, Ext: Extensions{ReplyTimeout: -1}}
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
func report(c *diag.Collector, src MountSource, pos Pos, worker, format string, args ...any) {
	switch src {
	case SourceURIMap:
		c.Warnf(pos, worker, "", format+"; rule skipped", args...)
	case SourceJkMount:
		c.Errorf(pos, worker, "mounts", format, args...)
	default:
		c.Errorf(pos, worker, "mount", format, args...)
	}
}

// workerMounts compiles worker.X.mount for the listed workers: the
// worker is implied, no extensions, no '|' shortcut (docs/config.md#mounts).
func workerMounts(m *props.Map, list []string, workers map[string]*Worker, c *diag.Collector) []Mount {
	listed := make(map[string]bool, len(list))
	var rules []Mount
	for _, name := range list {
		listed[name] = true
		r := attrReader{m: m, name: name, c: c}
		for _, t := range r.list("mount") {
			if mt, ok := newMount(t.Text, name, SourceWorkerDef, t.Pos, c); ok {
				rules = append(rules, mt)
			}
		}
	}
	names := make([]string, 0, len(workers))
	for name := range workers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := m.Get("worker." + name + ".mount")
		// An inherited mount comes from a template and says nothing about
		// this member; only a member's own mount line is worth a warning.
		if !listed[name] && p != nil && !p.Inherited {
			c.Warnf(p.Pos, name, "mount", "ignored: worker.%s.mount is only honoured for workers in worker.list", name)
		}
	}
	return rules
}
