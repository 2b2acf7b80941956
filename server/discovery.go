package server

import (
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/discover"
)

// The Server's side of member discovery (package discover): the
// discovered members are part of what New and Reload build from, and a
// change of them is a reload.

// DiscoverResolver is what member discovery asks DNS (Options.Discover).
type DiscoverResolver = discover.Resolver

// discoverOwner is the Server as discovery's owner: answers are recorded
// and put to use under reloadMu, like a SIGHUP reload.
type discoverOwner struct{ s *Server }

func (o discoverOwner) Lock()                                 { o.s.reloadMu.Lock() }
func (o discoverOwner) Unlock()                               { o.s.reloadMu.Unlock() }
func (o discoverOwner) Closing() bool                         { return o.s.closed }
func (o discoverOwner) ReloadLocked(cfg *config.Config) error { return o.s.reloadLocked(cfg) }

// reloadConfig is Reload under reloadMu: cfg as loaded, plus the members
// discovered (kept across the reload; an lb whose discover setting is
// new is asked first).
func (s *Server) reloadConfig(cfg *config.Config) error {
	if s.closed {
		return ErrClosed
	}
	return s.disc.Reload(s.base, cfg)
}
