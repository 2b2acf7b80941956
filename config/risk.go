package config

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

// RiskWarnings reports settings that mod_jk accepts but that hurt in
// production. They are warnings, never errors. Warnings Load already
// reported (c.Warnings) are not repeated.
func (c *Config) RiskWarnings() Problems { return c.Risks(nil) }

// SendBound is how often a worker may receive one POST that failed after
// reaching it, before anything reached the client: worker.POSTSendLimit,
// which `jkbalancer check` passes in (config cannot import worker, and the
// number must come from the policy the member applies, not a copy).
type SendBound func(a *Member) int

// Risks is RiskWarnings with the POST replay warning quoting sends' number
// (nil: the warning names retries only).
func (c *Config) Risks(sends SendBound) Problems {
	col := riskCollector{sends: sends}
	seen := make(map[string]bool)
	for _, name := range c.List {
		w := c.Workers[name]
		switch {
		case w == nil:
		case w.LB != nil:
			c.lbRisks(w, &col)
			c.discoverRisks(w, seen, &col) // config/discover.go
			for _, m := range w.LB.BalanceWorkers {
				if mw := c.Workers[m]; mw != nil && mw.Member != nil && !seen[m] {
					seen[m] = true
					c.ajpRisks(mw, true, &col)
				}
			}
		case w.Member != nil && !seen[name]:
			seen[name] = true
			c.ajpRisks(w, false, &col)
		}
	}
	if c.Mounts != nil {
		col.Problems = append(col.Problems, c.CheckMounts(c.Mounts.Rules)...)
		c.statusRisks(&col)
	}
	known := make(map[Problem]bool, len(c.Warnings))
	for _, p := range c.Warnings {
		known[p] = true
	}
	var out Problems
	for _, p := range col.Problems {
		if !known[p] {
			out = append(out, p)
		}
	}
	sortProblems(out)
	return out
}

// riskCollector gathers the risk warnings; sends is Risks' argument, for
// the POST replay warning.
type riskCollector struct {
	diag.Collector
	sends SendBound
}

// propPos is the line that set worker.<worker>.<attr>, or the worker's
// own line when the attribute is not set.
func (c *Config) propPos(w *Worker, attr string) (Pos, bool) {
	key := "worker." + w.Name + "." + attr
	for _, p := range c.Properties {
		if p.Key == key {
			return p.Pos, true
		}
	}
	return w.Pos, false
}

func (c *Config) lbRisks(w *Worker, col *riskCollector) {
	l := w.LB
	n := len(l.BalanceWorkers)
	if l.LBRetries < n {
		pos, _ := c.propPos(w, "lb_retries")
		reach := l.LBRetries * l.Retries
		if reach < n {
			col.Warnf(pos, w.Name, "lb_retries", "lb_retries=%d with %d members: each round tries at most %d of them and retries=%d rounds reach at most %d of the %d, so failover to a standby member may never happen; set lb_retries=%d",
				l.LBRetries, n, l.LBRetries, l.Retries, reach, n, n)
		} else {
			col.Warnf(pos, w.Name, "lb_retries", "lb_retries=%d with %d members: each round tries at most %d of them, so every member is tried only across retries=%d rounds with retry_interval=%dms sleeps; set lb_retries=%d",
				l.LBRetries, n, l.LBRetries, l.Retries, l.RetryInterval, n)
		}
	}
	if !l.StickySession {
		return
	}
	anyRoute := false
	for _, m := range l.BalanceWorkers {
		mw := c.Workers[m]
		if mw == nil || mw.Member == nil {
			continue
		}
		if c.hasRoute(mw) {
			anyRoute = true
			continue
		}
		pos := mw.Pos
		col.Warnf(pos, m, "route", "member of sticky lb %s without route or jvm_route: its route is its name %q, which must equal the jvmRoute of its Tomcat or sessions will not stick; set worker.%s.route", w.Name, m, m)
	}
	if l.StickySessionForce && !anyRoute && l.Discover == nil { // discovered members have routes
		pos, _ := c.propPos(w, "sticky_session_force")
		col.Warnf(pos, w.Name, "sticky_session_force", "sticky_session_force is on but no member sets route: unless every Tomcat's jvmRoute equals its worker name, every request carrying a session gets 503")
	}
}

func (c *Config) hasRoute(w *Worker) bool {
	_, r := c.propPos(w, "route")
	_, j := c.propPos(w, "jvm_route")
	return r || j
}

