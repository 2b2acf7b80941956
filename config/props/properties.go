// Package props reads the workers.properties syntax the way mod_jk does
// (docs/config.md): the line rules, $(..) substitution, the duplicate-key
// rules of each attribute, reference inheritance, and the C-like value
// parsers (atoi, k/M suffixes, booleans, lists). The result is an ordered
// Map of raw values with their lines; package config compiles it into
// workers. uriworkermap.properties shares the line rules.
package props

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

// Prop is one key of the property map.
type Prop struct {
	Key   string
	Value string   // what mod_jk would hold: list values joined with ','
	Pos   diag.Pos // the line in force: the last for unique keys, the first otherwise
	// Parts keeps each line's contribution to a list attribute so that a
	// problem with one token can name its own line.
	Parts []Token
	Seed  bool // pre-seeded (ServerRoot): overriding it is silent
	// Inherited is set on keys copied by reference resolution.
	Inherited bool
}

// Token is one item of a list value, with the line it came from.
type Token struct {
	Text string
	Pos  diag.Pos
}

// Map is mod_jk's jk_map_t: an ordered string map. Order matters for
// $(..) substitution (only earlier keys are visible) and for the status
// worker's dump.
type Map struct {
	// Entries are the keys in file order and Index finds them by name;
	// a reader that adds a key itself (the ServerRoot seed, the
	// uriworkermap reader's own duplicate rule) adds it to both.
	Entries []*Prop
	Index   map[string]*Prop
	lookup  func(string) (string, bool) // environment for $(..)
	// Rejected holds worker names that had a line refused, so they are
	// not also reported as "no definition at all".
	Rejected map[string]bool
}

// NewMap returns an empty map whose $(..) falls back to lookup (the
// environment) for names that are not earlier keys.
func NewMap(lookup func(string) (string, bool)) *Map {
	return &Map{Index: make(map[string]*Prop), lookup: lookup, Rejected: make(map[string]bool)}
}

// Get returns the key, or nil when it is not set.
func (m *Map) Get(key string) *Prop { return m.Index[key] }

// SplitLine applies mod_jk's line rules: everything from the first '#'
// is a comment (there is no escape), the rest is trimmed with C isspace,
// and the split is at the first '='. ok is false for blank lines; eq is
// false for lines without '=' (ignored by mod_jk).
func SplitLine(line string) (name, value string, eq, ok bool) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	line = TrimSpace(line)
	if line == "" {
		return "", "", false, false
	}
	i := strings.IndexByte(line, '=')
	if i < 0 {
		return line, "", false, true
	}
	return TrimSpace(line[:i]), TrimSpace(line[i+1:]), true, true
}

// ForEachLine calls fn for every line of data with its 1-based number.
func ForEachLine(data []byte, fn func(line string, n int)) {
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

// ReadLine parses one workers.properties (or JkWorkerProperty) line into
// the map, reporting what mod_jk would refuse or silently ignore.
func (m *Map) ReadLine(line string, pos diag.Pos, c *diag.Collector) {
	name, value, eq, ok := SplitLine(line)
	switch {
	case !ok:
		return
	case !eq:
		c.Warnf(pos, "", "", "line %q has no '=': ignored (mod_jk ignores it too)", name)
		return
	case name == "":
		c.Warnf(pos, "", "", "line has no property name before '=': ignored")
		return
	case value == "":
		worker, attr := propNames(name)
		c.Warnf(pos, worker, attr, "empty value: the line is ignored, so the default (or an earlier value) stays in force, as in mod_jk")
		return
	}
	kind := KindUnique
	if strings.HasPrefix(name, "worker.") {
		worker, attr := SplitWorkerKey(name)
		info, known := Attributes[attr]
		if !known {
			msg := "The attribute '" + attr + "' is not supported"
			if s := suggestAttribute(attr); s != "" {
				msg += " (did you mean '" + s + "'?)"
			}
			c.Errorf(pos, worker, attr, "%s; mod_jk refuses to start with it: fix or remove the line", msg)
			m.Rejected[worker] = true
			return
		}
		if info.Deprecated != "" {
			c.Warnf(pos, worker, attr, "%s", info.Deprecated)
		}
		kind = info.Kind
	}
	for _, v := range m.unresolved(value) {
		worker, attr := propNames(name)
		c.Warnf(pos, worker, attr, "$(%s) is neither an earlier key of the file nor an environment variable: mod_jk keeps the text as it is, so %q is used literally; define it (for a secret, in the service's environment) or remove the reference", v, "$("+v+")")
	}
	m.Put(name, m.Substitute(value), pos, kind, c)
}

// unresolved lists the $(name) references of v that Substitute would
// leave verbatim.
func (m *Map) unresolved(v string) []string {
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

// Put stores one value, applying mod_jk's duplicate-key rules.
func (m *Map) Put(key, value string, pos diag.Pos, kind AttrKind, c *diag.Collector) {
	old := m.Index[key]
	if old == nil {
		p := &Prop{Key: key, Value: value, Pos: pos}
		if kind == KindList {
			p.Parts = ListTokens(value, pos)
		}
		m.Entries = append(m.Entries, p)
		m.Index[key] = p
		return
	}
	worker, attr := propNames(key)
	switch {
	case old.Seed:
		old.Value, old.Pos, old.Seed = value, pos, false
	case kind == KindList:
		old.Value += "," + value
		old.Parts = append(old.Parts, ListTokens(value, pos)...)
	case kind == KindFirst:
		c.Warnf(pos, worker, attr, "Duplicate key '%s': mod_jk joins repeated values with '*' and reads only the first, so %q (%s) stays in force; remove one of the lines",
			key, old.Value, old.Pos)
	default:
		c.Warnf(pos, worker, attr, "Duplicate key '%s': the value %q from %s is overwritten (last one wins)", key, old.Value, old.Pos)
		old.Value, old.Pos = value, pos
	}
}

// propNames returns the worker and attribute of a key for problem
// reports ("" and the key itself for free variables).
func propNames(key string) (worker, attr string) {
	if strings.HasPrefix(key, "worker.") {
		return SplitWorkerKey(key)
	}
	return "", key
}

// ListTokens splits a list value into tokens that all carry pos.
func ListTokens(value string, pos diag.Pos) []Token {
	words := SplitList(value)
	out := make([]Token, len(words))
	for i, w := range words {
		out[i] = Token{w, pos}
	}
	return out
}

// maxSubstitutions bounds $(..) replacements per value, like mod_jk's
// JK_MAP_RECURSION.
const maxSubstitutions = 20

// Substitute replaces $(name) left to right with the value of an earlier
// key of the map, else the environment. Unknown names stay verbatim and
// substituted text is not scanned again (mod_jk jk_map_replace_properties).
func (m *Map) Substitute(v string) string {
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

func (m *Map) resolveVar(name string) (string, bool) {
	if p := m.Index[name]; p != nil {
		return p.Value, true
	}
	if m.lookup != nil {
		return m.lookup(name)
	}
	return "", false
}
