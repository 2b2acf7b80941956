package props

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

// maxReferenceDepth is mod_jk's recursion limit for reference chains;
// a loop always hits it.
const maxReferenceDepth = 20

// ResolveReferences applies every worker.X.reference=worker.T once the
// whole file is read (so a template may follow its users): first T's own
// reference, then each worker.T.<rest> is copied to worker.X.<rest> unless
// that key exists. Explicit settings win per attribute; list attributes
// are not merged (mod_jk jk_map_resolve_references).
func (m *Map) ResolveReferences(c *diag.Collector) {
	failed := make(map[*Prop]bool)
	refs := make([]*Prop, 0)
	for _, p := range m.Entries {
		if strings.HasPrefix(p.Key, "worker.") && strings.HasSuffix(p.Key, ".reference") {
			refs = append(refs, p)
		}
	}
	for _, ref := range refs {
		if failed[ref] {
			continue
		}
		var chain []*Prop
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
func (m *Map) inherit(ref *Prop, depth int, chain *[]*Prop, c *diag.Collector) bool {
	*chain = append(*chain, ref)
	worker, _ := SplitWorkerKey(ref.Key)
	if depth >= maxReferenceDepth {
		// Report at the key that started the chain: that is the worker
		// that cannot be built.
		first := (*chain)[0]
		fw, _ := SplitWorkerKey(first.Key)
		c.Errorf(first.Pos, fw, "reference", "Recursion limit of %d reached resolving %s=%s (stopped at %s=%s, %s): a reference loop or too long a chain; mod_jk refuses to start",
			maxReferenceDepth, first.Key, first.Value, ref.Key, ref.Value, ref.Pos)
		return false
	}
	if !strings.HasPrefix(ref.Value, "worker.") || ref.Value == "worker." {
		c.Errorf(ref.Pos, worker, "reference", "Reference '%s' must name a worker prefix including 'worker.', e.g. reference=worker.template", ref.Value)
		return false
	}
	from := strings.TrimSuffix(ref.Key, "reference")
	to := ref.Value + "."
	if next := m.Index[to+"reference"]; next != nil {
		if !m.inherit(next, depth+1, chain, c) {
			return false
		}
	}
	found := false
	for _, p := range m.Entries[:len(m.Entries):len(m.Entries)] {
		if !strings.HasPrefix(p.Key, to) {
			continue
		}
		found = true
		dst := from + p.Key[len(to):]
		if m.Index[dst] != nil {
			continue
		}
		cp := &Prop{Key: dst, Value: p.Value, Pos: p.Pos, Parts: p.Parts, Inherited: true}
		m.Entries = append(m.Entries, cp)
		m.Index[dst] = cp
	}
	if !found {
		c.Errorf(ref.Pos, worker, "reference", "Reference '%s' not found: no property starts with '%s'; define the template or fix the name",
			ref.Value, to)
		return false
	}
	return true
}
