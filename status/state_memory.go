package status

import "log/slog"

// The memory Store: what a server without a state file keeps its status
// edits in, so they survive a reload (docs/design.md#how-reload-state-flows)
// under the same rule as the state file's: the files win for an attribute
// they changed.

// NewMemoryStore returns a Store that keeps the edits in memory only, for
// a server without a state file: it is used for every build of the
// configuration (BeginBuild), and DropUnused forgets the edits of workers
// a build no longer has, so members that come and go do not grow it.
func NewMemoryStore(log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{log: log, base: make(map[stateKey]string), used: make(map[stateKey]bool)}
	s.st.Version = stateVersion
	return s
}

// BeginBuild prepares a memory store for the next build of the
// configuration: the hooks (LB, Member, Attrs) record what that build
// uses.
func (s *Store) BeginBuild() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prev, s.base, s.used = s.base, make(map[stateKey]string), make(map[stateKey]bool)
}

// DropUnused forgets the entries the last build did not use (their lb,
// member or worker is gone) and what the build before it compiled. Call it
// once that build serves.
func (s *Store) DropUnused() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eachEntryLocked(func(k stateKey, drop func()) {
		if !s.used[k] {
			drop()
		}
	})
	s.prev = nil
	s.pruneLocked()
}
