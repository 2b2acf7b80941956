package status

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
)

// The update command (jk_status.c update_worker, commit_worker,
// commit_member, commit_all_members). A parameter that is absent, out of
// range or unchanged is ignored silently; a string longer than 60 bytes
// or a host that does not resolve is an error, but the other parameters
// of the same request still apply, as in mod_jk.

// checkWorker is check_worker: w must name a known worker; sw, when given,
// a member of that lb (wildcards * and ? only for update).
func (rq *request) checkWorker(wildcards bool) bool {
	w, _ := rq.p.get(argWorker)
	sw, hasSW := rq.p.get(argSubWorker)
	switch {
	case w == "":
		rq.msg = msgNoWorker
		return false
	case hasSW && sw == "":
		rq.msg = msgEmptySub
		return false
	}
	wk := rq.h.byName[w]
	if wk == nil {
		rq.msg = msgUnknownWorker
		return false
	}
	if sw == "" {
		return true
	}
	if isWild(sw) && !wildcards {
		rq.msg = msgWildcard
		return false
	}
	if len(rq.members(wk, sw)) == 0 {
		return false // msg set by members
	}
	return true
}

func isWild(s string) bool { return strings.ContainsAny(s, "*?") }

// members returns the members of lb w that sw names (a wildcard may name
// several), in configuration order, setting msg when there is none.
func (rq *request) members(w *Worker, sw string) []string {
	if w.LB == nil {
		rq.msg = msgNoSubWorkers
		return nil
	}
	var out []string
	for _, m := range w.LB.Snapshot().Members {
		if m.Name == sw || isWild(sw) && wildMatch(sw, m.Name) {
			out = append(out, m.Name)
		}
	}
	if len(out) == 0 {
		rq.msg = msgUnknownSub
	}
	return out
}

