package discover

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestDiscoverRoutes: how answers become members: SRV targets and PTR
// names give their first label, an address without a PTR record its DNS
// form; one address family; a PTR lookup that fails for another reason
// than NXDOMAIN fails the lookup.
func TestDiscoverRoutes(t *testing.T) {
	dns := newFakeDNS()
	dns.srv["_ajp._tcp.web"] = []*net.SRV{{Target: "web-1.web.ns.svc.cluster.local.", Port: 8009},
		{Target: "web-0.web.ns.svc.cluster.local.", Port: 8010}, {Target: ".", Port: 0}}
	dns.a["web-0.web.ns.svc.cluster.local"] = []net.IPAddr{{IP: net.ParseIP("fd00::5")}, {IP: net.ParseIP("10.0.0.5")}}
	dns.a["web-1.web.ns.svc.cluster.local"] = []net.IPAddr{{IP: net.ParseIP("10.0.0.6")}}
	dns.a["web"] = []net.IPAddr{{IP: net.ParseIP("10.0.0.7")}, {IP: net.ParseIP("10.0.0.8")},
		{IP: net.ParseIP("fd00::7")}, {IP: net.ParseIP("10.0.0.7")}}
	dns.ptr["10.0.0.8"] = []string{"tomcat-8.web.ns.svc.cluster.local."}
	dns.a["v6only"] = []net.IPAddr{{IP: net.ParseIP("fd00::9")}}
	tmpl := &config.Member{}
	ask := func(kind, name string, port int) string {
		t.Helper()
		fs, err := lookupMembers(context.Background(), dns, &config.Discover{Kind: kind, Name: name, Port: port, Member: tmpl})
		if err != nil {
			return "error: " + err.Error()
		}
		return strings.Join(describe(fs), " ")
	}
	for _, c := range []struct{ kind, name, want string }{
		{config.DiscoverSRV, "_ajp._tcp.web", "web-0=10.0.0.5:8010 web-1=10.0.0.6:8009"},
		{config.DiscoverDNS, "web", "10-0-0-7=10.0.0.7:8009 tomcat-8=10.0.0.8:8009"},
		{config.DiscoverDNS, "v6only", "fd00--9=[fd00::9]:8009"},
		{config.DiscoverDNS, "nothere", "error: " + errEmpty.Error()},
		{config.DiscoverSRV, "_ajp._tcp.nothere", "error: " + errEmpty.Error()},
	} {
		if got := ask(c.kind, c.name, 8009); got != c.want {
			t.Errorf("%s:%s = %s, want %s", c.kind, c.name, got, c.want)
		}
	}
	tmpl.PreferIPv6 = true
	if got := ask(config.DiscoverSRV, "_ajp._tcp.web", 0); got != "web-0=[fd00::5]:8010 web-1=10.0.0.6:8009" {
		t.Errorf("prefer_ipv6: %s", got)
	}
	tmpl.PreferIPv6 = false
	dns.ptr["10.0.0.7"] = []string{"tomcat-8.other."} // two addresses, one route: both stay (uniqueRoutes)
	if got := ask(config.DiscoverDNS, "web", 8009); got != "tomcat-8=10.0.0.7:8009 tomcat-8-10-0-0-8=10.0.0.8:8009" {
		t.Errorf("duplicate route: %s", got)
	}
	delete(dns.a, "web-1.web.ns.svc.cluster.local")
	if got := ask(config.DiscoverSRV, "_ajp._tcp.web", 0); !strings.Contains(got, "SRV target web-1") {
		t.Errorf("unresolvable target: %s", got)
	}
	dns.ptr["10.0.0.7"] = nil
	dnsErr := &net.DNSError{Err: "timeout", IsTimeout: true}
	dns.err = dnsErr
	if _, err := lookupMembers(context.Background(), dns, &config.Discover{Kind: config.DiscoverDNS, Name: "web", Port: 1, Member: tmpl}); !errors.Is(err, dnsErr) {
		t.Errorf("timeout: %v", err)
	}
}
