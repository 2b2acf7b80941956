package discover

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestDiscoverPTRCollision: two addresses whose PTR names share the first
// label (web.a.example, web.b.example) are two members with names of
// their own, never one; the collision is logged once, when the members
// change. The same address and port twice is one member.
func TestDiscoverPTRCollision(t *testing.T) {
	dns := newFakeDNS()
	dns.a["app"] = []net.IPAddr{{IP: net.ParseIP("10.0.0.9")}, {IP: net.ParseIP("10.0.0.3")},
		{IP: net.ParseIP("10.0.0.5")}, {IP: net.ParseIP("10.0.0.3")}}
	dns.ptr["10.0.0.3"] = []string{"web.a.example."}
	dns.ptr["10.0.0.9"] = []string{"web.b.example."}
	dns.ptr["10.0.0.5"] = []string{"web-10-0-0-9.c.example."} // already holds the name 10.0.0.9 would get
	d := &config.Discover{Kind: config.DiscoverDNS, Name: "app", Port: 8009, Member: &config.Member{}}
	fs, err := lookupMembers(context.Background(), dns, d)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(describe(fs), " ")
	want := "web=10.0.0.3:8009 web-10-0-0-9=10.0.0.5:8009 web-10-0-0-9-2=10.0.0.9:8009"
	if got != want {
		t.Fatalf("members %s, want %s", got, want)
	}

	// SRV: two targets in different domains with one first label, and one
	// target listed twice.
	dns.srv["_ajp._tcp.app"] = []*net.SRV{{Target: "tc.east.example.", Port: 8009},
		{Target: "tc.west.example.", Port: 8009}, {Target: "tc.east.example.", Port: 8009}}
	dns.a["tc.east.example"] = []net.IPAddr{{IP: net.ParseIP("10.1.0.1")}}
	dns.a["tc.west.example"] = []net.IPAddr{{IP: net.ParseIP("10.2.0.1")}}
	fs2, err := lookupMembers(context.Background(), dns, &config.Discover{Kind: config.DiscoverSRV, Name: "_ajp._tcp.app", Member: &config.Member{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(describe(fs2), " "); got != "tc=10.1.0.1:8009 tc-10-2-0-1=10.2.0.1:8009" {
		t.Errorf("SRV members %s", got)
	}

	// The log says so once, when the members change, naming both.
	var log strings.Builder
	dc := New(dns, slog.New(slog.NewTextHandler(&log, nil)), nil)
	now := time.Unix(1_000_000, 0)
	for range 2 {
		dc.record(answer{lb: "lb", d: d, members: fs}, now)
	}
	if n := strings.Count(log.String(), "same route"); n != 1 ||
		!strings.Contains(log.String(), "route=web member=lb/web-10-0-0-9-2 address=10.0.0.9 host=web.b.example") {
		t.Errorf("%d collision lines, want 1 (the renamed member, once):\n%s", n, log.String())
	}

	// Every address becomes a worker of the lb.
	base := &config.Config{Workers: map[string]*config.Worker{"lb": {Name: "lb", Type: config.TypeLB,
		LB: &config.LB{Discover: d}}}}
	cfg := expandConfig(base, map[string]discoveredSet{"lb": {source: d.String(), members: fs}})
	if got := strings.Join(cfg.Workers["lb"].LB.BalanceWorkers, " "); got != "lb/web lb/web-10-0-0-9 lb/web-10-0-0-9-2" {
		t.Errorf("balance_workers %s", got)
	}
}
