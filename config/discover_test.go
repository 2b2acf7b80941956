package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestParseDiscover: the two forms of discover= and what they refuse.
func TestParseDiscover(t *testing.T) {
	for v, want := range map[string]string{
		"srv:_ajp._tcp.tomcat.ns.svc.cluster.local.": "srv:_ajp._tcp.tomcat.ns.svc.cluster.local",
		"SRV: tomcat":                    "srv:tomcat",
		"dns:tomcat:8010":                "dns:tomcat:8010",
		"dns:tomcat":                     "dns:tomcat:0",
		"dns:tomcat:0":                   "",
		"dns:tomcat:x":                   "",
		"dns:[::1]:8009":                 "",
		"a:tomcat":                       "",
		"tomcat":                         "",
		"srv:":                           "",
		"srv:" + strings.Repeat("a", 64): "",
		"srv:a b":                        "",
	} {
		var d Discover
		got := ""
		if parseDiscover(v, &d) {
			got = d.String()
		}
		if got != want {
			t.Errorf("%q: %q, want %q", v, got, want)
		}
	}
}

// TestDiscoverTemplateInherits: the members start from the template's
// attributes, without its host and route; the lb secret stays the lb's.
func TestDiscoverTemplateInherits(t *testing.T) {
	l := memLoader(Sources{WorkersFile: "w"}, map[string][]byte{"w": []byte(
		"worker.list=lb\nworker.lb.type=lb\nworker.lb.discover=dns:t.example\nworker.lb.discover_template=base\n" +
			"worker.lb.mount=/*\nworker.base.reference=worker.common\nworker.common.port=8010\n" +
			"worker.common.reply_timeout=3000\nworker.common.domain=rack1\nworker.common.activation=D\n")})
	cfg, ps := l.load()
	if cfg == nil {
		t.Fatal(ps)
	}
	d := cfg.Workers["lb"].LB.Discover
	if d == nil || d.Port != 8010 || d.Type != TypeAJP13 || d.Interval != 10 {
		t.Fatalf("discover %+v", d)
	}
	m := d.Member
	if m.ReplyTimeout != 3000 || m.Domain != "rack1" || m.Activation != Disabled || m.Host != "" || m.Route != "" {
		t.Errorf("template attributes %+v", m)
	}
	if cfg.Workers["base"] != nil || cfg.Workers["common"] != nil {
		t.Error("a template is not a worker of its own")
	}
	for _, p := range ps {
		if strings.Contains(p.Message, "neither listed") {
			t.Errorf("template reported unused: %v", p)
		}
	}
}

// TestReadmeDiscoverExample: the workers.properties of the
// "Members from DNS" section (docs/config.md) loads without an error or a warning.
func TestReadmeDiscoverExample(t *testing.T) {
	data, err := os.ReadFile("../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(data), "## Members from DNS (Kubernetes)")
	m := regexp.MustCompile("(?s)```properties\n(.*?)```").FindStringSubmatch(sec)
	if !ok || m == nil {
		t.Fatal("docs/config.md has no Members from DNS section with a properties block")
	}
	dir := t.TempDir()
	wf := filepath.Join(dir, "workers.properties")
	if err := os.WriteFile(wf, []byte(m[1]), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) { return "s3cret", k == "AJP_SECRET" }
	cfg, ps := Load(Sources{WorkersFile: wf, Mounts: []string{"/*=lb", "/jk-status=jkstatus"}, LookupEnv: env})
	if cfg == nil || len(ps) > 0 {
		t.Fatalf("README example: %v", ps)
	}
	if ws := cfg.RiskWarnings(); len(ws) > 0 {
		t.Errorf("README example risks: %v", ws)
	}
	d := cfg.Workers["lb"].LB.Discover
	if d == nil || d.Kind != DiscoverSRV || d.Member.Secret != "s3cret" || d.Member.RecoveryOptions != 3 {
		t.Errorf("discover %+v", d)
	}
}
