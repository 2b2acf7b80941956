package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/health"
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
	cfg      *config.Config
	mounts   *config.MountTable
	targets  map[string]*target
	lbs      []*balancer.LB
	lbByName map[string]*balancer.LB
	members  []*worker.Member // every instance, for maintenance and Close
	counters map[string]*worker.Counters
	health   *health.Checker
	groups   []health.Group
	// store keeps status-worker edits across restarts (status.go);
	// statusKey signs the status pages' forms.
	store     *status.Store
	statusKey []byte
	doctor    *worker.Doctor // the session-route doctor (doctor.go)
}

// buildDeps are the shared things a runtime needs.
type buildDeps struct {
	log      *slog.Logger
	now      func() time.Time
	resolve  func(host string, preferIPv6 bool) (string, error)
	previous *runtime // carry lb and counter state across a reload
}

func buildRuntime(cfg *config.Config, d buildDeps) (*runtime, error) {
	rt := &runtime{
		cfg:      cfg,
		mounts:   cfg.Mounts,
		targets:  make(map[string]*target),
		lbByName: make(map[string]*balancer.LB),
		counters: make(map[string]*worker.Counters),
	}
	rt.doctor = doctorFor(d)
	if d.previous != nil {
		for name, c := range d.previous.counters {
			rt.counters[name] = c
		}
	}
	if err := rt.openStore(d); err != nil {
		return nil, err
	}
	for _, name := range cfg.List {
		w := cfg.Workers[name]
		if w == nil {
			return nil, fmt.Errorf("worker %q is listed but not defined", name)
		}
		t, err := rt.buildTarget(w, d)
		if err != nil {
			rt.close()
			return nil, err
		}
		rt.targets[name] = t
	}
	if err := rt.buildStatusWorkers(d); err != nil {
		rt.close()
		return nil, err
	}
	rt.health = health.New(health.Spec{Groups: rt.groups, Now: d.now, Logger: d.log})
	rt.health.Start()
	rt.adoptDoctor()
	return rt, nil
}

func (rt *runtime) buildTarget(w *config.Worker, d buildDeps) (*target, error) {
	t := &target{name: w.Name, typ: w.Type}
	switch w.Type {
	case config.TypeAJP13, config.TypeAJP14, config.TypeHTTP:
		m, stopped := rt.newMember(w.Name, w.AJP, "", d)
		if stopped {
			d.log.Warn("worker has no usable address; requests to it will fail", "worker", w.Name)
		}
		t.h = directWorker{m}
		t.keepMax = w.AJP.MaxPacketSize - 6
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
		LB:       rt.store.LB(w.Name, w.LB), // with saved status edits
		Maintain: rt.cfg.MaintainInterval(),
		Now:      d.now,
		Logger:   d.log,
		// Members in ERR come back only after an out-of-band probe.
		Probed: true,
		Doctor: rt.doctor,
	}
	if d.previous != nil {
		spec.Previous = d.previous.lbByName[w.Name]
	}
	keep := 0
	var stopped []string
	probers := make(map[string]health.Prober, len(w.LB.BalanceWorkers))
	for _, name := range w.LB.BalanceWorkers {
		mw := rt.cfg.Workers[name]
		if mw == nil || mw.AJP == nil {
			return nil, 0, fmt.Errorf("lb %q: member %q is not an ajp13 or http worker", w.Name, name)
		}
		m, noAddr := rt.newMember(name, mw.AJP, w.LB.Secret, d)
		if noAddr {
			stopped = append(stopped, name)
		}
		spec.Members = append(spec.Members, balancer.MemberSpec{Name: name, AJP: rt.store.Member(w.Name, name, mw.AJP), Member: m})
		probers[name] = m
		keep = max(keep, mw.AJP.MaxPacketSize-6)
	}
	lb, err := balancer.New(spec)
	if err != nil {
		return nil, 0, fmt.Errorf("lb %q: %w", w.Name, err)
	}
	for _, name := range stopped {
		// mod_jk: a member whose host does not resolve (or has port 0) is
		// set to activation Stopped at startup.
		d.log.Error("member has no usable address, setting it to Stopped", "lb", w.Name, "member", name)
		_ = lb.SetActivation(name, config.Stopped)
	}
	rt.lbs = append(rt.lbs, lb)
	rt.lbByName[w.Name] = lb
	rt.groups = append(rt.groups, health.Group{Name: w.Name, Target: lb, Members: probers})
	return lb, keep, nil
}

// newMember makes one member instance. mod_jk resolves the host once, at
// startup; a name that does not resolve, or port 0, leaves the worker
// without an address (noAddr).
func (rt *runtime) newMember(name string, a *config.AJP, lbSecret string, d buildDeps) (*worker.Member, bool) {
	a = rt.store.AJP(name, a) // with saved status edits
	c := rt.counters[name]
	if c == nil {
		c = new(worker.Counters)
		c.LastReset.Store(d.now().UnixNano())
		rt.counters[name] = c
	}
	addr, noAddr := "", a.Port == 0
	if !noAddr {
		ip, err := d.resolve(a.Host, a.PreferIPv6)
		if err != nil {
			d.log.Error("cannot resolve worker host", "worker", name, "host", a.Host, "err", err)
			noAddr = true
		} else {
			addr = net.JoinHostPort(ip, strconv.Itoa(a.Port))
		}
	}
	if noAddr {
		addr = "0.0.0.0:0"
	}
	m := worker.NewMember(worker.Spec{
		Name: name, AJP: a, Addr: addr, Counters: c,
		Options: worker.Options{
			FlushPackets: rt.cfg.Server.Options.FlushPackets,
			FlushHeader:  rt.cfg.Server.Options.FlushHeader,
			DisableReuse: rt.cfg.Server.Options.DisableReuse,
			Secret:       lbSecret,
			Logger:       d.log,
			Now:          d.now,
		},
	})
	rt.members = append(rt.members, m)
	return m, noAddr
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

func (rt *runtime) close() {
	if rt.health != nil {
		rt.health.Close()
	}
	for _, m := range rt.members {
		m.Close()
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
