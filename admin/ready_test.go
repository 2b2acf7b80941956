package admin

import (
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
)

// lbDown's verdict per state: what the pick would send a new request to
// with a chance of an answer.
func TestLBDownStates(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	for _, c := range []struct {
		st   balancer.State
		act  config.Activation
		last time.Time
		up   bool
	}{
		{balancer.StateIdle, config.Active, time.Time{}, true},
		{balancer.StateOK, config.Active, time.Time{}, true},
		{balancer.StateBusy, config.Active, time.Time{}, true},
		{balancer.StateRecover, config.Active, now.Add(-61 * time.Second), true},
		{balancer.StateForce, config.Active, now.Add(-time.Second), false},
		{balancer.StateForce, config.Active, now.Add(-61 * time.Second), true},
		{balancer.StateError, config.Active, now.Add(-61 * time.Second), false},
		{balancer.StateProbe, config.Active, now.Add(-61 * time.Second), false},
		{balancer.StateOK, config.Disabled, time.Time{}, false},
		{balancer.StateOK, config.Stopped, time.Time{}, false},
	} {
		s := balancer.Snapshot{Name: "lb", RecoverTime: 60,
			Members: []balancer.MemberSnapshot{{Name: "m", State: c.st, Activation: c.act, LastErrorTime: c.last}}}
		if up := lbDown(s, now) == ""; up != c.up {
			t.Errorf("%s %s last error %s ago: up=%v, want %v", c.st, c.act.Code(), now.Sub(c.last), up, c.up)
		}
	}
}
