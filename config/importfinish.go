package config

import (
	"net"
	"strings"
)

// SSL directives, and what is decided once the whole configuration is
// read: which rules the one mount table gets, and which listener serves
// TLS with which certificate.

func (im *importer) sslEngine(d *hDirective) {
	if !im.arity(d, 1, 1) {
		return
	}
	on, ok := proxyBool(d.args[0])
	if !ok {
		im.leftover(d, "SSLEngine takes on or off here (optional is not supported)")
		return
	}
	im.ctx(d).ssl = on
	im.take()
}

func (im *importer) sslFile(d *hDirective, cert bool) {
	if !im.arity(d, 1, 1) {
		return
	}
	c := im.ctx(d)
	if cert {
		if c.cert != "" {
			im.leftover(d, "a second certificate for the same server (e.g. RSA and ECDSA): jkbalancer serves one per listener; the first is kept")
			return
		}
		c.cert, c.certPos = d.path(d.args[0]), d.pos
	} else {
		if c.key != "" {
			im.leftover(d, "a second key for the same server: the first is kept")
			return
		}
		c.key = d.path(d.args[0])
	}
	im.take()
}

func (im *importer) sslProxyVerifyDirective(d *hDirective) {
	if !im.arity(d, 1, 1) {
		return
	}
	im.sslProxyVerify = strings.EqualFold(d.args[0], "require")
	im.take()
}

func (im *importer) sslProxyCADirective(d *hDirective) {
	if im.arity(d, 1, 1) {
		im.sslProxyCA = d.path(d.args[0])
		im.take()
	}
}

// finish settles what needs the whole configuration.
func (im *importer) finish() {
	im.resolveReverses()
	im.seq = 1 << 30 // what finish reports sorts by the directive it names
	im.dropEmptyTargets()
	serving := im.servingContexts()
	im.mergeRules(serving)
	im.mergePasses(serving)
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

// hSNI is an SSL virtual host that shares a port with the listener's
// default one: its certificate is chosen by SNI name.
type hSNI struct {
	ctx       *hCtx
	cert, key string
}

// tlsListeners gives each Listen port the certificates of the SSL servers
// on it: the first one's is the default, the others' are chosen by SNI
// (their ServerName and ServerAlias), as name-based SSL virtual hosts are.
func (im *importer) tlsListeners() {
	for _, c := range append([]*hCtx{im.main}, im.vhosts...) {
		if !c.ssl {
			continue
		}
		cert, key := c.cert, c.key
		if cert == "" { // mod_ssl: a virtual host inherits the main server's files
			cert, key = im.main.cert, im.main.key
		}
		if cert == "" || key == "" {
			im.leftover(&hDirective{text: "SSLEngine on", pos: c.posOr(im.file)}, "no SSLCertificateFile and SSLCertificateKeyFile for "+c.label()+": its listener stays plain HTTP")
			continue
		}
		ports := []string{"*"}
		if c.sect != nil {
			ports = nil
			for _, a := range c.sect.args {
				ports = append(ports, vhostPort(a))
			}
		}
		for _, l := range im.listen {
			switch {
			case !containsPort(ports, l.port):
			case l.tls == nil:
				l.tls, l.cert, l.key = c, cert, key
				im.listenerTLS(l, c)
			case c.sect != nil:
				l.sni = append(l.sni, hSNI{ctx: c, cert: cert, key: key})
				im.sameClientAuth(l, c)
			}
		}
	}
	for _, l := range im.listen {
		if l.https && l.tls == nil {
			im.leftover(l.d, "no SSL virtual host with a certificate serves this port: it stays plain HTTP")
		}
	}
}

// inherited returns a virtual host's SSL directive, or the main server's.
func (im *importer) inherited(c *hCtx, get func(*hCtx) *hDirective) *hDirective {
	if d := get(c); d != nil {
		return d
	}
	return get(im.main)
}

// listenerTLS takes the protocol and client-certificate settings of the
// listener's default SSL server.
func (im *importer) listenerTLS(l *hListen, c *hCtx) {
	if d := im.inherited(c, func(x *hCtx) *hDirective { return x.protocol }); d != nil {
		v, reason := minTLS(d.args)
		l.minVersion = v
		if reason != "" {
			im.leftover(d, reason)
		}
	}
	if d := im.inherited(c, func(x *hCtx) *hDirective { return x.verify }); d != nil && len(d.args) == 1 {
		if a, ok := parseClientAuth(d.args[0]); ok && a != ClientAuthNone {
			l.clientAuth = a.String()
		} else if !ok {
			im.leftover(d, "not a value jkbalancer knows (none, optional_no_ca, optional, require)")
		}
	}
	l.clientCA = c.ca
	if l.clientCA == "" {
		l.clientCA = im.main.ca
	}
}

// sameClientAuth reports an SNI virtual host whose client-certificate
// policy differs from the listener's: jkbalancer has one per listener.
func (im *importer) sameClientAuth(l *hListen, c *hCtx) {
	d := im.inherited(c, func(x *hCtx) *hDirective { return x.verify })
	mine := ""
	if d != nil && len(d.args) == 1 {
		if a, ok := parseClientAuth(d.args[0]); ok && a != ClientAuthNone {
			mine = a.String()
		}
	}
	if mine != l.clientAuth && d != nil {
		im.leftover(d, "client certificates are set per listener in jkbalancer; port "+l.port+" uses the policy of "+l.tls.label())
	}
}

// minTLS reads SSLProtocol into a min_version ("" = jkbalancer's 1.2)
// and, when jkbalancer cannot do the same, why.
func minTLS(args []string) (string, string) {
	order := []string{"sslv3", "tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3"}
	on := map[string]bool{}
	for _, a := range args {
		sign := byte(0)
		if a != "" && (a[0] == '+' || a[0] == '-') {
			sign, a = a[0], a[1:]
		}
		names := []string{strings.ToLower(a)}
		if names[0] == "all" {
			names = order[1:]
		}
		if sign == 0 {
			on = map[string]bool{} // a bare protocol starts over
		}
		for _, n := range names {
			on[n] = sign != '-'
		}
	}
	lowest := ""
	for _, n := range order {
		if on[n] {
			lowest = n
			break
		}
	}
	switch lowest {
	case "tlsv1.3":
		return "1.3", ""
	case "tlsv1.2":
		if !on["tlsv1.3"] {
			return "", "TLS 1.3 is off here; jkbalancer's listeners always offer it"
		}
		return "", ""
	case "":
		return "", "no protocol left enabled"
	}
	return "", "allows " + lowest + ", below TLS 1.2: jkbalancer's listeners start at TLS 1.2"
}

func containsPort(ports []string, p string) bool {
	for _, x := range ports {
		if x == p || x == "*" {
			return true
		}
	}
	return false
}

func (c *hCtx) posOr(file string) Pos {
	if c.sect != nil {
		return c.sect.pos
	}
	return Pos{File: file}
}
