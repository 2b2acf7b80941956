package config

import (
	"path/filepath"
	"slices"
	"testing"
)

func loadMember(t *testing.T, props string) *Member {
	t.Helper()
	dir := writeFiles(t, map[string]string{"w.properties": "worker.list=a\n" + props})
	cfg := mustLoad(t, Sources{WorkersFile: filepath.Join(dir, "w.properties"), LookupEnv: noEnv})
	w := cfg.Workers["a"]
	if w == nil || w.Member == nil {
		t.Fatalf("worker a missing: %+v", cfg.Workers)
	}
	return w.Member
}

// TestSafeDefaultsUnset: a member that leaves the wait-forever keys unset
// gets the bounded defaults, each named in SafeDefaults.
func TestSafeDefaultsUnset(t *testing.T) {
	a := loadMember(t, "worker.a.host=127.0.0.1\n")
	if a.SocketConnectTimeout != SafeConnectTimeout || !a.SocketKeepalive || a.KeepaliveIdle != SafeKeepaliveIdle ||
		a.IdlePingAfter != SafeIdlePingAfter || a.IdlePingTimeout != SafeIdlePingTimeout || a.PrepostTimeout != 0 ||
		a.PathCheckInterval != SafePathCheckInterval {
		t.Errorf("defaults not applied: %+v", a)
	}
	want := []string{SafeDefaultConnect, SafeDefaultIdlePing, SafeDefaultKeepalive, SafeDefaultStall, SafeDefaultPathCheck}
	if !slices.Equal(a.SafeDefaults, want) {
		t.Errorf("SafeDefaults = %v, want %v", a.SafeDefaults, want)
	}
}

// TestSafeDefaultsExplicitModJK: mod_jk's own values, written out, mean
// mod_jk's behaviour: no bounded default is applied.
func TestSafeDefaultsExplicitModJK(t *testing.T) {
	for _, tc := range []struct{ name, props string }{
		{"explicit", "worker.a.socket_connect_timeout=0\nworker.a.prepost_timeout=0\nworker.a.socket_keepalive=false\n" +
			"worker.a.stall_min=0\nworker.a.path_check_interval=0\n"},
		{"socket_timeout", "worker.a.socket_timeout=0\nworker.a.prepost_timeout=0\nworker.a.socket_keepalive=0\n" +
			"worker.a.stall_min=0\nworker.a.path_check_interval=0\n"},
	} {
		a := loadMember(t, tc.props)
		if a.SocketConnectTimeout != 0 || a.SocketKeepalive || a.KeepaliveIdle != 0 || a.IdlePingAfter != 0 ||
			a.IdlePingTimeout != 0 || a.StallMin != 0 || a.PathCheckInterval != 0 || len(a.SafeDefaults) != 0 {
			t.Errorf("%s: a default overrode an explicit value: %+v", tc.name, a)
		}
	}
}

// TestSafeDefaultsTuned: tuned values are kept, and ping_mode P (a CPing
// before every request) leaves no room for the idle CPing.
func TestSafeDefaultsTuned(t *testing.T) {
	a := loadMember(t, "worker.a.socket_timeout=7\nworker.a.ping_mode=P\nworker.a.socket_keepalive=true\n"+
		"worker.a.stall_min=5000\nworker.a.path_check_interval=200\n")
	if a.SocketConnectTimeout != 7000 || a.PrepostTimeout != 10000 || a.IdlePingAfter != 0 || a.KeepaliveIdle != 0 ||
		a.StallMin != 5000 || a.StallFactor != DefaultStallFactor || a.PathCheckInterval != 200 || len(a.SafeDefaults) != 0 {
		t.Errorf("tuned values changed: %+v", a)
	}
	h := loadMember(t, "worker.a.type=http\n")
	if h.IdlePingAfter != SafeIdlePingAfter || h.IdlePingTimeout != 0 || h.SocketConnectTimeout != SafeConnectTimeout ||
		h.PathCheckInterval != SafePathCheckInterval ||
		!slices.Equal(h.SafeDefaults, []string{SafeDefaultConnect, SafeDefaultKeepalive, SafeDefaultStall, SafeDefaultPathCheck, SafeDefaultHTTPIdle}) {
		t.Errorf("http member: %+v", h)
	}
	for _, p := range []string{"connection_pool_timeout=0", "cache_timeout=0"} {
		h = loadMember(t, "worker.a.type=http\nworker.a."+p+"\n")
		if h.IdlePingAfter != 0 || slices.Contains(h.SafeDefaults, SafeDefaultHTTPIdle) {
			t.Errorf("http member with %s: %+v", p, h)
		}
	}
}

// TestStallKeys: stall_min defaults to SafeStallMin (named in
// SafeDefaults), 0 switches the detection off, and out-of-range values
// fall back with a warning instead of failing the load.
func TestStallKeys(t *testing.T) {
	for _, tc := range []struct {
		props       string
		min, factor int
		named       bool
	}{
		{"", SafeStallMin, DefaultStallFactor, true},
		{"worker.a.stall_min=0\n", 0, DefaultStallFactor, false},
		{"worker.a.stall_min=2000\n", 2000, DefaultStallFactor, false},
		{"worker.a.stall_min=-5\nworker.a.stall_factor=3\n", 0, 3, false},
		{"worker.a.stall_factor=0\n", SafeStallMin, DefaultStallFactor, true},
		{"worker.a.stall_factor=99999999\n", SafeStallMin, DefaultStallFactor, true},
	} {
		a := loadMember(t, tc.props)
		if a.StallMin != tc.min || a.StallFactor != tc.factor || slices.Contains(a.SafeDefaults, SafeDefaultStall) != tc.named {
			t.Errorf("%q: stall_min %d stall_factor %d defaults %v, want %d %d named=%v",
				tc.props, a.StallMin, a.StallFactor, a.SafeDefaults, tc.min, tc.factor, tc.named)
		}
	}
}
