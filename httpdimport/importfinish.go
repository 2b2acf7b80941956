package httpdimport

import (
	"net"
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
)

// What is decided once the whole configuration is read: which rules the
// one mount table gets, and which listener serves TLS (importtls.go).

// finish settles what needs the whole configuration.
func (im *importer) finish() {
	im.resolveReverses()
	im.seq = 1 << 30 // what finish reports sorts by the directive it names
	im.dropEmptyTargets()
	serving := im.servingContexts()
	im.mergeRules(serving)
	im.mergePasses(serving)
	im.applyAccess()
	im.tlsListeners()
	im.namedHosts()
}

// namedHosts reports the ServerName of virtual hosts that share a port
// with another one: httpd tells them apart by name, jkbalancer does not.
func (im *importer) namedHosts() {
	perPort := map[string]int{}
	for _, v := range im.vhosts {
		for _, a := range v.sect.args {
			perPort[vhostPort(a)]++
		}
	}
	for _, v := range im.vhosts {
		if v.nameD == nil && len(v.aliasD) == 0 {
			continue
		}
		for _, a := range v.sect.args {
			if perPort[vhostPort(a)] > 1 || perPort["*"] > 0 && len(im.vhosts) > 1 {
				for _, d := range append([]*hDirective{v.nameD}, v.aliasD...) {
					if d != nil {
						im.unscore(d, nameBased)
					}
				}
				break
			}
		}
	}
}

// dropEmptyTargets takes out every ProxyPass to a balancer without
// members: httpd answers its requests with 503.
func (im *importer) dropEmptyTargets() {
	for _, c := range append([]*hCtx{im.main}, im.vhosts...) {
		kept := c.passes[:0]
		for _, p := range c.passes {
			if b := im.balByName[p.target]; p.target != "!" && (b == nil || len(b.members) == 0) {
				im.unscore(p.d, "balancer://"+p.target+" has no BalancerMember (httpd answers 503); not imported")
				continue
			}
			kept = append(kept, p)
		}
		c.passes = kept
	}
}

// servingContexts are the servers that answer requests: every virtual
// host, and the main server when there is none or when some Listen port
// has no virtual host.
func (im *importer) servingContexts() []*hCtx {
	if len(im.vhosts) == 0 {
		return []*hCtx{im.main}
	}
	covered := map[string]bool{}
	for _, v := range im.vhosts {
		for _, a := range v.sect.args {
			covered[vhostPort(a)] = true
		}
	}
	out := append([]*hCtx(nil), im.vhosts...)
	for _, l := range im.listen {
		if !covered[l.port] && !covered["*"] {
			return append([]*hCtx{im.main}, out...)
		}
	}
	return out
}

// vhostPort is the port of a <VirtualHost> address ("*" for any).
func vhostPort(a string) string {
	if _, p, err := net.SplitHostPort(a); err == nil {
		return p
	}
	return "*"
}

// effectiveRules are a server's JkMount rules as mod_jk applies them: a
// virtual host gets the main server's only with JkMountCopy.
func (im *importer) effectiveRules(c *hCtx) []hRule {
	if c == im.main {
		return c.rules
	}
	if c.mountCopy == "on" || im.main.mountCopy == "all" && c.mountCopy != "off" {
		return append(append([]hRule(nil), im.main.rules...), c.rules...)
	}
	return c.rules
}

// effectivePasses are a server's ProxyPass rules: mod_proxy merges the
// main server's into every virtual host, first.
func (im *importer) effectivePasses(c *hCtx) []*hPass {
	if c == im.main {
		return c.passes
	}
	return append(append([]*hPass(nil), im.main.passes...), c.passes...)
}

// mergeRules builds the one mount table from the serving servers' rules
// and names every rule that httpd applied to some of them only. Rules
// are the same when their text is.
func (im *importer) mergeRules(serving []*hCtx) {
	in := map[string][]*hCtx{}
	first := map[string]hRule{}
	byPattern := map[string]hRule{}
	var order []string
	used := map[*hDirective]bool{}
	for _, c := range serving {
		seen := map[string]bool{}
		for _, r := range im.effectiveRules(c) {
			used[r.d] = true
			if seen[r.text] {
				continue
			}
			seen[r.text] = true
			if _, ok := first[r.text]; !ok {
				first[r.text] = r
				order = append(order, r.text)
			}
			in[r.text] = append(in[r.text], c)
		}
	}
	for _, text := range order {
		r := first[text]
		pattern, _, _ := strings.Cut(text, "=")
		if other, dup := byPattern[pattern]; dup {
			im.unscore(r.d, "maps "+pattern+" to another worker than "+other.d.pos.String()+" does for another server: jkbalancer has one mount table for every listener; not imported")
			continue
		}
		byPattern[pattern] = r
		im.mounts = append(im.mounts, r)
		if len(in[text]) < len(serving) {
			im.scopeNote(r.d, in[text])
		}
	}
	for _, c := range append([]*hCtx{im.main}, im.vhosts...) {
		for _, r := range c.rules {
			if !used[r.d] {
				im.unscore(r.d, "in the main server without JkMountCopy, and every request goes to a virtual host: httpd never applied it; not imported")
			}
		}
	}
}

// mergePasses does the same for ProxyPass; two servers mapping one path
// to different targets cannot both be kept.
func (im *importer) mergePasses(serving []*hCtx) {
	in := map[string][]*hCtx{}
	first := map[string]*hPass{}
	var order []string
	for _, c := range serving {
		seen := map[string]bool{}
		for _, p := range im.effectivePasses(c) {
			key := p.path + "\x00" + p.target + p.backend
			if seen[key] {
				continue
			}
			seen[key] = true
			if first[key] == nil {
				first[key] = p
				order = append(order, key)
			} else {
				// the same mapping in another server: keep its reverse flags
				first[key].reverse = first[key].reverse || p.reverse
				first[key].cookie = first[key].cookie || p.cookie
			}
			in[key] = append(in[key], c)
		}
	}
	byPath := map[string]*hPass{}
	for _, key := range order {
		p := first[key]
		if other := byPath[p.path]; other != nil {
			im.unscore(p.d, "maps "+p.path+" to another backend than the ProxyPass at "+other.d.pos.String()+" of another server: jkbalancer has one table for every listener; not imported")
			continue
		}
		byPath[p.path] = p
		im.passes = append(im.passes, p)
		if len(in[key]) < len(serving) {
			im.scopeNote(p.d, in[key])
		}
	}
}

// scopeNote reports a rule httpd applied to some servers only.
func (im *importer) scopeNote(d *hDirective, where []*hCtx) {
	labels := make([]string, len(where))
	for i, c := range where {
		labels[i] = c.label()
	}
	im.leftover(d, "in httpd it applies to "+strings.Join(labels, ", ")+" only; jkbalancer has one mount table, so it applies on every listener")
}

// unscore takes back a directive counted as imported.
func (im *importer) unscore(d *hDirective, reason string) {
	im.done--
	im.leftover(d, reason)
}

func containsPort(ports []string, p string) bool {
	for _, x := range ports {
		if x == p || x == "*" {
			return true
		}
	}
	return false
}

func (c *hCtx) posOr(file string) config.Pos {
	if c.sect != nil {
		return c.sect.pos
	}
	return config.Pos{File: file}
}