func (c *Config) ajpRisks(w *Worker, member bool, col *riskCollector) {
	a := w.Member
	if a.RecoveryOptions&RecoveryNoAfterRequest == 0 && (member || a.Retries > 1) {
		pos, _ := c.propPos(w, "recovery_options")
		col.Warnf(pos, w.Name, "recovery_options", "recovery_options=%d lacks bit 1: %s when no answer comes, so an order can be processed twice; set recovery_options=1 (or 3)",
			a.RecoveryOptions, replayText(w.Name, a, member, col.sends))
	}
	if a.HTTP != nil {
		c.httpRisks(w, col)
	} else if a.ConnectionPoolTimeout == 0 && (a.ConnectionPingInterval <= 0 || a.PingTimeout <= 0) {
		pos, _ := c.propPos(w, "connection_pool_timeout")
		found := "so connections Tomcat or a firewall dropped are found by failing requests"
		if a.IdlePingAfter > 0 {
			// The idle CPing default (docs/config.md#safe-defaults) keeps requests off them.
			found = "so connections Tomcat or a firewall dropped stay open until a request's CPing finds them"
		}
		col.Warnf(pos, w.Name, "connection_pool_timeout", "connection_pool_timeout=0 and ping_mode without I: idle backend connections are never closed or probed while idle, %s; set connection_pool_timeout to Tomcat's connectionTimeout (in seconds) or add I to ping_mode", found)
	}
	if a.ConnectionPoolSize <= 0 {
		pos, _ := c.propPos(w, "connection_pool_size")
		col.Warnf(pos, w.Name, "connection_pool_size", "connection_pool_size=%d: no request can get a connection, every request to this worker fails", a.ConnectionPoolSize)
	}
	if a.ConnectionAcquireTimeout <= 0 {
		pos, set := c.propPos(w, "connection_acquire_timeout")
		if !set { // derived from retries*retry_interval: point at the 0
			pos, _ = c.propPos(w, "retry_interval")
		}
		col.Warnf(pos, w.Name, "connection_acquire_timeout", "connection_acquire_timeout=%d: mod_jk then makes no attempt to get a connection and every request fails; jkbalancer takes a free connection if there is one but never waits, so bursts fail over or get 503; leave it unset (retries*retry_interval) or set it >0", a.ConnectionAcquireTimeout)
	}
}

// statusRisks warns about status workers that anyone can use to change
// member state.
func (c *Config) statusRisks(col *riskCollector) {
	for i := range c.Mounts.Rules {
		r := &c.Mounts.Rules[i]
		w := c.Workers[r.Worker]
		if r.Disabled || r.Exclude || w == nil || w.Status == nil {
			continue
		}
		if len(w.Status.User) == 0 && w.Status.UserFile == "" && !w.Status.ReadOnly && !restricted(w.Status.Allow) {
			col.Warnf(r.Pos, r.Worker, "user", "status worker mounted at %s without user and with read_only off: anyone who can reach it can stop members and change the lb settings; set worker.%s.read_only=true, worker.%s.allow=ADDRESSES or worker.%s.user=..., or restrict access to %s",
				r.Pattern, r.Worker, r.Worker, r.Worker, strings.TrimSuffix(r.Pattern, "*"))
		}
	}
}

// restricted reports whether an allow list keeps some clients out (none
// of its blocks is 0.0.0.0/0 or ::/0).
func restricted(allow []netip.Prefix) bool {
	for _, p := range allow {
		if p.Bits() == 0 {
			return false
		}
	}
	return allow != nil
}

// replayText says where a request that already reached worker name is
// sent again; with sends, how often, as the member bounds it.
func replayText(name string, a *Member, member bool, sends SendBound) string {
	if sends == nil {
		if member {
			return "a request (a POST too) that already reached this backend is sent to another member"
		}
		return "a request (a POST too) that already reached this backend is sent again on this worker (retries=" + strconv.Itoa(a.Retries) + ")"
	}
	times := "once"
	if n := sends(a); n > 1 {
		times = "up to " + strconv.Itoa(n) + " times"
	}
	text := "a POST that fails after reaching worker " + name + " may be sent to it " + times + " (retries=" + strconv.Itoa(a.Retries) + ")"
	if member {
		text += " and then to another member"
	}
	return text
}
