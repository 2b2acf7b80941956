package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/doctor"
	"github.com/jkbalancer/jkbalancer/health"
	"github.com/jkbalancer/jkbalancer/registry"
	"github.com/jkbalancer/jkbalancer/status"
	"github.com/jkbalancer/jkbalancer/worker"
)

// handler is what a mount rule leads to: an lb, a plain ajp13 or http
// worker, or the status worker.
type handler interface {
	Serve(w http.ResponseWriter, req *worker.Request) error
}

// target is one addressable worker (named in worker.list).
type target struct {
	name    string
	typ     string
	h       handler
	keepMax int // request body bytes kept for a failover
}

// runtime is one generation of the compiled configuration turned into
// live objects. A reload builds a new one and swaps it in.
type runtime struct {
	cfg *config.Config
	// mounts is cfg.Mounts until the mount file is re-read
	// (mountreload.go).
	mounts   atomic.Pointer[config.MountTable]
	targets  map[string]*target
	lbs      []*balancer.LB
	lbByName map[string]*balancer.LB
	members  []*worker.Member // every instance, for maintenance and Close
	// instances are the members by lb and name, with what they were
	// built from: a reload keeps those whose configuration is the same
	// (reloadmember.go).
	instances map[instanceKey]*instance
	// reg holds what survives a reload: lb states, counters, status
	// edits (package registry). counters are this generation's, by
	// worker name, from reg.
	reg      *registry.Registry
	counters map[string]*worker.Counters
	health   *health.Checker
	groups   []health.Group
	// store keeps status-worker edits (status.go), from reg.
	store  *status.Store
	doctor *doctor.Doctor // the session-route doctor (doctor.go)

	// Requests in flight on this generation (reloadretire.go): a reload
	// closes what the next one does not keep only when they are done.
	inflight atomic.Int64
	retiring atomic.Bool
	idle     chan struct{} // signalled when inflight drops to 0 while retiring
	// draining is set when a SIGTERM drain starts; drained then counts
	// the requests that finish, for the drain's log line.
	draining atomic.Bool
	drained  atomic.Int64
	// before is closed once the runtime this one replaced is retired
	// (nil: it replaced none).
	before <-chan struct{}
	// mountSeen is the mount file's mtime when last read (guarded by
	// Server.reloadMu once published).
	mountSeen time.Time
}

// buildDeps are the shared things a runtime needs.
type buildDeps struct {
	log     *slog.Logger
	now     func() time.Time
	resolve func(host string, preferIPv6 bool) (string, error)
	reg     *registry.Registry // the server's, for every build
	// previous is the runtime a reload replaces: its member instances
	// may be kept (reloadmember.go). It carries no state.
	previous *runtime
}

func buildRuntime(cfg *config.Config, d buildDeps) (*runtime, error) {
	rt := &runtime{
		cfg:       cfg,
		targets:   make(map[string]*target),
		lbByName:  make(map[string]*balancer.LB),
		instances: make(map[instanceKey]*instance),
		reg:       d.reg,
		counters:  make(map[string]*worker.Counters),
		idle:      make(chan struct{}, 1),
	}
	rt.mounts.Store(cfg.Mounts)
	rt.doctor = d.reg.Doctor()
	if err := rt.openStore(); err != nil {
		return nil, err
	}
	for _, name := range cfg.List {
		w := cfg.Workers[name]
		if w == nil {
			return nil, fmt.Errorf("worker %q is listed but not defined", name)
		}
		t, err := rt.buildTarget(w, d)
		if err != nil {
			rt.closeMembers(d.previous)
			return nil, err
		}
		rt.targets[name] = t
	}
	if err := rt.buildStatusWorkers(d); err != nil {
		rt.closeMembers(d.previous)
		return nil, err
	}
	// Started by rt.start (reload.go) once the runtime is put to use.
	rt.health = health.New(health.Spec{Groups: rt.groups, Now: d.now, Logger: d.log})
	return rt, nil
}

func (rt *runtime) buildTarget(w *config.Worker, d buildDeps) (*target, error) {
	t := &target{name: w.Name, typ: w.Type}
	switch w.Type {
	case config.TypeAJP13, config.TypeAJP14, config.TypeHTTP:
		m, stopped := rt.newMember(instanceKey{name: w.Name}, w.Member, "", d)
		if stopped {
			d.log.Warn("worker has no usable address; requests to it will fail", "worker", w.Name)
		}
		t.h = directWorker{m}
		t.keepMax = w.Member.MaxPacketSize - 6
	case config.TypeLB:
		lb, keep, err := rt.newLB(w, d)
		if err != nil {
			return nil, err
		}
		t.h, t.keepMax = lb, keep
	case config.TypeStatus:
		// Built by buildStatusWorkers once every other worker exists.
	default:
		return nil, fmt.Errorf("worker %q: type %q is not supported", w.Name, w.Type)
	}
	return t, nil
}

