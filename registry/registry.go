// Package registry is the one place for the runtime state that survives a
// configuration reload (docs/design.md#how-reload-state-flows).
//
// How reload state flows: the server creates one Registry when it starts
// and hands it to every build of the configuration. A build is immutable
// configuration plus live objects, and every piece of state that must
// outlive it is looked up here by name instead of copied from the
// previous build: per lb its balancer.Shared (member states, error times,
// lb values, the lb counters and metrics, the selection mutex), per worker
// name its worker.Counters, per member instance its Prometheus numbers
// (worker.Metrics), the session-route doctor's findings, and the status worker's edits (status.Store:
// the edited value and the compiled value it overrode, in the state file
// when one is configured, in memory otherwise). A member that still exists
// after a reload gets the same state object, so a request that started on
// the old generation and finishes after the swap updates what the new one
// reads, and both generations take the same lb lock. An edit is recorded
// when it is made and applied by the next build unless the files changed
// that attribute since (then the files win). When a build is put to use,
// Commit forgets the lbs, members, workers and edits it no longer has, so
// members that come and go (DNS) do not grow the registry; an older
// generation still finishing requests keeps its own references, and its
// writes to a forgotten entry are harmless. Member instances that a reload
// keeps (the server's reloadmember.go) only keep their connection pools
// warm: they carry no state.
package registry

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/doctor"
	"github.com/jkbalancer/jkbalancer/status"
	"github.com/jkbalancer/jkbalancer/worker"
)

// Registry holds the state of one server across its configuration
// generations. It is safe for concurrent use; builds and commits are
// expected one at a time (the server serialises reloads).
type Registry struct {
	now func() time.Time
	log *slog.Logger
	key []byte // signs the status pages' forms (status.Spec.Key)

	mu       sync.Mutex
	lbs      map[string]*balancer.Shared
	counters map[string]*worker.Counters
	metrics  map[Instance]*worker.Metrics
	edits    *status.Store // without a state file; nil until first used
	file     *status.Store // the last build's state file store
	doc      *doctor.Doctor
}

// Instance names a member instance: the lb it belongs to ("" for a worker
// used directly) and its worker name. mod_jk gives every lb its own
// instance of a worker.
type Instance struct{ LB, Name string }

// New returns an empty registry. now stamps the last reset of new
// counters; log receives the status edits' messages.
func New(now func() time.Time, log *slog.Logger) (*Registry, error) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("status worker key: %w", err)
	}
	return &Registry{now: now, log: log, key: key, lbs: make(map[string]*balancer.Shared),
		counters: make(map[string]*worker.Counters), metrics: make(map[Instance]*worker.Metrics),
		doc: doctor.New(doctor.Spec{Logger: log, Now: now})}, nil
}

// Doctor is the session-route doctor: one for the life of the server, so
// its findings survive a reload for the lbs and members that still exist
// (each generation prunes the rest when it is put to use).
func (r *Registry) Doctor() *doctor.Doctor { return r.doc }

// Key is the status worker's form key: the same for every generation, so
// a page loaded before a reload can still be submitted after it.
func (r *Registry) Key() []byte { return r.key }

// LB returns the shared state of the lb named name, new when the
// registry has none.
func (r *Registry) LB(name string) *balancer.Shared {
	r.mu.Lock()
	defer r.mu.Unlock()
	sh := r.lbs[name]
	if sh == nil {
		sh = balancer.NewShared()
		r.lbs[name] = sh
	}
	return sh
}

// Counters returns the counters of the worker named name, every instance
// of the worker counting into the same set (mod_jk's shared memory); new
// ones start with their last reset now.
func (r *Registry) Counters(name string) *worker.Counters {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.counters[name]
	if c == nil {
		c = worker.NewCounters(r.now())
		r.counters[name] = c
	}
	return c
}

// Metrics returns the never-reset numbers of a member instance for
// Prometheus: an instance a reload rebuilds counts on from where the
// previous one stood, so a scrape never sees a counter go down.
func (r *Registry) Metrics(in Instance) *worker.Metrics {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.metrics[in]
	if m == nil {
		m = new(worker.Metrics)
		r.metrics[in] = m
	}
	return m
}

// Edits returns the store of status worker edits for a build: the state
// file at path, read again for every build as at a start, or without one
// the registry's memory store.
//
// A state file that lacks an edit (its disk was full: docs/hardening.md#a-full-disk)
// is not read again: the last build's store, which holds the edit, serves
// the next build too and keeps trying to write it.
func (r *Registry) Edits(path string) (*status.Store, error) {
	if path != "" {
		r.mu.Lock()
		last := r.file
		r.mu.Unlock()
		if last.Retry(); last.Path() == path && last.Unsaved() {
			last.BeginBuild()
			return last, nil
		}
		st, err := status.OpenStore(path, r.log)
		if err == nil {
			r.mu.Lock()
			r.file = st
			r.mu.Unlock()
		}
		return st, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.edits == nil {
		r.edits = status.NewMemoryStore(r.log)
	}
	r.edits.BeginBuild()
	return r.edits, nil
}

// Build is what Commit needs to know about the build put to use.
type Build struct {
	LBs       []*balancer.LB
	Workers   map[string]bool   // every worker name the configuration defines
	Instances map[Instance]bool // every member instance it built
	Edits     *status.Store     // what Edits returned for it
}

// Commit forgets everything the build b, now serving, does not have: lbs,
// the members of its lbs, the counters of workers it does not define, the
// metrics of instances it did not build, and the memory store's edits of
// workers it does not build.
func (r *Registry) Commit(b Build) {
	lbs := make(map[string]bool, len(b.LBs))
	for _, lb := range b.LBs {
		lbs[lb.Name()] = true
		lb.DropGone()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for name := range r.lbs {
		if !lbs[name] {
			delete(r.lbs, name)
		}
	}
	for name := range r.counters {
		if !b.Workers[name] {
			delete(r.counters, name)
		}
	}
	for in := range r.metrics {
		if !b.Instances[in] {
			delete(r.metrics, in)
		}
	}
	if b.Edits == r.edits {
		r.edits.DropUnused()
	}
}

// Size reports how many lbs and worker counters the registry holds.
func (r *Registry) Size() (lbs, counters int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lbs), len(r.counters)
}
