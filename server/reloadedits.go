package server

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
)

// Status worker edits of an lb across a reload. With a state file they
// come back from it (status.Store), like at a start. Without one they
// still survive a reload: an attribute whose running value differs from
// what the previous generation was built with was edited while it ran,
// and it is carried over unless the files changed that attribute since
// (then the files win, as with the state file). The carried values are
// folded into the spec the new lb is built from, the way the state
// file's are, so nothing is reset by applying them.

// lbBuild is what one lb was built from: its settings and each member's
// attributes, after the state file's edits (and a missing address's
// Stopped), before any carried edit.
type lbBuild struct {
	lb      *config.LB
	members map[string]*config.Member
}

// lbEdits folds the previous generation's edits of one lb into the new
// one's spec, and records what the new one is built from.
type lbEdits struct {
	name     string
	built    *lbBuild
	prev     *lbBuild          // nil: no previous lb of this name
	prevCfg  *config.Config    // the previous compiled configuration
	running  balancer.Snapshot // the previous lb, now
	compiled *config.Worker    // the new compiled lb worker
}

func (rt *runtime) lbEdits(prev *runtime, w *config.Worker) *lbEdits {
	e := &lbEdits{name: w.Name, built: &lbBuild{members: make(map[string]*config.Member)}, compiled: w}
	rt.builds[w.Name] = e.built
	if prev == nil || prev.builds[w.Name] == nil || prev.lbByName[w.Name] == nil {
		return e
	}
	if pw := prev.cfg.Workers[w.Name]; pw == nil || pw.LB == nil {
		return e
	}
	e.prev, e.prevCfg, e.running = prev.builds[w.Name], prev.cfg, prev.lbByName[w.Name].Snapshot()
	return e
}

// settings returns the lb settings to build with; base has the state
// file's edits.
func (e *lbEdits) settings(base *config.LB) *config.LB {
	e.built.lb = base
	if e.prev == nil {
		return base
	}
	run := &config.LB{StickySession: e.running.StickySession, StickySessionForce: e.running.StickySessionForce,
		Method: e.running.Method, Lock: e.running.Lock, Retries: e.running.Retries,
		RetryInterval: e.running.RetryInterval, RecoverTime: e.running.RecoverTime,
		ErrorEscalationTime: e.running.ErrorEscalationTime, MaxReplyTimeouts: e.running.MaxReplyTimeouts}
	out := *base
	changed := false
	for _, f := range lbFields {
		if carry(f(run), f(e.prev.lb), f(e.prevCfg.Workers[e.name].LB), f(e.compiled.LB), f(&out)) {
			changed = true
		}
	}
	if !changed {
		return base
	}
	return &out
}

// member returns the attributes to build member name with; base has the
// state file's edits, noAddr says the member has no address (Stopped).
func (e *lbEdits) member(name string, compiled, base *config.Member, noAddr bool) *config.Member {
	if noAddr && base.Activation != config.Stopped {
		cp := *base
		cp.Activation = config.Stopped
		base = &cp
	}
	e.built.members[name] = base
	pb, pc := e.prevMember(name)
	if pb == nil {
		return base
	}
	var run *config.Member
	for i := range e.running.Members {
		if m := &e.running.Members[i]; m.Name == name {
			run = &config.Member{Activation: m.Activation, LBFactor: m.LBFactor, Distance: m.Distance,
				Route: m.Route, Redirect: m.Redirect, Domain: m.Domain}
		}
	}
	if run == nil {
		return base
	}
	pb = normalized(name, pb)
	out := *base
	changed := false
	for _, f := range memberFields {
		if carry(f(run), f(pb), f(pc), f(compiled), f(&out)) {
			changed = true
		}
	}
	if !changed {
		return base
	}
	if noAddr {
		out.Activation = config.Stopped // whatever was edited
	}
	return &out
}

// prevMember returns what member name of the previous lb was built from
// and its previous compiled attributes (nil, nil when it is new).
func (e *lbEdits) prevMember(name string) (*config.Member, *config.Member) {
	if e.prev == nil || e.prev.members[name] == nil {
		return nil, nil
	}
	pw := e.prevCfg.Workers[name]
	if pw == nil || pw.Member == nil {
		return nil, nil
	}
	return e.prev.members[name], pw.Member
}

// carry copies the running value into dst when it was edited (it differs
// from what the previous lb was built with) and the files did not change
// the attribute. The arguments are pointers to the same field of each.
func carry(running, built, prevFile, newFile, dst any) bool {
	if eq(running, built) || !eq(prevFile, newFile) || eq(running, dst) {
		return false
	}
	set(dst, running)
	return true
}

// normalized applies the lb's defaults to built attributes, so they
// compare with running ones: the route defaults to the member name, the
// domain to the route up to its first '.' (mod_jk validate).
func normalized(name string, a *config.Member) *config.Member {
	cp := *a
	if cp.Route == "" {
		cp.Route = name
	}
	if cp.Domain == "" {
		if i := strings.IndexByte(cp.Route, '.'); i > 0 {
			cp.Domain = cp.Route[:i]
		}
	}
	return &cp
}

// The attributes the status worker edits, as field pointers.
var (
	memberFields = []func(a *config.Member) any{
		func(a *config.Member) any { return &a.Activation }, func(a *config.Member) any { return &a.LBFactor },
		func(a *config.Member) any { return &a.Distance }, func(a *config.Member) any { return &a.Route },
		func(a *config.Member) any { return &a.Redirect }, func(a *config.Member) any { return &a.Domain },
	}
	lbFields = []func(l *config.LB) any{
		func(l *config.LB) any { return &l.StickySession }, func(l *config.LB) any { return &l.StickySessionForce },
		func(l *config.LB) any { return &l.Method }, func(l *config.LB) any { return &l.Lock },
		func(l *config.LB) any { return &l.Retries }, func(l *config.LB) any { return &l.RetryInterval },
		func(l *config.LB) any { return &l.RecoverTime }, func(l *config.LB) any { return &l.ErrorEscalationTime },
		func(l *config.LB) any { return &l.MaxReplyTimeouts },
	}
)

func eq(a, b any) bool {
	switch a := a.(type) {
	case *bool:
		return *a == *b.(*bool)
	case *int:
		return *a == *b.(*int)
	case *string:
		return *a == *b.(*string)
	case *config.Activation:
		return *a == *b.(*config.Activation)
	case *config.Method:
		return *a == *b.(*config.Method)
	case *config.Lock:
		return *a == *b.(*config.Lock)
	}
	return false
}

func set(dst, src any) {
	switch d := dst.(type) {
	case *bool:
		*d = *src.(*bool)
	case *int:
		*d = *src.(*int)
	case *string:
		*d = *src.(*string)
	case *config.Activation:
		*d = *src.(*config.Activation)
	case *config.Method:
		*d = *src.(*config.Method)
	case *config.Lock:
		*d = *src.(*config.Lock)
	}
}
