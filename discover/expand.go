package discover

import "github.com/jkbalancer/jkbalancer/config"

// How the members found become workers of the configuration: the
// configuration as loaded plus, for each lb that discovers, one member
// worker per answer (after the fixed balance_workers), or a placeholder
// while there is none.

// memberName is the worker name of a discovered member of lb.
func memberName(lb, route string) string { return lb + "/" + route }

// pendingRoute names the placeholder of an lb that has no member yet:
// the lb worker needs at least one (balancer.New), and a Stopped member
// without an address is what mod_jk makes of a member whose host does
// not resolve, so requests get 503 and /readyz says the lb cannot serve
// until DNS answers.
const pendingRoute = "awaiting-dns"

// expandConfig returns base with the members found added to each lb that
// discovers its members (base itself when none does). found is keyed by
// lb name; an entry whose source is not the lb's current discover
// setting is not used.
func expandConfig(base *config.Config, sets map[string]discoveredSet) *config.Config {
	cfg := *base
	cfg.Workers = nil
	for name, w := range base.Workers {
		d := discoverOf(w)
		if d == nil {
			continue
		}
		if cfg.Workers == nil {
			cfg.Workers = make(map[string]*config.Worker, len(base.Workers)+8)
			for n, w := range base.Workers {
				cfg.Workers[n] = w
			}
		}
		var members []found
		if s, ok := sets[name]; ok && s.source == d.String() {
			members = s.members
		}
		addMembers(&cfg, w, d, members)
	}
	if cfg.Workers == nil {
		return base
	}
	return &cfg
}

// discoverOf returns an lb worker's discover setting (nil: none).
func discoverOf(w *config.Worker) *config.Discover {
	if w == nil || w.LB == nil {
		return nil
	}
	return w.LB.Discover
}

// addMembers adds the members of one lb to cfg, after its fixed
// balance_workers. A found member whose route or worker name a fixed
// member already has is left out.
func addMembers(cfg *config.Config, w *config.Worker, d *config.Discover, members []found) {
	lb := *w.LB
	lb.BalanceWorkers = append([]string(nil), w.LB.BalanceWorkers...)
	routes := make(map[string]bool, len(lb.BalanceWorkers))
	for _, m := range lb.BalanceWorkers {
		if mw := cfg.Workers[m]; mw != nil && mw.Member != nil {
			routes[mw.Member.Route] = true
		}
	}
	for _, f := range members {
		name := memberName(w.Name, f.route)
		if routes[f.route] || cfg.Workers[name] != nil {
			continue
		}
		routes[f.route] = true
		cfg.Workers[name] = discoveredWorker(name, d, f)
		lb.BalanceWorkers = append(lb.BalanceWorkers, name)
	}
	if len(lb.BalanceWorkers) == 0 {
		name := memberName(w.Name, pendingRoute)
		cfg.Workers[name] = discoveredWorker(name, d, found{route: pendingRoute})
		lb.BalanceWorkers = append(lb.BalanceWorkers, name)
	}
	nw := *w
	nw.LB = &lb
	cfg.Workers[w.Name] = &nw
}

// discoveredWorker is the worker of one found member: the template's
// attributes with the address and route DNS gave (port 0, Stopped, for
// the placeholder).
func discoveredWorker(name string, d *config.Discover, f found) *config.Worker {
	a := *d.Member
	a.Host, a.Port, a.Route = f.ip, f.port, f.route
	if f.ip == "" {
		a.Host, a.Activation = "0.0.0.0", config.Stopped
	}
	if a.HTTP != nil && a.HTTP.TLSServerName == "" && f.host != "" {
		// An https member is verified against the name DNS gave, not
		// against its address.
		h := *a.HTTP
		h.TLSServerName = f.host
		a.HTTP = &h
	}
	return &config.Worker{Name: name, Type: d.Type, Pos: d.Pos, Member: &a}
}
