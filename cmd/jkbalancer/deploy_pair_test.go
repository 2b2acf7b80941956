package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// keepalivedConf is what the test reads of a keepalived.conf.
type keepalivedConf struct {
	state, vip, script string
	routerID, priority int
	weight             int
	tracked, defined   string // track_script entry, vrrp_script name
}

func readKeepalived(t *testing.T, name string) keepalivedConf {
	t.Helper()
	text := readRepoFile(t, filepath.Join("deploy/keepalived", name))
	field := func(re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("%s: no match for %s", name, re)
		}
		return m[1]
	}
	num := func(re string) int {
		n, err := strconv.Atoi(field(re))
		if err != nil {
			t.Fatalf("%s: %s: %v", name, re, err)
		}
		return n
	}
	return keepalivedConf{
		state:    field(`(?m)^\s*state (\S+)`),
		routerID: num(`(?m)^\s*virtual_router_id (\d+)`),
		priority: num(`(?m)^\s*priority (\d+)`),
		weight:   num(`(?m)^\s*weight (-?\d+)`),
		vip:      field(`(?s)virtual_ipaddress \{\s*(\S+)`),
		script:   field(`(?m)^\s*script "([^"]+)"`),
		defined:  field(`(?m)^vrrp_script (\S+) \{`),
		tracked:  field(`(?s)track_script \{\s*(\S+)`),
	}
}

// TestKeepalivedPair: the two halves form one VRRP instance, a failing
// check really hands the address over (the weight outweighs the priority
// gap), and the check script they run is the one shipped here.
func TestKeepalivedPair(t *testing.T) {
	a, b := readKeepalived(t, "keepalived-master.conf"), readKeepalived(t, "keepalived-backup.conf")
	if a.state != "MASTER" || b.state != "BACKUP" {
		t.Errorf("states %s/%s, want MASTER/BACKUP", a.state, b.state)
	}
	if a.routerID != b.routerID || a.vip != b.vip {
		t.Errorf("virtual_router_id %d/%d, virtual IP %s/%s: must be the same on both hosts", a.routerID, b.routerID, a.vip, b.vip)
	}
	if a.priority <= b.priority {
		t.Errorf("priority %d (master) <= %d (backup)", a.priority, b.priority)
	}
	if a.weight >= 0 || a.priority+a.weight >= b.priority {
		t.Errorf("master priority %d with weight %d stays >= the backup's %d: a dead balancer would keep the address",
			a.priority, a.weight, b.priority)
	}
	for _, c := range []keepalivedConf{a, b} {
		if c.tracked != c.defined {
			t.Errorf("track_script %s, but the vrrp_script is %s", c.tracked, c.defined)
		}
		if _, err := os.Stat(filepath.Join(repoRoot, "deploy/keepalived", filepath.Base(c.script))); err != nil {
			t.Errorf("the check %s is not in deploy/keepalived: %v", c.script, err)
		}
	}
	for _, s := range []string{"check_jkbalancer.sh", "notify_jkbalancer.sh"} {
		p := filepath.Join(repoRoot, "deploy/keepalived", s)
		if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s: missing or not executable (%v)", s, err)
			continue
		}
		if out, err := exec.Command("sh", "-n", p).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", s, err, out)
		}
	}
}
