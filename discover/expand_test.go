package discover

import (
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestExpandConfig: fixed members come first; a found member whose route
// a fixed member has is left out; an https template is verified against
// the name DNS gave; answers for another setting are not used; an lb
// without any member gets the Stopped placeholder.
func TestExpandConfig(t *testing.T) {
	tmpl := &config.Member{Port: 8443, LBFactor: 2, HTTP: &config.HTTPMember{Scheme: config.SchemeHTTPS}}
	d := &config.Discover{Kind: config.DiscoverSRV, Name: "_https._tcp.web", Type: config.TypeHTTP, Member: tmpl}
	base := &config.Config{List: []string{"lb"}, Workers: map[string]*config.Worker{
		"lb":    {Name: "lb", Type: config.TypeLB, LB: &config.LB{BalanceWorkers: []string{"fixed"}, Discover: d}},
		"fixed": {Name: "fixed", Type: config.TypeAJP13, Member: &config.Member{Host: "10.9.9.9", Port: 8009, Route: "web-1"}},
	}}
	sets := map[string]discoveredSet{"lb": {source: d.String(), members: []found{
		{route: "web-0", host: "web-0.web.ns.svc", ip: "10.0.0.5", port: 8443},
		{route: "web-1", host: "web-1.web.ns.svc", ip: "10.0.0.6", port: 8443},
	}}}
	cfg := expandConfig(base, sets)
	if got := strings.Join(cfg.Workers["lb"].LB.BalanceWorkers, ","); got != "fixed,lb/web-0" {
		t.Fatalf("members %s", got)
	}
	w := cfg.Workers["lb/web-0"]
	if a := w.Member; a.Host != "10.0.0.5" || a.Port != 8443 || a.Route != "web-0" || a.LBFactor != 2 ||
		a.HTTP.TLSServerName != "web-0.web.ns.svc" || w.Type != config.TypeHTTP {
		t.Errorf("member %+v %+v", a, a.HTTP)
	}
	if tmpl.HTTP.TLSServerName != "" || len(base.Workers) != 2 || len(base.Workers["lb"].LB.BalanceWorkers) != 1 {
		t.Error("expandConfig changed its input")
	}
	sets["lb"] = discoveredSet{source: "srv:other", members: sets["lb"].members}
	if got := strings.Join(expandConfig(base, sets).Workers["lb"].LB.BalanceWorkers, ","); got != "fixed" {
		t.Errorf("answers of another setting used: %s", got)
	}
	base.Workers["lb"].LB.BalanceWorkers = nil
	cfg = expandConfig(base, nil)
	p := cfg.Workers["lb/awaiting-dns"]
	if got := strings.Join(cfg.Workers["lb"].LB.BalanceWorkers, ","); got != "lb/awaiting-dns" || p.Member.Port != 0 || p.Member.Activation != config.Stopped {
		t.Errorf("placeholder %s %+v", got, p.Member)
	}
	plain := &config.Config{Workers: map[string]*config.Worker{"fixed": base.Workers["fixed"]}}
	if expandConfig(plain, nil) != plain {
		t.Error("a configuration without discover is not copied")
	}
}
