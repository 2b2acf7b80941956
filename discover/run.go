package discover

import (
	"context"
	"sync"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// Owner is what discovery needs of the server that runs it. Answers are
// recorded, and the configuration they give is put to use, under the
// owner's reload lock, so a member change and a SIGHUP reload do not
// interleave; DNS is never asked with the lock held.
type Owner interface {
	sync.Locker // the owner's reload lock
	// Closing reports, under the lock, that the owner closes: it refuses
	// reloads from now on.
	Closing() bool
	// ReloadLocked puts cfg to use, under the lock.
	ReloadLocked(cfg *config.Config) error
}

// Prepare resolves the lbs of cfg that have no answer for their current
// setting yet (all of them at start; those a reload adds or points at
// another name), then returns cfg with the members found. It runs with
// the owner's lock held (or before the owner is shared): a start or a
// SIGHUP waits for DNS, at most lookupTimeout, so an lb does not start
// without members that DNS would give.
func (dc *Discovery) Prepare(ctx context.Context, cfg *config.Config) *config.Config {
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

// Adopt makes cfg (as loaded) the configuration discovery builds from,
// once a runtime built from Prepare's answer runs, and starts the loop
// when an lb needs it. ctx bounds the loop's lookups: it ends when the
// owner closes.
func (dc *Discovery) Adopt(ctx context.Context, cfg *config.Config) {
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
		go dc.loop(ctx)
		return
	}
	select {
	case dc.wake <- struct{}{}: // intervals may have changed
	default:
	}
}

// Reload is the owner's reload (under its lock): cfg as loaded, plus the
// members discovered (kept across the reload; an lb whose discover
// setting is new is asked first), put to use with Owner.ReloadLocked.
func (dc *Discovery) Reload(ctx context.Context, cfg *config.Config) error {
	saved := dc.snapshot()
	if err := dc.owner.ReloadLocked(dc.Prepare(ctx, cfg)); err != nil {
		dc.sets = saved // a refused reload leaves discovery as it was
		return err
	}
	dc.Adopt(ctx, cfg)
	return nil
}

// loop asks DNS for each lb at its interval until Stop.
func (dc *Discovery) loop(ctx context.Context) {
	defer close(dc.done)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		dc.owner.Lock()
		_, wait := dc.due(time.Now())
		dc.owner.Unlock()
		if wait < 0 {
			wait = time.Hour // no lb discovers now; a reload wakes the loop
		}
		t.Reset(wait)
		select {
		case <-dc.stop:
			return
		case <-dc.wake:
		case <-t.C:
			dc.Rediscover(ctx, false)
		}
	}
}

// Rediscover asks DNS for the lbs that are due (all of them when all is
// set) and, when their members changed, reloads with the new members.
// The lookups hold no lock; recording and reloading hold the owner's.
func (dc *Discovery) Rediscover(ctx context.Context, all bool) {
	o := dc.owner
	o.Lock()
	if o.Closing() || dc.base == nil {
		o.Unlock()
		return
	}
	base := dc.base
	lbs, _ := dc.due(time.Now())
	if all {
		lbs = discoverLBs(base)
	}
	o.Unlock()
	if len(lbs) == 0 {
		return
	}
	answers := dc.lookup(ctx, base, lbs)

	o.Lock()
	defer o.Unlock()
	if o.Closing() || dc.base != base {
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
	if err := o.ReloadLocked(expandConfig(base, dc.sets)); err != nil {
		// Forget the answers, so the next lookup tries again.
		for k, v := range saved {
			v.next = dc.sets[k].next
			saved[k] = v
		}
		dc.sets = saved
		dc.applyFailed.Add(1)
		dc.log.Error("member discovery: the new members could not be put to use; the current ones keep serving", "err", err)
		return
	}
	dc.changes.Add(1)
	dc.counts()
}

// snapshot copies the answers (under the owner's lock), to put them back when
// the reload they lead to is refused.
func (dc *Discovery) snapshot() map[string]discoveredSet {
	out := make(map[string]discoveredSet, len(dc.sets))
	for k, v := range dc.sets {
		out[k] = v
	}
	return out
}

// Stop ends the loop (the owner's Close); it does not start again.
func (dc *Discovery) Stop() {
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
