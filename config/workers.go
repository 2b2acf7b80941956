package config

import (
	"sort"
	"strings"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/props"
)

// defaultMaintain is worker.maintain's default in seconds.
const defaultMaintain = 60

// workerBuilder instantiates the workers mod_jk would create: everything
// in worker.list and every member of a listed lb.
type workerBuilder struct {
	m       *props.Map
	c       *diag.Collector
	workers map[string]*Worker
	defined map[string]Pos // names with at least one key -> first line
	// implicit is set when worker.list is absent: the default ajp13
	// worker needs no definition.
	implicit bool
}

// compileWorkers returns worker.list, worker.maintain and the workers.
func compileWorkers(m *props.Map, c *diag.Collector) ([]string, int, map[string]*Worker) {
	b := &workerBuilder{m: m, c: c, workers: make(map[string]*Worker), defined: make(map[string]Pos)}
	for _, p := range m.Entries {
		if strings.HasPrefix(p.Key, "worker.") {
			if name, _ := props.SplitWorkerKey(p.Key); name != "" {
				if _, ok := b.defined[name]; !ok {
					b.defined[name] = p.Pos
				}
			}
		}
	}
	list := b.workerList()
	names := make([]string, 0, len(list))
	for _, t := range list {
		b.build(t, "")
		names = append(names, t.Text)
	}
	maintain := defaultMaintain
	if p := m.Get("worker.maintain"); p != nil {
		n, ok := props.ParseInt(p.Value)
		if !ok {
			c.Warnf(p.Pos, "", "maintain", "%q is not a whole number; mod_jk reads it as %d", p.Value, n)
		}
		maintain = n
	}
	b.warnUnused()
	return names, maintain, b.workers
}

// workerList reads worker.list (default: one worker named ajp13). A name
// listed twice is kept once: mod_jk re-creates it and keeps the last
// instance, which has the same definition.
func (b *workerBuilder) workerList() []props.Token {
	p := b.m.Get("worker.list")
	if p == nil {
		b.implicit = true
		return []props.Token{{Text: "ajp13"}}
	}
	seen := make(map[string]bool)
	var out []props.Token
	for _, t := range p.Parts {
		if seen[t.Text] {
			b.c.Warnf(t.Pos, t.Text, "list", "worker listed more than once in worker.list; the repeats are ignored")
			continue
		}
		seen[t.Text] = true
		out = append(out, t)
	}
	if len(out) == 0 {
		b.c.Errorf(p.Pos, "", "list", "worker.list names no worker: list the workers that mounts may use, e.g. worker.list=lb,status")
	}
	return out
}

// build compiles one worker once; lb names the lb when t comes from its
// balance_workers.
func (b *workerBuilder) build(t props.Token, lb string) *Worker {
	if w, ok := b.workers[t.Text]; ok {
		return w
	}
	name := t.Text
	if len(name) > props.MaxNameLen {
		b.c.Errorf(t.Pos, name, "", "worker name is %d bytes; mod_jk allows at most %d and refuses to start: shorten it", len(name), props.MaxNameLen)
	}
	r := attrReader{m: b.m, name: name, c: b.c}
	pos, defined := b.defined[name]
	if !defined && b.m.Rejected[name] {
		pos = t.Pos // its lines were refused and reported already
	} else if !defined {
		pos = t.Pos
		if lb != "" {
			b.c.Warnf(t.Pos, name, "balance_workers", "lb %s names member %s, which has no definition at all; mod_jk creates it with defaults (ajp13 at localhost:8009): define worker.%s.host and .port", lb, name, name)
		} else if !b.implicit {
			b.c.Warnf(t.Pos, name, "list", "worker %s has no definition at all; mod_jk creates it with defaults (ajp13 at localhost:8009): define worker.%s.host and .port", name, name)
		}
	}
	typ, _ := r.str("type", TypeAJP13)
	w := &Worker{Name: name, Type: typ, Pos: pos, Mount: tokenTexts(r.list("mount"))}
	b.workers[name] = w
	typePos := r.pos("type", pos)
	if typ != TypeHTTP {
		warnHTTPOnly(r, typ)
	}
	if typ != TypeLB {
		warnDiscoverOnly(r, typ)
	}
	switch typ {
	case TypeAJP13:
		w.Member = compileAJP(r, typ, pos)
	case TypeAJP14:
		b.c.Warnf(typePos, name, "type", "ajp14 is compiled like ajp13 (default port 8011): the ajp14 login handshake is not performed, so the backend must accept plain AJP13")
		w.Member = compileAJP(r, typ, pos)
	case TypeLB:
		b.buildLB(w, r)
	case TypeStatus:
		w.Status = compileStatus(r)
	case "ajp12":
		b.c.Errorf(typePos, name, "type", "ajp12 is obsolete and unsupported: use type=ajp13 and point the worker at Tomcat's AJP connector")
	case TypeHTTP:
		w.Member = compileHTTP(r, pos)
	default:
		b.c.Errorf(typePos, name, "type", "unknown worker type %q: mod_jk refuses to start; use ajp13, ajp14, lb, status or http", typ)
	}
	return w
}

