package config

import (
	"strings"
)

// prop is one key of the property map.
type prop struct {
	key   string
	value string // what mod_jk would hold: list values joined with ','
	pos   Pos    // the line in force: the last for unique keys, the first otherwise
	// parts keeps each line's contribution to a list attribute so that a
	// problem with one token can name its own line.
	parts []token
	seed  bool // pre-seeded (ServerRoot): overriding it is silent
	// inherited is set on keys copied by reference resolution.
	inherited bool
}

// token is one item of a list value, with the line it came from.
type token struct {
	text string
	pos  Pos
}

// propMap is mod_jk's jk_map_t: an ordered string map. Order matters for
// $(..) substitution (only earlier keys are visible) and for the status
// worker's dump.
type propMap struct {
	entries []*prop
	index   map[string]*prop
	lookup  func(string) (string, bool) // environment for $(..)
	// rejected holds worker names that had a line refused, so they are
	// not also reported as "no definition at all".
	rejected map[string]bool
}

func newPropMap(lookup func(string) (string, bool)) *propMap {
	return &propMap{index: make(map[string]*prop), lookup: lookup, rejected: make(map[string]bool)}
}

func (m *propMap) get(key string) *prop { return m.index[key] }

// splitLine applies mod_jk's line rules: everything from the first '#'
// is a comment (there is no escape), the rest is trimmed with C isspace,
// and the split is at the first '='. ok is false for blank lines; eq is
// false for lines without '=' (ignored by mod_jk).
func splitLine(line string) (name, value string, eq, ok bool) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	line = trimSpace(line)
	if line == "" {
		return "", "", false, false
	}
	i := strings.IndexByte(line, '=')
	if i < 0 {
		return line, "", false, true
	}
	return trimSpace(line[:i]), trimSpace(line[i+1:]), true, true
}

// forEachLine calls fn for every line of data with its 1-based number.
func forEachLine(data []byte, fn func(line string, n int)) {
	s := string(data)
	for n := 1; s != ""; n++ {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			fn(s, n)
			return
		}
		fn(s[:i], n)
		s = s[i+1:]
	}
}

// readLine parses one workers.properties (or JkWorkerProperty) line into
// the map, reporting what mod_jk would refuse or silently ignore.
func (m *propMap) readLine(line string, pos Pos, c *collector) {
	name, value, eq, ok := splitLine(line)
	switch {
	case !ok:
		return
	case !eq:
		c.warnf(pos, "", "", "line %q has no '=': ignored (mod_jk ignores it too)", name)
		return
	case name == "":
		c.warnf(pos, "", "", "line has no property name before '=': ignored")
		return
	case value == "":
		worker, attr := propNames(name)
		c.warnf(pos, worker, attr, "empty value: the line is ignored, so the default (or an earlier value) stays in force, as in mod_jk")
		return
	}
	kind := kindUnique
	if strings.HasPrefix(name, "worker.") {
		worker, attr := splitWorkerKey(name)
		info, known := attributeTable[attr]
		if !known {
			msg := "The attribute '" + attr + "' is not supported"
			if s := suggestAttribute(attr); s != "" {
				msg += " (did you mean '" + s + "'?)"
			}
			c.errorf(pos, worker, attr, "%s; mod_jk refuses to start with it: fix or remove the line", msg)
			m.rejected[worker] = true
			return
		}
		if info.deprecated != "" {
			c.warnf(pos, worker, attr, "%s", info.deprecated)
		}
		kind = info.kind
	}
	for _, v := range m.unresolved(value) {
		worker, attr := propNames(name)
		c.warnf(pos, worker, attr, "$(%s) is neither an earlier key of the file nor an environment variable: mod_jk keeps the text as it is, so %q is used literally; define it (for a secret, in the service's environment) or remove the reference", v, "$("+v+")")
	}
	m.put(name, m.substitute(value), pos, kind, c)
}

// unresolved lists the $(name) references of v that substitute would
// leave verbatim.
func (m *propMap) unresolved(v string) []string {
	var out []string
	for n := 0; n < maxSubstitutions; n++ {
		start := strings.Index(v, "$(")
		if start < 0 {
			break
		}
		end := strings.IndexByte(v[start+2:], ')')
		if end < 0 {
			break
		}
		name := v[start+2 : start+2+end]
		if _, ok := m.resolveVar(name); !ok {
			out = append(out, name)
		}
		v = v[start+2+end+1:]
	}
	return out
}

// put stores one value, applying mod_jk's duplicate-key rules.
func (m *propMap) put(key, value string, pos Pos, kind attrKind, c *collector) {
	old := m.index[key]
	if old == nil {
		p := &prop{key: key, value: value, pos: pos}
		if kind == kindList {
			p.parts = listTokens(value, pos)
		}
		m.entries = append(m.entries, p)
		m.index[key] = p
		return
	}
	worker, attr := propNames(key)
	switch {
	case old.seed:
		old.value, old.pos, old.seed = value, pos, false
	case kind == kindList:
		old.value += "," + value
		old.parts = append(old.parts, listTokens(value, pos)...)
	case kind == kindFirst:
		c.warnf(pos, worker, attr, "Duplicate key '%s': mod_jk joins repeated values with '*' and reads only the first, so %q (%s) stays in force; remove one of the lines",
			key, old.value, old.pos)
	default:
		c.warnf(pos, worker, attr, "Duplicate key '%s': the value %q from %s is overwritten (last one wins)", key, old.value, old.pos)
		old.value, old.pos = value, pos
	}
}

// propNames returns the worker and attribute of a key for problem
// reports ("" and the key itself for free variables).
func propNames(key string) (worker, attr string) {
	if strings.HasPrefix(key, "worker.") {
		return splitWorkerKey(key)
	}
	return "", key
}

func listTokens(value string, pos Pos) []token {
	words := splitList(value)
	out := make([]token, len(words))
	for i, w := range words {
		out[i] = token{w, pos}
	}
	return out
}

// maxSubstitutions bounds $(..) replacements per value, like mod_jk's
// JK_MAP_RECURSION.
const maxSubstitutions = 20

// substitute replaces $(name) left to right with the value of an earlier
// key of the map, else the environment. Unknown names stay verbatim and
// substituted text is not scanned again (mod_jk jk_map_replace_properties).
func (m *propMap) substitute(v string) string {
	from, n := 0, 0
	for n < maxSubstitutions {
		start := strings.Index(v[from:], "$(")
		if start < 0 {
			break
		}
		start += from
		end := strings.IndexByte(v[start+2:], ')')
		if end < 0 {
			break
		}
		end += start + 2
		repl, ok := m.resolveVar(v[start+2 : end])
		if !ok {
			from = start + 2
			continue
		}
		v = v[:start] + repl + v[end+1:]
		from = start + len(repl)
		n++
	}
	return v
}

func (m *propMap) resolveVar(name string) (string, bool) {
	if p := m.index[name]; p != nil {
		return p.value, true
	}
	if m.lookup != nil {
		return m.lookup(name)
	}
	return "", false
}

// properties returns the map as the exported, ordered Property list.
func (m *propMap) properties() []Property {
	out := make([]Property, len(m.entries))
	for i, p := range m.entries {
		out[i] = Property{Pos: p.pos, Key: p.key, Value: p.value}
	}
	return out
}
