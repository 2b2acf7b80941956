package config

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
)

func TestStatusAllow(t *testing.T) {
	dir := writeFiles(t, map[string]string{"w.properties": "worker.list=s\nworker.s.type=status\nworker.s.mount=/s\n" +
		"worker.s.allow=127.0.0.1 ::1\nworker.s.allow=10.1.2.3/8,fd00::/8 ::ffff:192.168.0.0/112 ::ffff:127.0.0.2\n"})
	cfg := mustLoad(t, Sources{WorkersFile: filepath.Join(dir, "w.properties")})
	var got []string
	for _, p := range cfg.Workers["s"].Status.Allow {
		got = append(got, p.String())
	}
	want := "127.0.0.1/32 ::1/128 10.0.0.0/8 fd00::/8 192.168.0.0/16 127.0.0.2/32"
	if strings.Join(got, " ") != want {
		t.Errorf("allow = %v, want %s", got, want)
	}

	// Every bad entry is reported at once, each with its file:line,
	// worker and property.
	dir = writeFiles(t, map[string]string{"w.properties": "worker.list=s\nworker.s.type=status\nworker.s.mount=/s\n" +
		"worker.s.allow=127.0.0.1 localhost\nworker.s.allow=10.0.0.0/33 fe80::1%eth0 1.2.3\n"})
	_, problems := Load(Sources{WorkersFile: filepath.Join(dir, "w.properties")})
	if problems == nil {
		t.Fatal("invalid allow entries accepted")
	}
	msg := problems.Error()
	for _, want := range []string{`w.properties:4`, `"localhost"`, `w.properties:5`, `"10.0.0.0/33"`, `"fe80::1%eth0"`, `"1.2.3"`, "allow"} {
		if !strings.Contains(msg, want) {
			t.Errorf("no %q in:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "allow entry"); n != 4 {
		t.Errorf("%d allow problems, want 4:\n%s", n, msg)
	}
}

func TestAllowsAddrEdges(t *testing.T) {
	blocks := []netip.Prefix{netip.MustParsePrefix("192.168.4.0/22"), netip.MustParsePrefix("2001:db8::/127")}
	for addr, want := range map[string]bool{
		"192.168.4.0:1": true, "192.168.7.255:1": true, "192.168.3.255:1": false, "192.168.8.0:1": false,
		"[2001:db8::]:1": true, "[2001:db8::1]:1": true, "[2001:db8::2]:1": false,
		"[::ffff:192.168.5.5]:9": true, "not an address": false, "[::1": false,
	} {
		if AllowsAddr(blocks, addr) != want {
			t.Errorf("%s: %v", addr, !want)
		}
	}
}

func FuzzParseAllowEntry(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "::1", "10.0.0.0/8", "::ffff:1.2.3.4/120", "fe80::1%x", "/", "1.2.3.4/-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseAllowEntry(s)
		if err == nil && (!p.IsValid() || p != p.Masked() || p.Addr().Is4In6()) {
			t.Errorf("%q -> %v", s, p)
		}
	})
}

// check's open-status-worker warning: an allow list that keeps clients out
// silences it; one that lets everyone in does not.
func TestStatusAllowRisk(t *testing.T) {
	for allow, warn := range map[string]bool{"": true, "worker.s.allow=127.0.0.1 ::1\n": false, "worker.s.allow=10.0.0.0/8 0.0.0.0/0\n": true} {
		dir := writeFiles(t, map[string]string{"w.properties": "worker.list=s\nworker.s.type=status\nworker.s.mount=/s\n" + allow})
		cfg := mustLoad(t, Sources{WorkersFile: filepath.Join(dir, "w.properties")})
		if got := strings.Contains(cfg.RiskWarnings().Error(), "without user and with read_only off"); got != warn {
			t.Errorf("%q: warning %v, want %v", allow, got, warn)
		}
	}
}
