package config

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/props"
	"github.com/jkbalancer/jkbalancer/config/proxy"
)

const BalancerScheme = "balancer://"

// proxyMounts compiles proxy_pass into mount rules of source JkMount
// (prefixRules). An entry whose to: is "!" is an exclusion for every
// worker (ProxyPass /path !).
func proxyMounts(entries []proxy.Section, workers map[string]*Worker, list []string, c *diag.Collector) []Mount {
	listed := make(map[string]bool, len(list))
	for _, n := range list {
		listed[n] = true
	}
	var out []Mount
	seen := make(map[string]Pos)
	var paths []props.Token
	for i := range entries {
		e := &entries[i]
		path, ok := proxyPassPath(e, seen, c)
		if !ok {
			continue
		}
		for _, earlier := range paths {
			if covers(earlier.Text, path.Text) {
				c.Warnf(path.Pos, "", e.Key+".path", "comes after %s (line %d), which already covers it: in httpd the first matching ProxyPass wins and this one is never used; jkbalancer uses the most specific rule, this one", earlier.Text, earlier.Pos.Line)
			}
		}
		paths = append(paths, path)
		rules := prefixRules(path.Text, path.Pos)
		to, _ := e.Get("to")
		if to.Text == "!" {
			for _, m := range rules {
				m.Worker, m.Exclude = "*", true
				out = append(out, m)
			}
			continue
		}
		pp, ok := proxyPassTarget(e, to, workers, listed, c)
		if !ok {
			continue
		}
		pp.Path = path.Text
		if strings.HasSuffix(pp.Path, "/") != strings.HasSuffix(pp.BackendPath, "/") {
			back, _ := pp.MapPath(pp.Path + "x")
			c.Warnf(to.Pos, "", e.Key+".to", "path %s and target %s do not both end with '/': httpd's ProxyPass documentation warns that such pairs lose or double slashes; %sx is sent as %s", pp.Path, to.Text, pp.Path, back)
		}
		for _, m := range rules {
			m.Worker, m.Proxy = pp.Worker, pp
			out = append(out, m)
		}
	}
	return out
}

// prefixRules are the mount patterns that match what httpd's alias_match
// matches for a ProxyPass path: the path and everything below it, on a
// segment boundary ("/app" covers "/app" and "/app/x", not "/application").
func prefixRules(path string, pos Pos) []Mount {
	base := Mount{Source: SourceJkMount, Pos: pos, Ext: Extensions{ReplyTimeout: -1}}
	below := base
	below.Pattern, below.Wildcard = path+"*", true
	if strings.HasSuffix(path, "/") {
		return []Mount{below}
	}
	below.Pattern = path + "/*"
	exact := base
	exact.Pattern = path
	return []Mount{exact, below}
}

// covers reports whether a ProxyPass path matches every request another
// one matches.
func covers(earlier, later string) bool {
	if !strings.HasPrefix(later, earlier) {
		return false
	}
	return strings.HasSuffix(earlier, "/") || len(later) == len(earlier) || later[len(earlier)] == '/'
}

// proxyPassPath checks path:.
func proxyPassPath(e *proxy.Section, seen map[string]Pos, c *diag.Collector) (props.Token, bool) {
	path, ok := e.Get("path")
	switch {
	case !ok:
		c.Errorf(e.Pos, "", e.Key+".path", "an entry needs path:, the URL prefix it serves, e.g. /app/")
		return path, false
	case !strings.HasPrefix(path.Text, "/") || strings.ContainsAny(path.Text, "*? \t"):
		c.Errorf(path.Pos, "", e.Key+".path", "%q: write a URL prefix starting with '/', without wildcards or blanks", path.Text)
		return path, false
	}
	if at, dup := seen[path.Text]; dup {
		c.Errorf(path.Pos, "", e.Key+".path", "%s is served by the entry at line %d already", path.Text, at.Line)
		return path, false
	}
	seen[path.Text] = path.Pos
	return path, true
}

// proxyPassTarget checks to:, reverse: and reverse_cookie_path:.
func proxyPassTarget(e *proxy.Section, to props.Token, workers map[string]*Worker, listed map[string]bool, c *diag.Collector) (*ProxyPass, bool) {
	if to.Text == "" {
		c.Errorf(e.Pos, "", e.Key+".to", "an entry needs to:, e.g. balancer://mycluster/ (or \"!\" to exclude the path)")
		return nil, false
	}
	rest, ok := cutPrefixFold(to.Text, BalancerScheme)
	if !ok {
		c.Errorf(to.Pos, "", e.Key+".to", "%q: the target is balancer://NAME[/path]; for a single backend URL, define a balancer with that one member", to.Text)
		return nil, false
	}
	name, backend, slash := strings.Cut(rest, "/")
	if slash {
		backend = "/" + backend
	}
	pp := &ProxyPass{Worker: name, BackendPath: backend}
	w := workers[name]
	if w == nil || !listed[name] {
		c.Errorf(to.Pos, "", e.Key+".to", "no balancer %q: name one of balancers:, or a worker in worker.list", name)
		return nil, false
	}
	for _, f := range []struct {
		key string
		dst *bool
	}{{"reverse", &pp.Reverse}, {"reverse_cookie_path", &pp.ReverseCookiePath}} {
		t, ok := e.Get(f.key)
		if !ok {
			continue
		}
		on, valid := proxy.ParseBool(t.Text)
		if !valid {
			c.Errorf(t.Pos, "", e.Key+"."+f.key, "%q: write true or false", t.Text)
		}
		*f.dst = on
	}
	return pp, true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
