package server

import (
	"sync/atomic"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/doctor"
)

// The session-route doctor's wiring (package doctor). The doctor lives in
// the runtime registry, one for the life of the process, so findings
// survive a reload for the lbs and members that still exist.

// adoptDoctor points the doctor at this generation once it is built: it
// answers the doctor's questions about routes from these lbs, and the
// findings of lbs and members that are gone are dropped.
func (rt *runtime) adoptDoctor() {
	book := doctorBook{byName: rt.lbByName, lbs: rt.lbs}
	rt.doctor.SetBook(book)
	members := make(map[[2]string]bool)
	for _, lb := range rt.lbs {
		for _, m := range lb.Snapshot().Members {
			members[[2]string{lb.Name(), m.Name}] = true
		}
	}
	rt.doctor.Retain(func(lb, member string) bool {
		if member == "" {
			return rt.lbByName[lb] != nil
		}
		return members[[2]string{lb, member}]
	})
}

// doctorBook answers the doctor from one generation's lbs.
type doctorBook struct {
	byName map[string]*balancer.LB
	lbs    []*balancer.LB
}

func (b doctorBook) RouteOwner(lb, route string) string {
	if l := b.byName[lb]; l != nil {
		return l.RouteOwner(route)
	}
	return ""
}

func (b doctorBook) KnownRoute(route string) bool {
	for _, l := range b.lbs {
		if l.KnowsRoute(route) {
			return true
		}
	}
	return false
}

// Findings returns what the session-route doctor found so far, for every
// lb.
func (s *Server) Findings() []doctor.Finding { return runtimeFindings(&s.rt) }

func runtimeFindings(rt *atomic.Pointer[runtime]) []doctor.Finding {
	if r := rt.Load(); r != nil {
		return r.doctor.Findings()
	}
	return nil
}

// SessionFailovers returns the doctor's failover counts per ordered pair
// of members, for every lb (docs/sessions.md#the-metric).
func (s *Server) SessionFailovers() []doctor.FailoverCount {
	if r := s.rt.Load(); r != nil {
		return r.doctor.Failovers()
	}
	return nil
}
