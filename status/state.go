package status

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"

	"github.com/jkbalancer/jkbalancer/config"
)

// Store keeps the status worker's successful updates in a state file so
// that a restart (or a reload) applies them again: an operator's drain
// survives. mod_jk loses them (its dump even says so).
//
// The file is JSON, keyed by lb and member name (lb settings and member
// attributes) and by worker name (AJP attributes, shared by every
// instance of the worker as in mod_jk). Each entry holds the edited value
// and the value the configuration had when the edit was made:
//
//	{"version": 1,
//	 "lbs": {"lb": {"settings": {"sticky_session": {"value": "False", "config": "True"}},
//	                "members": {"t1": {"activation": {"value": "DIS", "config": "ACT"}}}}},
//	 "workers": {"t1": {"reply_timeout": {"value": "30000", "config": "0"}}}}
//
// At start the configuration is compiled as usual, then each entry whose
// "config" still equals the compiled value is applied before the workers
// are built. When the operator has since changed that attribute in
// workers.properties, the file wins and the entry is dropped; an entry
// for a worker that no longer exists is ignored with a warning. The file
// is created with mode 0600 and replaced atomically (temporary file,
// fsync, rename) after every successful update.
//
// Without a state file the server keeps a memory Store (NewMemoryStore)
// across reloads, so edits survive a reload by the same rule, but not a
// restart. A nil *Store persists nothing; every method may be called on
// it.
type Store struct {
	path string // "" for a memory store
	log  *slog.Logger

	mu   sync.Mutex // guards the fields below
	st   stateFile
	base map[stateKey]string // the compiled value of every attribute seen by the hooks
	used map[stateKey]bool   // entries whose worker exists in this configuration
	// prev is the previous build's base while a memory store is used for
	// the next build (BeginBuild): an edit made on the running generation
	// meanwhile still finds its compiled value.
	prev map[stateKey]string
	// The file's writes (state_write.go): dirty while the file lacks an
	// edit (its last write failed), failing reported once per failure.
	dirty, failing bool
	create         func(dir, pattern string) (tempFile, error) // nil = os.CreateTemp
}

type stateFile struct {
	Version int                         `json:"version"`
	LBs     map[string]*lbState         `json:"lbs,omitempty"`
	Workers map[string]map[string]entry `json:"workers,omitempty"`
}

type lbState struct {
	Settings map[string]entry            `json:"settings,omitempty"`
	Members  map[string]map[string]entry `json:"members,omitempty"`
}

type entry struct {
	Value  string `json:"value"`
	Config string `json:"config"`
}

// stateKey names one attribute of one lb, member or worker.
type stateKey struct {
	scope      scope
	lb, worker string
	attr       string
}

const stateVersion = 1

// OpenStore reads the state file at path ("" returns a nil Store: edits
// are not persisted). A missing file is an empty state. A file that cannot
// be parsed is moved aside to path+".corrupt" with an error in the log,
// and the configuration is used as it is.
func OpenStore(path string, log *slog.Logger) (*Store, error) {
	if path == "" {
		return nil, nil
	}
	s := NewMemoryStore(log)
	s.path = path
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("state file: %w", err)
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil || st.Version != stateVersion {
		if err == nil {
			err = fmt.Errorf("version %d, want %d", st.Version, stateVersion)
		}
		bad := path + ".corrupt"
		s.log.Error("state file is not readable; moved aside, the configuration applies as written",
			"file", path, "moved_to", bad, "err", err)
		if rerr := os.Rename(path, bad); rerr != nil {
			return nil, fmt.Errorf("state file %s: %v; and it cannot be moved aside: %w", path, err, rerr)
		}
		return s, nil
	}
	s.st = st
	return s, nil
}

// Path returns the state file's path ("" for a nil or memory Store).
func (s *Store) Path() string {
	if s == nil {
		return ""
	}
	return s.path
}

// entries returns the entry map of a key's owner, creating it when
// create is set (nil otherwise when absent).
func (s *Store) entries(k stateKey, create bool) map[string]entry {
	switch k.scope {
	case scopeAJP:
		m := s.st.Workers[k.worker]
		if m == nil && create {
			if s.st.Workers == nil {
				s.st.Workers = make(map[string]map[string]entry)
			}
			m = make(map[string]entry)
			s.st.Workers[k.worker] = m
		}
		return m
	}
	l := s.st.LBs[k.lb]
	if l == nil {
		if !create {
			return nil
		}
		if s.st.LBs == nil {
			s.st.LBs = make(map[string]*lbState)
		}
		l = &lbState{}
		s.st.LBs[k.lb] = l
	}
	if k.scope == scopeLB {
		if l.Settings == nil && create {
			l.Settings = make(map[string]entry)
		}
		return l.Settings
	}
	m := l.Members[k.worker]
	if m == nil && create {
		if l.Members == nil {
			l.Members = make(map[string]map[string]entry)
		}
		m = make(map[string]entry)
		l.Members[k.worker] = m
	}
	return m
}

