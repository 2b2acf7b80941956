package server

import (
	"context"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// The Server's side of member discovery: what New and Reload build from,
// and the loop that asks DNS again.

// prepare resolves the lbs of cfg that have no answer for their current
// setting yet (all of them at start; those a reload adds or points at
// another name), then returns cfg with the members found. It runs with
// Server.reloadMu held (or before the Server is shared): a start or a
// SIGHUP waits for DNS, at most lookupTimeout, so an lb does not start
// without members that DNS would give.
func (dc *discovery) prepare(ctx context.Context, cfg *config.Config) *config.Config {
	var fresh []string
	for _, name := range discoverLBs(cfg) {
		if s, ok := dc.sets[name]; !ok || s.source != discoverOf(cfg.Workers[name]).String() {
			fresh = append(fresh, name)
		}
	}
	now := time.Now()
	for _, a := range dc.lookup(ctx, cfg, fresh) {
		dc.record(a, now)
	}
	return expandConfig(cfg, dc.sets)
}

// adopt makes cfg (as loaded) the configuration discovery builds from,
// once a runtime built from it runs, and starts the loop when an lb
// needs it.
func (s *Server) adoptDiscovery(cfg *config.Config) {
	dc := s.disc
	dc.base = cfg
	for name := range dc.sets {
		if discoverOf(cfg.Workers[name]) == nil {
			delete(dc.sets, name) // the lb no longer discovers
		}
	}
	dc.counts()
	if len(discoverLBs(cfg)) == 0 {
		return
	}
	dc.mu.Lock()
	start := !dc.started && !dc.stopped
	dc.started = true
	dc.mu.Unlock()
	if start {
		go s.discoverLoop()
		return
	}
	select {
	case dc.wake <- struct{}{}: // intervals may have changed
	default:
	}
}

// reloadConfig is Reload under reloadMu: cfg as loaded, plus the members
// discovered (kept across the reload; an lb whose discover setting is
// new is asked first).
func (s *Server) reloadConfig(cfg *config.Config) error {
	if s.closed {
		return ErrClosed
	}
	saved := s.disc.snapshot()
	if err := s.reloadLocked(s.disc.prepare(s.base, cfg)); err != nil {
		s.disc.sets = saved // a refused reload leaves discovery as it was
		return err
	}
	s.adoptDiscovery(cfg)
	return nil
}

// discoverLoop asks DNS for each lb at its interval until Close.
func (s *Server) discoverLoop() {
	dc := s.disc
	defer close(dc.done)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.reloadMu.Lock()
		_, wait := dc.due(time.Now())
		s.reloadMu.Unlock()
		if wait < 0 {
			wait = time.Hour // no lb discovers now; a reload wakes the loop
		}
		t.Reset(wait)
		select {
		case <-dc.stop:
			return
		case <-dc.wake:
		case <-t.C:
			s.rediscover(false)
		}
	}
}

// rediscover asks DNS for the lbs that are due (all of them when all is
// set) and, when their members changed, reloads with the new members.
// The lookups hold no lock; recording and reloading hold reloadMu.
func (s *Server) rediscover(all bool) {
	dc := s.disc
	s.reloadMu.Lock()
	if s.closed || dc.base == nil {
		s.reloadMu.Unlock()
		return
	}
	base := dc.base
	lbs, _ := dc.due(time.Now())
	if all {
		lbs = discoverLBs(base)
	}
	s.reloadMu.Unlock()
	if len(lbs) == 0 {
		return
	}
	answers := dc.lookup(s.base, base, lbs)

	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if s.closed || dc.base != base {
		return // a reload came in between: its settings win, the loop asks again
	}
	saved := dc.snapshot()
	changed := false
	now := time.Now()
	for _, a := range answers {
		if dc.record(a, now) {
			changed = true
		}
	}
	if !changed {
		return
	}
	if err := s.reloadLocked(expandConfig(base, dc.sets)); err != nil {
		// Forget the answers, so the next lookup tries again.
		for k, v := range saved {
			v.next = dc.sets[k].next
			saved[k] = v
		}
		dc.sets = saved
		dc.applyFailed.Add(1)
		s.log.Error("member discovery: the new members could not be put to use; the current ones keep serving", "err", err)
		return
	}
	dc.changes.Add(1)
	dc.counts()
}

// snapshot copies the answers (under reloadMu), to put them back when
// the reload they lead to is refused.
func (dc *discovery) snapshot() map[string]discoveredSet {
	out := make(map[string]discoveredSet, len(dc.sets))
	for k, v := range dc.sets {
		out[k] = v
	}
	return out
}

// stopDiscovery ends the loop (Close).
func (s *Server) stopDiscovery() {
	dc := s.disc
	if dc == nil {
		return
	}
	dc.mu.Lock()
	run := dc.started && !dc.stopped
	dc.stopped = true
	dc.mu.Unlock()
	if run {
		close(dc.stop)
		<-dc.done
	}
}
