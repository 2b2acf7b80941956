package config

import (
	"sort"
	"strings"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/mount"
	"github.com/jkbalancer/jkbalancer/config/props"
)

// The mount rules are config/mount's; config keeps their names so
// callers are unchanged.
type (
	Mount       = mount.Rule
	MountTable  = mount.Table
	MountSource = mount.Source
	Extensions  = mount.Extensions
	ProxyPass   = mount.ProxyPass
)

// Where a mount rule came from, in precedence order.
const (
	SourceWorkerDef = mount.SourceWorkerDef
	SourceJkMount   = mount.SourceJkMount
	SourceURIMap    = mount.SourceURIMap
)

// MaxMatchURI is the longest normalised URI mod_jk maps.
const MaxMatchURI = mount.MaxMatchURI

// NewMountTable sorts rules into mod_jk's precedence order.
func NewMountTable(rules []Mount) *MountTable { return mount.NewTable(rules) }

// CheckMounts reports rules that mod_jk would accept but that cannot work
// as written: a worker missing from worker.list (the request gets 500,
// "Could not find a worker") and extensions that only apply to lb
// workers. Load calls it; call it again after LoadMountFile on reload.
// It only returns warnings.
func (c *Config) CheckMounts(rules []Mount) Problems {
	var col diag.Collector
	listed := make(map[string]bool, len(c.List))
	for _, n := range c.List {
		listed[n] = true
	}
	for i := range rules {
		r := &rules[i]
		if r.Worker == "*" && r.Exclude {
			continue
		}
		if !listed[r.Worker] {
			col.Warnf(r.Pos, r.Worker, "worker.list", "mount %s names worker %s, which is not in worker.list: matching requests get 500 like in mod_jk; add it to worker.list",
				r.Pattern, r.Worker)
			continue
		}
		c.checkExtensions(r, &col)
	}
	return col.Problems
}

// checkExtensions warns about lb-only extensions on other workers and
// about activation overrides naming unknown members.
func (c *Config) checkExtensions(r *Mount, col *diag.Collector) {
	w := c.Workers[r.Worker]
	if w == nil {
		return
	}
	e := &r.Ext
	if w.LB == nil {
		var lbOnly []string
		for _, f := range []struct {
			set  bool
			name string
		}{
			{len(e.Active) > 0, "active"}, {len(e.Disabled) > 0, "disabled"}, {len(e.Stopped) > 0, "stopped"},
			{e.StickyIgnore, "sticky_ignore"}, {e.SessionCookie != "", "session_cookie"},
			{e.SessionPath != "", "session_path"}, {e.SetSessionCookie, "set_session_cookie"},
		} {
			if f.set {
				lbOnly = append(lbOnly, f.name)
			}
		}
		if len(lbOnly) > 0 {
			col.Warnf(r.Pos, r.Worker, lbOnly[0], "rule %s: extension %s applies only to lb workers; ignored for this %s worker",
				r.Pattern, strings.Join(lbOnly, ", "), w.Type)
		}
		return
	}
	members := make(map[string]bool, len(w.LB.BalanceWorkers))
	for _, m := range w.LB.BalanceWorkers {
		members[m] = true
	}
	for _, list := range []struct {
		name  string
		names []string
	}{{"active", e.Active}, {"disabled", e.Disabled}, {"stopped", e.Stopped}} {
		for _, m := range list.names {
			if !members[m] {
				col.Warnf(r.Pos, r.Worker, list.name, "rule %s: %s is not a member of lb %s; ignored", r.Pattern, m, r.Worker)
			}
		}
	}
}

// workerMounts compiles worker.X.mount for the listed workers: the
// worker is implied, no extensions, no '|' shortcut (docs/config.md#mounts).
func workerMounts(m *props.Map, list []string, workers map[string]*Worker, c *diag.Collector) []Mount {
	listed := make(map[string]bool, len(list))
	var rules []Mount
	for _, name := range list {
		listed[name] = true
		r := attrReader{m: m, name: name, c: c}
		for _, t := range r.list("mount") {
			if mt, ok := mount.NewRule(t.Text, name, SourceWorkerDef, t.Pos, c); ok {
				rules = append(rules, mt)
			}
		}
	}
	names := make([]string, 0, len(workers))
	for name := range workers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := m.Get("worker." + name + ".mount")
		// An inherited mount comes from a template and says nothing about
		// this member; only a member's own mount line is worth a warning.
		if !listed[name] && p != nil && !p.Inherited {
			c.Warnf(p.Pos, name, "mount", "ignored: worker.%s.mount is only honoured for workers in worker.list", name)
		}
	}
	return rules
}
