package ajp

import (
	"testing"
	"time"
)

// TestSuspectConnectTimeout: a suspect pool connects with at most
// SuspectConnectTimeout; a shorter configured one, and any when not
// suspect, is used as configured.
func TestSuspectConnectTimeout(t *testing.T) {
	for _, c := range []struct {
		cfg     time.Duration
		suspect bool
		want    time.Duration
	}{
		{3 * time.Second, false, 3 * time.Second},
		{0, false, 0},
		{3 * time.Second, true, SuspectConnectTimeout},
		{0, true, SuspectConnectTimeout},
		{300 * time.Millisecond, true, 300 * time.Millisecond},
	} {
		p := NewPool(PoolConfig{ConnectTimeout: c.cfg})
		p.suspect.Store(c.suspect)
		if got := p.connectTimeout(); got != c.want {
			t.Errorf("connect timeout %v, suspect %v: %v, want %v", c.cfg, c.suspect, got, c.want)
		}
	}
}
