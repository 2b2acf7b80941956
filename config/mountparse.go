package config

import (
	"sort"
	"strings"
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
func readMountFile(data []byte, file string, lookup func(string) (string, bool), c *collector) []Mount {
	m := newPropMap(lookup)
	forEachLine(data, func(line string, n int) {
		pos := Pos{File: file, Line: n}
		key, value, eq, ok := splitLine(line)
		switch {
		case !ok:
			return
		case !eq:
			c.warnf(pos, "", "", "rule %q has no '=': ignored (write PATTERN=WORKER)", key)
			return
		case value == "":
			c.warnf(pos, "", "", "rule %q names no worker: ignored", key)
			return
		}
		value = m.substitute(value)
		if old := m.index[key]; old != nil {
			c.warnf(pos, "", "", "pattern %q repeats the rule at %s: the last one wins", key, old.pos)
			old.value, old.pos = value, pos
			return
		}
		p := &prop{key: key, value: value, pos: pos}
		m.entries = append(m.entries, p)
		m.index[key] = p
	})
	var rules []Mount
	for _, p := range m.entries {
		rules = append(rules, parseRule(mountLine{p.key, p.value, p.pos}, SourceURIMap, c)...)
	}
	return rules
}

// parseInlineMounts parses JkMount-style rules ("PATTERN=WORKER[;ext]" or
// "PATTERN WORKER") from jkbalancer.yaml and --mount. A repeated pattern
// replaces the earlier rule, like a repeated JkMount.
func parseInlineMounts(lines []mountLine, lookup func(string) (string, bool), c *collector) []Mount {
	env := newPropMap(lookup) // $(..) sees the environment only
	var order []mountLine
	index := make(map[string]int)
	for _, l := range lines {
		text := trimSpace(l.key)
		pattern, worker, ok := strings.Cut(text, "=")
		if !ok {
			pattern, worker, ok = cutSpace(text)
		}
		pattern, worker = trimSpace(pattern), env.substitute(trimSpace(worker))
		if !ok || pattern == "" || worker == "" {
			c.errorf(l.pos, "", "mounts", "mount %q: write PATTERN=WORKER[;ext=value] or PATTERN WORKER", text)
			continue
		}
		ml := mountLine{pattern, worker, l.pos}
		if i, dup := index[pattern]; dup {
			c.warnf(l.pos, "", "mounts", "pattern %q repeats the mount at %s: the last one wins", pattern, order[i].pos)
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
		if isSpace(s[i]) {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// parseRule compiles one uriworkermap or JkMount rule. The '|' shortcut
// splits at the first '|' only: A|B gives A and AB.
func parseRule(l mountLine, src MountSource, c *collector) []Mount {
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
func newMount(raw, worker string, src MountSource, pos Pos, c *collector) (Mount, bool) {
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
func report(c *collector, src MountSource, pos Pos, worker, format string, args ...any) {
	switch src {
	case SourceURIMap:
		c.warnf(pos, worker, "", format+"; rule skipped", args...)
	case SourceJkMount:
		c.errorf(pos, worker, "mounts", format, args...)
	default:
		c.errorf(pos, worker, "mount", format, args...)
	}
}

// workerMounts compiles worker.X.mount for the listed workers: the
// worker is implied, no extensions, no '|' shortcut (docs/config.md#mounts).
func workerMounts(m *propMap, list []string, workers map[string]*Worker, c *collector) []Mount {
	listed := make(map[string]bool, len(list))
	var rules []Mount
	for _, name := range list {
		listed[name] = true
		r := attrReader{m: m, name: name, c: c}
		for _, t := range r.list("mount") {
			if mt, ok := newMount(t.text, name, SourceWorkerDef, t.pos, c); ok {
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
		p := m.get("worker." + name + ".mount")
		// An inherited mount comes from a template and says nothing about
		// this member; only a member's own mount line is worth a warning.
		if !listed[name] && p != nil && !p.inherited {
			c.warnf(p.pos, name, "mount", "ignored: worker.%s.mount is only honoured for workers in worker.list", name)
		}
	}
	return rules
}