// apply folds the saved edits of one owner into a copy of its compiled
// attributes c (a *config.LB or *config.Member) and remembers the compiled
// values for later edits. It returns the copy, or c when nothing applies.
func (s *Store) apply(k stateKey, c any, cp func() any) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := c
	for i := range attrs {
		a := &attrs[i]
		if a.Scope != k.scope {
			continue
		}
		k.attr = a.Name
		s.base[k] = a.Format(c)
	}
	saved := s.entries(k, false)
	for _, name := range sortedKeys(saved) {
		e := saved[name]
		a := attrByName(k.scope, name)
		k.attr = name
		s.used[k] = true
		switch {
		case a == nil:
			s.log.Warn("state file names an attribute the status worker does not edit; ignored", "attribute", name)
		case e.Config != a.Format(c):
			s.log.Info("workers.properties changed an attribute since it was edited in the status worker: the file wins",
				"lb", k.lb, "worker", k.worker, "attribute", name, "edited", e.Value, "now", a.Format(c))
			delete(saved, name)
		default:
			if out == c {
				out = cp()
			}
			a.Assign(out, e.Value)
			s.log.Info("applying a saved status worker edit", "lb", k.lb, "worker", k.worker, "attribute", name, "value", e.Value)
		}
	}
	return out
}

func sortedKeys(m map[string]entry) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// LB returns the lb's compiled settings with the saved edits applied (a
// copy when there are any).
func (s *Store) LB(lb string, c *config.LB) *config.LB {
	if s == nil || c == nil {
		return c
	}
	return s.apply(stateKey{scope: scopeLB, lb: lb}, c, func() any { cp := *c; return &cp }).(*config.LB)
}

// Member returns a member's compiled attributes with the saved edits of
// its lb attributes (activation, lbfactor, route, ...) in lb applied.
func (s *Store) Member(lb, member string, c *config.Member) *config.Member {
	if s == nil || c == nil {
		return c
	}
	// Compare against the values the lb derives: route defaults to the
	// member's name, domain to the route's part before '.', lbfactor >= 1.
	eff := *c
	if eff.Route == "" {
		eff.Route = member
	}
	eff.LBFactor = max(eff.LBFactor, 1)
	return s.apply(stateKey{scope: scopeMember, lb: lb, worker: member}, &eff, func() any { cp := eff; return &cp }).(*config.Member)
}

// Attrs returns a worker's compiled Attrs attributes with the saved edits
// applied; every instance of the worker is built from the result.
func (s *Store) Attrs(worker string, c *config.Member) *config.Member {
	if s == nil || c == nil {
		return c
	}
	return s.apply(stateKey{scope: scopeAJP, worker: worker}, c, func() any { cp := *c; return &cp }).(*config.Member)
}

// recordEdit saves one successful edit and rewrites the file (a file that
// cannot be written is retried: state_write.go). An edit back to the
// compiled value removes the entry. For scopeLB, worker is ""; for
// scopeMember, lb and worker name the member; for scopeAJP, worker names
// the AJP worker (lb is ignored).
func (s *Store) recordEdit(sc scope, lb, worker string, a *attr, value string) error {
	if s == nil {
		return nil
	}
	k := stateKey{scope: sc, lb: lb, worker: worker, attr: a.Name}
	if sc == scopeAJP {
		k.lb = ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	base, known := s.base[k]
	if !known {
		base, known = s.prev[k]
	}
	if !known {
		// Not seen by the hooks (built without the store): nothing to
		// compare with later, so the edit cannot be kept safely.
		return fmt.Errorf("%s of %s: no compiled value known", a.Name, worker)
	}
	m := s.entries(k, true)
	if value == base {
		delete(m, a.Name)
	} else {
		m[a.Name] = entry{Value: value, Config: base}
	}
	s.used[k] = true
	s.saveLocked() // a failure is logged once there, and retried
	return nil
}

// pruneLocked drops empty maps so the file stays readable.
func (s *Store) pruneLocked() {
	for name, m := range s.st.Workers {
		if len(m) == 0 {
			delete(s.st.Workers, name)
		}
	}
	for name, l := range s.st.LBs {
		for m, e := range l.Members {
			if len(e) == 0 {
				delete(l.Members, m)
			}
		}
		if len(l.Settings) == 0 && len(l.Members) == 0 {
			delete(s.st.LBs, name)
		}
	}
}

// WarnUnused logs every saved entry whose lb, member or worker the
// configuration no longer has. Call it once the workers are built. The
// entries stay in the file, in case the worker comes back. A memory store
// says nothing: DropUnused forgets them.
func (s *Store) WarnUnused() {
	if s == nil || s.path == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eachEntryLocked(func(k stateKey, _ func()) {
		if !s.used[k] {
			s.log.Warn("state file has an edit for a worker this configuration does not have; ignored",
				"file", s.path, "lb", k.lb, "worker", k.worker, "attribute", k.attr)
		}
	})
}

// eachEntryLocked calls f for every saved entry with a function that
// deletes it.
func (s *Store) eachEntryLocked(f func(k stateKey, drop func())) {
	for name, l := range s.st.LBs {
		for attr := range l.Settings {
			f(stateKey{scope: scopeLB, lb: name, attr: attr}, func() { delete(l.Settings, attr) })
		}
		for m, e := range l.Members {
			for attr := range e {
				f(stateKey{scope: scopeMember, lb: name, worker: m, attr: attr}, func() { delete(e, attr) })
			}
		}
	}
	for w, e := range s.st.Workers {
		for attr := range e {
			f(stateKey{scope: scopeAJP, worker: w, attr: attr}, func() { delete(e, attr) })
		}
	}
}

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