func (rt *runtime) newLB(w *config.Worker, d buildDeps) (*balancer.LB, int, error) {
	spec := balancer.Spec{
		Name:     w.Name,
		LB:       rt.store.LB(w.Name, w.LB), // with the status edits
		Shared:   rt.reg.LB(w.Name),         // the lb's state across reloads
		Maintain: rt.cfg.MaintainInterval(),
		Now:      d.now,
		Logger:   d.log,
		// Members in ERR come back only after an out-of-band probe.
		Probed: true,
		Doctor: rt.doctor,
	}
	keep := 0
	var stopped []string
	probers := make(map[string]health.Prober, len(w.LB.BalanceWorkers))
	for _, name := range w.LB.BalanceWorkers {
		mw := rt.cfg.Workers[name]
		if mw == nil || mw.Member == nil {
			return nil, 0, fmt.Errorf("lb %q: member %q is not an ajp13 or http worker", w.Name, name)
		}
		m, noAddr := rt.newMember(instanceKey{lb: w.Name, name: name}, mw.Member, w.LB.Secret, d)
		if noAddr {
			stopped = append(stopped, name)
		}
		a := rt.store.Member(w.Name, name, mw.Member) // with the status edits
		if noAddr && a.Activation != config.Stopped {
			cp := *a
			cp.Activation = config.Stopped // whatever was edited
			a = &cp
		}
		spec.Members = append(spec.Members, balancer.MemberSpec{Name: name, Attrs: a, Member: m})
		probers[name] = m
		keep = max(keep, mw.Member.MaxPacketSize-6)
	}
	lb, err := balancer.New(spec)
	if err != nil {
		return nil, 0, fmt.Errorf("lb %q: %w", w.Name, err)
	}
	for _, name := range stopped {
		// mod_jk: a member whose host does not resolve (or has port 0) is
		// set to activation Stopped at startup (done above).
		d.log.Error("member has no usable address, setting it to Stopped", "lb", w.Name, "member", name)
	}
	rt.lbs = append(rt.lbs, lb)
	rt.lbByName[w.Name] = lb
	rt.groups = append(rt.groups, health.Group{Name: w.Name, Target: lb, Members: probers})
	return lb, keep, nil
}

// newMember makes one member instance, or keeps the previous
// generation's when its configuration is the same (reloadmember.go).
// mod_jk resolves the host once, at startup (and again on a reload); a
// name that does not resolve, or port 0, leaves the worker without an
// address (noAddr).
func (rt *runtime) newMember(key instanceKey, compiled *config.Member, lbSecret string, d buildDeps) (*worker.Member, bool) {
	name := key.name
	a := rt.store.Attrs(name, compiled) // with the status edits
	c := rt.reg.Counters(name)
	rt.counters[name] = c
	addr, noAddr := resolveMember(name, a, d)
	in := &instance{sig: rt.signature(a, addr, lbSecret), noAddr: noAddr}
	if old := d.previous.instance(key); old != nil && old.sig.equal(&in.sig) {
		in.m = old.m // the pool and its warm connections stay
	} else {
		in.m = worker.NewMember(worker.Spec{
			Name: name, Attrs: a, Addr: addr, Counters: c,
			Metrics: rt.reg.Metrics(registry.Instance{LB: key.lb, Name: key.name}), // counting on
			Options: worker.Options{
				FlushPackets: rt.cfg.Server.Options.FlushPackets,
				FlushHeader:  rt.cfg.Server.Options.FlushHeader,
				DisableReuse: rt.cfg.Server.Options.DisableReuse,
				Secret:       lbSecret,
				Logger:       d.log,
				Now:          d.now,
			},
		})
	}
	rt.instances[key] = in
	rt.members = append(rt.members, in.m)
	return in.m, in.noAddr
}

// resolveMember returns the address to dial, "0.0.0.0:0" with noAddr set
// when there is none.
func resolveMember(name string, a *config.Member, d buildDeps) (addr string, noAddr bool) {
	if a.Port == 0 {
		return "0.0.0.0:0", true
	}
	ip, err := d.resolve(a.Host, a.PreferIPv6)
	if err != nil {
		d.log.Error("cannot resolve worker host", "worker", name, "host", a.Host, "err", err)
		return "0.0.0.0:0", true
	}
	return net.JoinHostPort(ip, strconv.Itoa(a.Port)), false
}

// maintain runs mod_jk's maintenance: the lbs' global part (decay,
// recovery, escalation) and every instance's pool (idle close, CPing).
func (rt *runtime) maintain(now time.Time) {
	for _, lb := range rt.lbs {
		lb.Maintain(now)
	}
	for _, m := range rt.members {
		m.Maintain()
	}
}

// sample records every instance's numbers in its history, for the status
// page's sparklines (docs/metrics.md#sparklines).
func (rt *runtime) sample(now time.Time) {
	for _, m := range rt.members {
		m.Metrics().Sample(now)
	}
}

func (rt *runtime) close() { rt.closeMembers(nil) }

// closeMembers stops the health checker and closes every member the
// runtime keep does not hold too (nil: every member).
func (rt *runtime) closeMembers(keep *runtime) {
	if rt.health != nil {
		rt.health.Close()
	}
	for _, m := range rt.members {
		if !keep.holds(m) {
			m.Close()
		}
	}
}

// names returns the listed worker names, sorted, for logs.
func (rt *runtime) names() []string {
	out := make([]string, 0, len(rt.targets))
	for n := range rt.targets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// directWorker is an ajp13 or http worker used without an lb.
type directWorker struct{ m *worker.Member }

func (d directWorker) Serve(w http.ResponseWriter, req *worker.Request) error {
	req.Note.Member = d.m.Name()
	req.Note.Attempts = 1
	return d.m.Serve(w, req)
}

// resolveHost resolves a worker host once, preferring IPv4 unless
// prefer_ipv6 is set (mod_jk jk_resolve).
func resolveHost(host string, preferIPv6 bool) (string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return "", err
	}
	for _, want4 := range []bool{!preferIPv6, preferIPv6} {
		for _, ip := range ips {
			if (ip.IP.To4() != nil) == want4 {
				return ip.IP.String(), nil
			}
		}
	}
	return "", fmt.Errorf("no address for %q", host)
}