// wildMatch is jk_wildchar_match, case-sensitive: '*' any run, '?' one
// byte. It backtracks only to the last '*', so it is linear-ish.
func wildMatch(pattern, s string) bool {
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p, mark = star+1, mark+1
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// update is update_worker. It reports success; on failure msg says why.
func (rq *request) update() bool {
	w, sw := rq.target()
	switch {
	case w.LB != nil && sw == "":
		if att, ok := rq.p.get(argAttribute); ok {
			return rq.commitAll(w, att)
		}
		rq.commitLB(w)
		return true
	case w.LB != nil:
		wild := isWild(sw)
		for _, name := range rq.members(w, sw) {
			if rq.commitMember(w, name, "") {
				continue
			}
			if rq.msg == "" || rq.msg == "OK" {
				rq.msg = fmt.Sprintf("Update failed (at least partially) for sub worker '%s'", name)
			}
			if wild {
				rq.msg += " Aborting further wildcard updates."
			}
			return false
		}
		rq.msg = "OK"
		return true
	case w.Member != nil:
		if !rq.commitAJP(w.Name, "", "") {
			if rq.msg == "" || rq.msg == "OK" {
				rq.msg = fmt.Sprintf("Update failed (at least partially) for worker '%s'", w.Name)
			}
			return false
		}
		return true
	}
	return false
}

// commitLB is commit_worker: the lb settings.
func (rq *request) commitLB(w *Worker) {
	cur := liveLB(w.LB)
	for i := range attrs {
		a := &attrs[i]
		if a.Scope != scopeLB {
			continue
		}
		raw, given := rq.p.get(a.Param)
		if !given {
			continue
		}
		val, changed, _ := a.Read(raw, a.Format(cur))
		if !changed {
			continue
		}
		if err := apply(a, w.LB, "", nil, val); err != nil {
			rq.h.log.Warn("status worker update refused", "lb", w.Name, "attribute", a.Name, "err", err)
			continue
		}
		rq.changed(scopeLB, w.Name, "", a, a.Format(cur), val)
	}
}

// commitMember is commit_member for one member: its lb attributes, then
// its AJP attributes. A param prefix other than "" reads the value of
// every attribute from that one parameter (the att/valN form).
func (rq *request) commitMember(w *Worker, name, only string) bool {
	ok := true
	cur := liveMember(w.LB, name)
	for i := range attrs {
		a := &attrs[i]
		if a.Scope != scopeMember || only != "" && a.Param != only {
			continue
		}
		raw, given := rq.value(a, only)
		if !given {
			continue
		}
		val, changed, tooLong := a.Read(raw, a.Format(cur))
		if tooLong {
			rq.msg = tooLongMsg(a, raw, name)
			ok = false
			continue
		}
		if !changed {
			continue
		}
		if err := apply(a, w.LB, name, nil, val); err != nil {
			rq.msg = fmt.Sprintf("Update failed (at least partially): %s for sub worker '%s'", editErr(err), name)
			ok = false
			continue
		}
		rq.changed(scopeMember, w.Name, name, a, a.Format(cur), val)
	}
	if only != "" && attrByParam(only).Scope != scopeAJP {
		return ok
	}
	return rq.commitAJP(name, w.Name, only) && ok
}

// value reads an attribute's update value: its own parameter, or, in the
// att form, the parameter named only (val0, val1, ...).
func (rq *request) value(a *attr, only string) (string, bool) {
	if only != "" {
		return rq.p.get(rq.valParam)
	}
	return rq.p.get(a.Param)
}

func tooLongMsg(a *attr, raw, name string) string {
	return fmt.Sprintf("Update failed (at least partially): new %s '%s' too long for sub worker '%s', see log file for details.",
		a.What, raw, name)
}

func editErr(err error) string {
	switch {
	case errors.Is(err, balancer.ErrDuplicate):
		return "the route is used by another member"
	case errors.Is(err, balancer.ErrRange):
		return "value out of range"
	}
	return err.Error()
}

// commitAJP commits the AJP attributes of worker name (an lb member when
// lb is set) to every instance of it. Host and port are collected and
// applied last, together: the new address is resolved once, and an empty
// host keeps the current one.
func (rq *request) commitAJP(name, lb, only string) bool {
	ms := rq.h.instances[name]
	if len(ms) == 0 {
		return true
	}
	ok := true
	cur := ms[0].Config()
	to, move := *cur, false
	for i := range attrs {
		a := &attrs[i]
		if a.Scope != scopeAJP || only != "" && a.Param != only {
			continue
		}
		raw, given := rq.value(a, only)
		if !given {
			continue
		}
		val, changed, tooLong := a.Read(raw, a.Format(cur))
		switch {
		case tooLong:
			rq.msg = tooLongMsg(a, raw, name)
			ok = false
		case !changed:
		case a.Address:
			a.Assign(&to, val)
			move = true
		default:
			rq.setAJP(name, lb, a, cur, val)
		}
	}
	if move {
		if to.Host == "" {
			to.Host = cur.Host
		}
		ok = rq.setAddress(name, lb, cur, &to) && ok
	}
	return ok
}

func (rq *request) setAJP(name, lb string, a *attr, cur *config.Member, val string) {
	if err := apply(a, nil, "", rq.h.instances[name], val); err != nil {
		rq.h.log.Warn("status worker update refused", "worker", name, "attribute", a.Name, "err", err)
		return
	}
	rq.changed(scopeAJP, lb, name, a, a.Format(cur), val)
}

// setAddress resolves the host and port of to first and changes nothing
// when that fails (commit_member's jk_resolve).
func (rq *request) setAddress(name, lb string, cur, to *config.Member) bool {
	resolve := rq.h.spec.Resolve
	if resolve == nil {
		resolve = systemResolve
	}
	ip, err := resolve(to.Host, cur.PreferIPv6)
	if err != nil {
		rq.msg = fmt.Sprintf("Update failed (at least partially): could not resolve address '%s:%d' for sub worker '%s'.",
			to.Host, to.Port, name)
		rq.h.log.Error("status worker could not resolve a new address", "worker", name, "host", to.Host, "err", err)
		return false
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(to.Port))
	for _, m := range rq.h.instances[name] {
		if err := m.SetAddress(to.Host, to.Port, addr); err != nil {
			rq.msg = fmt.Sprintf("Update failed (at least partially): %v", err)
			return false
		}
	}
	for i := range attrs {
		if a := &attrs[i]; a.Address && a.Format(cur) != a.Format(to) {
			rq.changed(scopeAJP, lb, name, a, a.Format(cur), a.Format(to))
		}
	}
	return true
}

// commitAll is commit_all_members: one attribute (att) for every member,
// member i's value in val<i>. An unknown attribute changes nothing.
func (rq *request) commitAll(w *Worker, att string) bool {
	if a := attrByParam(att); a == nil || !a.Multi() {
		rq.h.log.Warn("status worker: unknown attribute for all members", "att", att)
		return true
	}
	ok := true
	for i, m := range w.LB.Snapshot().Members {
		rq.valParam = argValue + strconv.Itoa(i)
		ok = rq.commitMember(w, m.Name, att) && ok
	}
	return ok
}

// changed logs a successful edit and records it in the state file.
func (rq *request) changed(s scope, lb, member string, a *attr, from, to string) {
	rq.h.log.Info("status worker changed an attribute", "lb", lb, "worker", member,
		"attribute", a.Name, "from", from, "to", to, "user", rq.user)
	if err := rq.h.spec.Store.recordEdit(s, lb, member, a, to); err != nil {
		rq.h.log.Error("status worker could not record the change; it is applied but will not survive a restart",
			"err", err)
	}
}

func systemResolve(host string, preferIPv6 bool) (string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), nil
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return "", err
	}
	for _, want4 := range []bool{!preferIPv6, preferIPv6} {
		for _, ip := range ips {
			if (ip.To4() != nil) == want4 {
				return ip.String(), nil
			}
		}
	}
	return "", fmt.Errorf("no address for %q", host)
}
