package main

import (
	"os"
	"strconv"
	"testing"
)

// TestInheritedListenersEnv: the variables are for this process only
// (LISTEN_PID), are unset once read, and a LISTEN_FDS that is no count
// is an error, never a walk over arbitrary descriptors.
func TestInheritedListenersEnv(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	cases := []struct {
		pid, fds string
		wantErr  bool
	}{
		{"", "", false},
		{"1", "2", false}, // another process's: ignored
		{self, "x", true},
		{self, "-1", true},
		{self, "100000", true},
		{self, "0", false},
	}
	for _, c := range cases {
		t.Setenv("LISTEN_PID", c.pid)
		t.Setenv("LISTEN_FDS", c.fds)
		t.Setenv("LISTEN_FDNAMES", "http")
		lns, err := inheritedListeners()
		if (err != nil) != c.wantErr || len(lns) != 0 {
			t.Errorf("LISTEN_PID=%q LISTEN_FDS=%q: %d listeners, err %v", c.pid, c.fds, len(lns), err)
		}
		for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
			if _, set := os.LookupEnv(k); set {
				t.Errorf("%s still set after reading", k)
			}
		}
	}
}
