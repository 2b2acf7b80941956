package server

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestDiscoverStateFileBringsEditsBack: with a state_file, an edit of a
// member comes back when its pod returns after an answer without it;
// the member's worker name is the key.
func TestDiscoverStateFileBringsEditsBack(t *testing.T) {
	pods := echoPods(t, "tomcat-0", "tomcat-1")
	dns := newFakeDNS()
	dns.setPods(srvName, pods)
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": discoverYAML + "state_file: $DIR/state.json\n",
		"workers.properties": discoverWorkers("")}, dns)
	r.statusUpdate("w=lb&sw=lb/tomcat-1&vwa=d")
	dns.setPods(srvName, pick(pods, "tomcat-0"))
	r.srv.rediscover(true)
	if got := strings.Join(r.memberNames("lb"), ","); got != "lb/tomcat-0" {
		t.Fatalf("members %s", got)
	}
	dns.setPods(srvName, pods)
	r.srv.rediscover(true)
	if a := member(r.lb("lb"), "lb/tomcat-1").Activation; a != config.Disabled {
		t.Errorf("tomcat-1 back with activation %v, want the saved Disabled", a)
	}
}

// TestDiscoverMetrics: the lookups, changes, member counts and failure
// streaks are on /metrics.
func TestDiscoverMetrics(t *testing.T) {
	pods := echoPods(t, "tomcat-0", "tomcat-1")
	dns := newFakeDNS()
	dns.setPods(srvName, pick(pods, "tomcat-0"))
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": discoverYAML + "admin: {listen: \"127.0.0.1:0\"}\n",
		"workers.properties": discoverWorkers("")}, dns)
	dns.setPods(srvName, pods)
	r.srv.rediscover(true)
	dns.fail(io.ErrUnexpectedEOF)
	r.srv.rediscover(true)
	r.srv.rediscover(true)
	resp, err := http.Get("http://" + r.srv.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`jkbalancer_discover_lookups_total{result="ok"} 2`,
		`jkbalancer_discover_lookups_total{result="failed"} 2`,
		`jkbalancer_discover_lookups_total{result="empty"} 0`,
		`jkbalancer_discover_changes_total{result="ok"} 1`,
		`jkbalancer_discover_members{lb="lb"} 2`,
		`jkbalancer_discover_failures_in_a_row{lb="lb"} 2`,
		`member="lb/tomcat-1"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("no %s in /metrics", want)
		}
	}
}

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
