package httpdimport

import (
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/config/proxy"
)

// The mod_proxy side of the import: <Proxy balancer://NAME>,
// BalancerMember, ProxySet, ProxyPass and its reverse directives become
// balancers: and proxy_pass: (config/proxy).

// hBalancer is one balancer as the configuration builds it up.
type hBalancer struct {
	name    string
	params  []hParam
	members []*hMember
	// single is set for a balancer made up for a ProxyPass to one backend
	// URL (mod_proxy's plain worker).
	single string
}

type hMember struct {
	url    string
	params []hParam
	d      *hDirective
}

type hParam struct{ key, value string }

// hPass is one ProxyPass.
type hPass struct {
	path    string
	url     string // as written
	target  string // balancer name, or "!"
	backend string // the target URL's path
	reverse bool
	cookie  bool
	d       *hDirective
	ctx     *hCtx
}

func isKey(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// parseBalancerURL splits balancer://NAME[/path]; mod_proxy lower-cases
// balancer names.
func parseBalancerURL(url string) (name, path string, ok bool) {
	rest, ok := cutPrefixFold(url, config.BalancerScheme)
	if !ok {
		return "", "", false
	}
	name, path, slash := strings.Cut(rest, "/")
	if slash {
		path = "/" + path
	}
	name = strings.ToLower(name)
	return name, path, proxy.ValidWorkerName(name)
}

// cutPrefixFold is strings.CutPrefix ignoring case: httpd matches the
// balancer:// scheme case-insensitively.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// balancer returns the balancer of a balancer:// URL, creating it.
func (im *importer) balancer(url string) (*hBalancer, string, bool) {
	name, path, ok := parseBalancerURL(url)
	if !ok {
		return nil, "", false
	}
	b := im.balByName[name]
	if b == nil {
		b = &hBalancer{name: name}
		im.balByName[name] = b
		im.bals = append(im.bals, b)
	}
	return b, path, true
}

// params splits key=value arguments, keeping those keys accepts and
// reporting the others on d. Keys are lower-cased as mod_proxy compares
// them case-insensitively.
func (im *importer) params(d *hDirective, args []string, keys []string, what string) []hParam {
	var out []hParam
	var bad []string
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		k = strings.ToLower(k)
		if !ok || !isKey(keys, k) {
			bad = append(bad, a)
			continue
		}
		out = append(out, hParam{k, v})
	}
	if len(bad) > 0 {
		im.leftover(d, what+" "+strings.Join(bad, " ")+": not carried over (jkbalancer takes "+strings.Join(keys, ", ")+")")
	}
	return out
}

// importMemberKeys are the BalancerMember parameters the import carries.
var importMemberKeys = []string{"route", "loadfactor", "lbset", "status", "retry", "redirect", "secret",
	"timeout", "connectiontimeout", "ping", "max", "ttl", "acquire", "keepalive"}

// proxyTarget returns the URL a BalancerMember or ProxySet applies to
// (the enclosing <Proxy>'s, else its first argument) and the rest of its
// arguments.
func proxyTarget(d *hDirective) (url string, args []string) {
	if sect := d.in("proxy"); sect != nil {
		return sect.arg, d.args
	}
	if len(d.args) > 0 {
		return d.args[0], d.args[1:]
	}
	return "", nil
}

func (im *importer) balancerMember(d *hDirective) {
	burl, args := proxyTarget(d)
	b, _, ok := im.balancer(burl)
	if !ok {
		im.leftover(d, "not a member of a balancer://NAME (a name of letters, digits, '_', '-', '.')")
		return
	}
	if len(args) == 0 {
		im.leftover(d, "no member URL")
		return
	}
	if _, msg := proxy.ParseMemberURL(args[0]); msg != "" {
		im.leftover(d, msg)
		return
	}
	m := &hMember{url: args[0], d: d}
	m.params = im.params(d, args[1:], importMemberKeys, "parameter")
	b.members = append(b.members, m)
	im.take()
}

// importBalancerKeys are the balancer parameters the import carries.
var importBalancerKeys = []string{"lbmethod", "stickysession", "stickysessionsep", "nofailover", "maxattempts",
	"timeout", "failonstatus", "forcerecovery"}

func (im *importer) proxySet(d *hDirective) {
	url, args := proxyTarget(d)
	b, _, ok := im.balancer(url)
	if !ok {
		im.leftover(d, "ProxySet on a single worker URL: only balancer://NAME settings are carried over")
		return
	}
	b.params = append(b.params, im.params(d, args, importBalancerKeys, "parameter")...)
	im.take()
}

func (im *importer) proxyRequests(d *hDirective) {
	if len(d.args) == 1 && strings.EqualFold(d.args[0], "off") {
		im.take()
		return
	}
	im.leftover(d, "a forward proxy: jkbalancer is a reverse proxy only")
}

