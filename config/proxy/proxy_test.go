package proxy

import (
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/props"
)

func section(key string, vals map[string]string) Section {
	s := Section{Key: key, Pos: diag.Pos{File: "jk.yaml", Line: 1}, Vals: make(map[string]props.Token)}
	for k, v := range vals {
		s.Vals[k] = props.Token{Text: v, Pos: s.Pos}
	}
	return s
}

// TestCompileWritesWorkerLines checks the workers.properties lines one
// balancer becomes: config.Load reads them as if an operator had
// written them, so their text is the contract.
func TestCompileWritesWorkerLines(t *testing.T) {
	b := Balancer{Section: section("balancers.c", map[string]string{"lbmethod": "bybusyness"}), Name: "c",
		Members: []Section{
			section("balancers.c.members[1]", map[string]string{"url": "ajp://10.0.0.1:8009", "route": "a", "status": "+H"}),
			section("balancers.c.members[2]", map[string]string{"url": "https://h:8443", "loadfactor": "1.5"}),
		}}
	m := props.NewMap(nil)
	var c diag.Collector
	plan := Compile([]Balancer{b}, m, &c)
	if len(c.Problems) != 0 {
		t.Fatalf("problems: %v", c.Problems)
	}
	for key, want := range map[string]string{
		"worker.list":                 "c",
		"worker.c.type":               "lb",
		"worker.c.method":             "B",
		"worker.c.balance_workers":    "c_a,c_2",
		"worker.c_a.type":             "ajp13",
		"worker.c_a.route":            "a",
		"worker.c_a.lbfactor":         "100", // factors x100: one has decimals
		"worker.c_a.distance":         "2",   // +H: hot standby of lbset 0
		"worker.c_a.activation":       "Active",
		"worker.c_a.recovery_options": "17",
		"worker.c_2.type":             "http",
		"worker.c_2.scheme":           "https",
		"worker.c_2.port":             "8443",
		"worker.c_2.lbfactor":         "150",
	} {
		if p := m.Get(key); p == nil || p.Value != want {
			t.Errorf("%s = %+v, want %q", key, p, want)
		}
	}
	if pm := plan.Members["c_2"]; pm == nil || pm.URL != "https://h:8443" {
		t.Errorf("plan member c_2 = %+v", pm)
	}
}

func TestParseMemberURL(t *testing.T) {
	for _, tt := range []struct {
		in         string
		scheme     string
		host       string
		port       int
		errContain string
	}{
		{in: "ajp://h", scheme: "ajp", host: "h", port: 8009},
		{in: "HTTP://[::1]:8080/", scheme: "http", host: "::1", port: 8080},
		{in: "https://h", scheme: "https", host: "h", port: 443},
		{in: "ftp://h", errContain: "not supported"},
		{in: "http://h/app", errContain: "has a path"},
		{in: "h:8009", errContain: "not a URL"},
		{in: "ajp://h:0", errContain: "not a TCP port"},
	} {
		u, msg := ParseMemberURL(tt.in)
		if tt.errContain != "" {
			if !strings.Contains(msg, tt.errContain) {
				t.Errorf("ParseMemberURL(%q) message %q, want one containing %q", tt.in, msg, tt.errContain)
			}
			continue
		}
		if msg != "" || u.Scheme != tt.scheme || u.Host != tt.host || u.Port != tt.port {
			t.Errorf("ParseMemberURL(%q) = %+v, %q", tt.in, u, msg)
		}
	}
}