// buildLB compiles an lb and its members and checks what mod_jk checks:
// at least one member, members are ajp13/ajp14 (or http, which mod_jk
// does not have), routes are unique.
func (b *workerBuilder) buildLB(w *Worker, r attrReader) {
	l, members := compileLB(r)
	w.LB = l
	l.Discover = b.discover(w, r) // members from DNS (config/discover.go)
	if len(members) == 0 && r.has("discover") {
		return // DNS gives the members; balance_workers may add fixed ones
	}
	if len(members) == 0 {
		b.c.Errorf(r.pos("balance_workers", w.Pos), w.Name, "balance_workers",
			"lb has no members: mod_jk refuses to start; set worker.%s.balance_workers=member1,member2", w.Name)
		return
	}
	names := make(map[string]bool)
	routes := make(map[string]string)
	for _, t := range members {
		if names[t.Text] {
			b.c.Errorf(t.Pos, w.Name, "balance_workers", "member %s is named twice, so two members share the same route %q: mod_jk aborts the configuration; list it once", t.Text, t.Text)
			continue
		}
		names[t.Text] = true
		mw := b.build(t, w.Name)
		switch mw.Type {
		case TypeAJP13, TypeAJP14, TypeHTTP:
		case TypeLB, TypeStatus:
			b.c.Errorf(t.Pos, w.Name, "balance_workers", "member %s is of type %s; lb members must be ajp13, ajp14 or http workers", t.Text, mw.Type)
			continue
		default:
			continue // its type error is already reported
		}
		if other, dup := routes[mw.Member.Route]; dup {
			mr := attrReader{m: b.m, name: t.Text, c: b.c}
			b.c.Errorf(mr.pos("route", mr.pos("jvm_route", t.Pos)), w.Name, "route",
				"members %s and %s share the same route %q: mod_jk aborts the configuration; give each member the route (jvmRoute) of its own backend", other, t.Text, mw.Member.Route)
			continue
		}
		routes[mw.Member.Route] = t.Text
	}
}

// warnUnused reports definitions that are neither instantiated nor used
// as a reference template: usually a name misspelt in worker.list or
// balance_workers.
func (b *workerBuilder) warnUnused() {
	templates := make(map[string]bool)
	for _, p := range b.m.Entries {
		if strings.HasSuffix(p.Key, ".reference") && strings.HasPrefix(p.Value, "worker.") {
			templates[p.Value[len("worker."):]] = true
		}
		if strings.HasSuffix(p.Key, ".discover_template") {
			templates[p.Value] = true
		}
	}
	var unused []string
	for name := range b.defined {
		if b.workers[name] == nil && !templates[name] {
			unused = append(unused, name)
		}
	}
	sort.Slice(unused, func(i, j int) bool {
		pi, pj := b.defined[unused[i]], b.defined[unused[j]]
		if pi != pj {
			return posLess(pi, pj)
		}
		return unused[i] < unused[j]
	})
	for _, name := range unused {
		b.c.Warnf(b.defined[name], name, "", "worker %s is defined but neither listed in worker.list nor a member of a listed lb; its settings are ignored", name)
	}
}

func posLess(a, b Pos) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	return a.Line < b.Line
}
