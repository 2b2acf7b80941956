package config

import "strings"

// maxReferenceDepth is mod_jk's recursion limit for reference chains;
// a loop always hits it.
const maxReferenceDepth = 20

// resolveReferences applies every worker.X.reference=worker.T once the
// whole file is read (so a template may follow its users): first T's own
// reference, then each worker.T.<rest> is copied to worker.X.<rest> unless
// that key exists. Explicit settings win per attribute; list attributes
// are not merged (mod_jk jk_map_resolve_references).
func (m *propMap) resolveReferences(c *collector) {
	failed := make(map[*prop]bool)
	refs := make([]*prop, 0)
	for _, p := range m.entries {
		if strings.HasPrefix(p.key, "worker.") && strings.HasSuffix(p.key, ".reference") {
			refs = append(refs, p)
		}
	}
	for _, ref := range refs {
		if failed[ref] {
			continue
		}
		var chain []*prop
		if !m.inherit(ref, 0, &chain, c) {
			// Report a loop once, not once per member of the loop.
			for _, p := range chain {
				failed[p] = true
			}
		}
	}
}

// inherit resolves one reference key; chain collects the keys visited so
// a failure can be attributed once.
func (m *propMap) inherit(ref *prop, depth int, chain *[]*prop, c *collector) bool {
	*chain = append(*chain, ref)
	worker, _ := splitWorkerKey(ref.key)
	if depth >= maxReferenceDepth {
		// Report at the key that started the chain: that is the worker
		// that cannot be built.
		first := (*chain)[0]
		fw, _ := splitWorkerKey(first.key)
		c.errorf(first.pos, fw, "reference", "Recursion limit of %d reached resolving %s=%s (stopped at %s=%s, %s): a reference loop or too long a chain; mod_jk refuses to start",
			maxReferenceDepth, first.key, first.value, ref.key, ref.value, ref.pos)
		return false
	}
	if !strings.HasPrefix(ref.value, "worker.") || ref.value == "worker." {
		c.errorf(ref.pos, worker, "reference", "Reference '%s' must name a worker prefix including 'worker.', e.g. reference=worker.template", ref.value)
		return false
	}
	from := strings.TrimSuffix(ref.key, "reference")
	to := ref.value + "."
	if next := m.index[to+"reference"]; next != nil {
		if !m.inherit(next, depth+1, chain, c) {
			return false
		}
	}
	found := false
	for _, p := range m.entries[:len(m.entries):len(m.entries)] {
		if !strings.HasPrefix(p.key, to) {
			continue
		}
		found = true
		dst := from + p.key[len(to):]
		if m.index[dst] != nil {
			continue
		}
		cp := &prop{key: dst, value: p.value, pos: p.pos, parts: p.parts, inherited: true}
		m.entries = append(m.entries, cp)
		m.index[dst] = cp
	}
	if !found {
		c.errorf(ref.pos, worker, "reference", "Reference '%s' not found: no property starts with '%s'; define the template or fix the name",
			ref.value, to)
		return false
	}
	return true
}
