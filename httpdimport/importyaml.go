package httpdimport

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/config/proxy"
)

// The import writes jkbalancer.yaml as text so that every entry can say,
// in a comment, which httpd line it came from. Strings are written
// double-quoted with Go's escapes, which YAML's double-quoted style
// shares; plain numbers are written bare.

type yamlOut struct{ b strings.Builder }

var yamlNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// q quotes a scalar.
func q(s string) string {
	if yamlNumber.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}

func (w *yamlOut) line(indent int, text, from string) {
	w.b.WriteString(strings.Repeat("  ", indent))
	w.b.WriteString(text)
	if from != "" {
		w.b.WriteString("  # ")
		w.b.WriteString(from)
	}
	w.b.WriteByte('\n')
}

func (w *yamlOut) comment(text string) { w.line(0, "# "+text, "") }

// yaml renders the imported configuration.
func (im *importer) yaml() []byte {
	w := &yamlOut{}
	w.comment("Imported from " + im.file + " by jkbalancer import.")
	w.comment("What could not be carried over was listed on stderr, with its line.")
	im.yamlListen(w)
	if im.serverName != "" {
		w.line(0, "server_name: "+q(im.serverName), "")
	}
	if im.workersFile != "" {
		w.line(0, "workers_file: "+q(im.workersFile), "JkWorkersFile, read in place")
	}
	if im.mountFile != "" {
		w.line(0, "mount_file: "+q(im.mountFile), "JkMountFile, read in place")
	}
	if im.mountFileReload != "" {
		w.line(0, "mount_file_reload: "+q(im.mountFileReload), "")
	}
	list := func(key string, items []string, from func(i int) string) {
		if len(items) == 0 {
			return
		}
		w.line(0, key+":", "")
		for i, it := range items {
			w.line(1, "- "+q(it), from(i))
		}
	}
	list("worker_properties", im.workerProps, func(int) string { return "" })
	texts := make([]string, len(im.mounts))
	for i, r := range im.mounts {
		texts[i] = r.text
	}
	list("mounts", texts, func(i int) string { return im.mounts[i].d.pos.String() })
	list("options", im.options, func(int) string { return "" })
	if len(im.envVars) > 0 {
		w.line(0, "env_vars:", "")
		for _, e := range im.envVars {
			w.line(1, q(e.name)+": "+q(e.value), "")
		}
	}
	im.yamlLog(w)
	im.yamlBalancers(w)
	im.yamlPasses(w)
	return []byte(w.b.String())
}

func (im *importer) yamlListen(w *yamlOut) {
	w.line(0, "listen:", "")
	if len(im.listen) == 0 {
		w.line(1, `- ":80"`, "no Listen in the configuration: httpd's usual port")
		return
	}
	for _, l := range im.listen {
		if l.tls == nil {
			w.line(1, "- "+q(l.addr), l.pos.String())
			continue
		}
		w.line(1, "- addr: "+q(l.addr), l.pos.String())
		w.line(2, "tls:", l.tls.label())
		w.line(3, "cert_file: "+q(l.cert), "")
		w.line(3, "key_file: "+q(l.key), "")
		for _, kv := range [][2]string{{"min_version", l.minVersion}, {"client_auth", l.clientAuth}, {"client_ca_file", l.clientCA}} {
			if kv[1] != "" {
				w.line(3, kv[0]+": "+q(kv[1]), "")
			}
		}
		if len(l.sni) == 0 {
			continue
		}
		w.line(3, "certificates:", "by SNI name")
		for _, s := range l.sni {
			w.line(4, "- cert_file: "+q(s.cert), s.ctx.label())
			w.line(5, "key_file: "+q(s.key), "")
			names := append([]string{}, s.ctx.aliases...)
			if s.ctx.name != "" {
				names = append([]string{s.ctx.name}, names...)
			}
			if len(names) > 0 {
				quoted := make([]string, len(names))
				for i, n := range names {
					quoted[i] = q(n)
				}
				w.line(5, "server_names: ["+strings.Join(quoted, ", ")+"]", "")
			}
		}
	}
}

func (im *importer) yamlLog(w *yamlOut) {
	if im.logFile == "" && im.logLevel == "" && im.requestFormat == "" {
		return
	}
	w.line(0, "log:", "")
	for _, kv := range [][2]string{{"file", im.logFile}, {"level", im.logLevel}, {"request_format", im.requestFormat}} {
		if kv[1] != "" {
			w.line(1, kv[0]+": "+q(kv[1]), "")
		}
	}
}

// dedupe keeps the last value of every key, at the place of its first
// occurrence: a later ProxySet or ProxyPass parameter wins in httpd.
func dedupe(ps []hParam) []hParam {
	at := map[string]int{}
	var out []hParam
	for _, p := range ps {
		if i, ok := at[p.key]; ok {
			out[i].value = p.value
			continue
		}
		at[p.key] = len(out)
		out = append(out, p)
	}
	return out
}

func (im *importer) yamlBalancers(w *yamlOut) {
	var bals []*hBalancer
	for _, b := range im.bals {
		if len(b.members) > 0 {
			bals = append(bals, b)
		}
	}
	if len(bals) == 0 {
		return
	}
	w.line(0, "balancers:", "")
	for _, b := range bals {
		from := "<Proxy balancer://" + b.name + ">"
		if b.single != "" {
			from = "the one backend of ProxyPass ... " + b.single
		}
		w.line(1, b.name+":", from)
		for _, p := range dedupe(b.params) {
			w.line(2, p.key+": "+q(p.value), "")
		}
		w.line(2, "members:", "")
		for _, m := range b.members {
			w.line(3, "- url: "+q(m.url), m.d.pos.String())
			for _, p := range dedupe(m.params) {
				w.line(4, p.key+": "+q(p.value), "")
			}
			if mu, _ := proxy.ParseMemberURL(m.url); mu.Scheme == config.SchemeHTTPS {
				// httpd checks a member's certificate only with
				// SSLProxyVerify require (the default is none).
				w.line(4, "tls_verify: "+strconv.FormatBool(im.sslProxyVerify), "SSLProxyVerify")
				if im.sslProxyCA != "" {
					w.line(4, "tls_ca_file: "+q(im.sslProxyCA), "SSLProxyCACertificateFile")
				}
			}
		}
	}
}

func (im *importer) yamlPasses(w *yamlOut) {
	if len(im.passes) == 0 {
		return
	}
	w.line(0, "proxy_pass:", "")
	for _, p := range im.passes {
		w.line(1, "- path: "+q(p.path), p.d.pos.String())
		if p.target == "!" {
			w.line(2, `to: "!"`, "")
			continue
		}
		w.line(2, "to: "+q(config.BalancerScheme+p.target+p.backend), "")
		if p.reverse {
			w.line(2, "reverse: true", "ProxyPassReverse")
		}
		if p.cookie {
			w.line(2, "reverse_cookie_path: true", "ProxyPassReverseCookiePath")
		}
	}
}
