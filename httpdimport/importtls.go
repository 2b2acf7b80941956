package httpdimport

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/config/proxy"
)

// The SSL side of the import: SSLEngine and the certificate directives
// per server, then one listener per Listen port with the default
// certificate, the SNI certificates of the other SSL virtual hosts on it,
// SSLProtocol and SSLVerifyClient.

func (im *importer) sslEngine(d *hDirective) {
	if !im.arity(d, 1, 1) {
		return
	}
	on, ok := proxy.ParseBool(d.args[0])
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
		if a, ok := config.ParseClientAuth(d.args[0]); ok && a != config.ClientAuthNone {
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
		if a, ok := config.ParseClientAuth(d.args[0]); ok && a != config.ClientAuthNone {
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