// proxyPassDirective reads ProxyPass [PATH] URL|! [key=value...].
func (im *importer) proxyPassDirective(d *hDirective) {
	args := d.args
	path := ""
	if loc := d.in("location"); loc != nil {
		path = loc.arg
	} else if len(args) > 0 {
		path, args = args[0], args[1:]
	}
	if len(args) == 0 || !strings.HasPrefix(path, "/") {
		im.leftover(d, "ProxyPass takes a path starting with '/' and a URL (or !); httpd refuses this line")
		return
	}
	if strings.ContainsAny(path, "*? \t") {
		im.leftover(d, "a path with wildcards: jkbalancer's proxy_pass takes a plain prefix")
		return
	}
	p := &hPass{path: path, url: args[0], d: d, ctx: im.ctx(d)}
	switch {
	case p.url == "!":
		p.target = "!"
	default:
		b, backend, ok := im.balancer(p.url)
		if ok {
			b.params = append(b.params, im.params(d, args[1:], importBalancerKeys, "parameter")...)
		} else if b, backend, ok = im.singleBackend(d, p.url, args[1:]); !ok {
			return
		}
		p.target, p.backend = b.name, backend
	}
	p.ctx.passes = append(p.ctx.passes, p)
	im.take()
}

// singleBackend turns ProxyPass PATH scheme://host:port/path into a
// balancer with that one member, named after the host and port; the
// ProxyPass parameters are the member's.
func (im *importer) singleBackend(d *hDirective, url string, params []string) (*hBalancer, string, bool) {
	scheme, rest, _ := strings.Cut(url, "://")
	hostport, path, slash := strings.Cut(rest, "/")
	if slash {
		path = "/" + path
	}
	member := scheme + "://" + hostport
	if _, msg := proxy.ParseMemberURL(member); msg != "" {
		im.leftover(d, msg)
		return nil, "", false
	}
	if name, ok := im.singles[strings.ToLower(member)]; ok {
		return im.balByName[name], path, true
	}
	base := "backend_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(strings.Trim(hostport, "[]")))
	name := base
	for n := 2; im.balByName[name] != nil; n++ {
		name = base + "_" + strconv.Itoa(n)
	}
	b := &hBalancer{name: name, single: url}
	b.members = []*hMember{{url: member, d: d, params: im.params(d, params, importMemberKeys, "parameter")}}
	im.balByName[name] = b
	im.bals = append(im.bals, b)
	im.singles[strings.ToLower(member)] = name
	return b, path, true
}

// hReverse is a ProxyPassReverse or ProxyPassReverseCookiePath waiting
// for the end of the file, where every ProxyPass is known.
type hReverse struct {
	d          *hDirective
	path, real string
	cookie     bool
	seq        int
}

func (im *importer) proxyPassReverse(d *hDirective) {
	args := d.args
	path := ""
	if loc := d.in("location"); loc != nil {
		path = loc.arg
	} else if len(args) > 0 {
		path, args = args[0], args[1:]
	}
	if len(args) == 0 {
		im.leftover(d, "ProxyPassReverse takes a path and a URL")
		return
	}
	im.reverses = append(im.reverses, hReverse{d: d, path: path, real: args[0], seq: im.seq})
}

func (im *importer) proxyPassReverseCookiePath(d *hDirective) {
	if len(d.args) < 2 {
		im.leftover(d, "ProxyPassReverseCookiePath takes the backend path and the public path")
		return
	}
	im.reverses = append(im.reverses, hReverse{d: d, path: d.args[1], real: d.args[0], cookie: true, seq: im.seq})
}

// resolveReverses pairs every ProxyPassReverse(CookiePath) with the
// ProxyPass of the same path: that is the one jkbalancer's reverse:
// flags can express.
func (im *importer) resolveReverses() {
	for _, r := range im.reverses {
		im.seq = r.seq
		p := im.passFor(r)
		switch {
		case p == nil && r.cookie:
			im.leftover(r.d, "matches no ProxyPass with the backend path "+r.real+" and the public path "+r.path+"; jkbalancer rewrites cookie paths only as reverse_cookie_path of a proxy_pass entry")
		case p == nil:
			im.leftover(r.d, "matches no ProxyPass "+r.path+" to the same backend; jkbalancer rewrites headers only as reverse: of a proxy_pass entry")
		case r.cookie:
			p.cookie = true
			im.take()
		default:
			p.reverse = true
			im.take()
		}
	}
}

// passFor finds the ProxyPass a reverse directive belongs to.
func (im *importer) passFor(r hReverse) *hPass {
	trim := func(s string) string { return strings.TrimSuffix(s, "/") }
	for _, c := range append([]*hCtx{im.main}, im.vhosts...) {
		for _, p := range c.passes {
			if p.target == "!" {
				continue
			}
			if r.cookie {
				if trim(p.backend) == trim(r.real) && trim(p.path) == trim(r.path) {
					return p
				}
				continue
			}
			if p.path == r.path && im.sameBackend(p, r.real) {
				return p
			}
		}
	}
	return nil
}

// sameBackend reports whether a ProxyPassReverse URL names the backend of
// p: the same URL, the path alone, or one of the balancer's member URLs
// followed by the path (ap_proxy_location_reverse_map's cases).
func (im *importer) sameBackend(p *hPass, real string) bool {
	if strings.EqualFold(real, p.url) || real == p.backend {
		return true
	}
	if name, path, ok := parseBalancerURL(real); ok {
		return name == p.target && path == p.backend
	}
	if b := im.balByName[p.target]; b != nil {
		for _, m := range b.members {
			if strings.EqualFold(strings.TrimSuffix(m.url, "/")+p.backend, real) {
				return true
			}
		}
	}
	return false
}
