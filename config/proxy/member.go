package proxy

import (
	"math"
	"net"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/props"
)

// MemberURL is a BalancerMember URL taken apart.
type MemberURL struct {
	Scheme string // ajp, http or https
	Host   string
	Port   int
}

// ParseMemberURL reads scheme://host[:port][/]. It returns a message
// saying what is wrong, or "".
func ParseMemberURL(s string) (MemberURL, string) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return MemberURL{}, strconv.Quote(s) + " is not a URL: write e.g. ajp://10.0.0.1:8009 or http://10.0.0.1:8080"
	}
	u := MemberURL{Scheme: strings.ToLower(scheme)}
	switch u.Scheme {
	case "ajp":
		u.Port = defaultAJPPort
	case "http":
		u.Port = defaultHTTPPort
	case "https":
		u.Port = defaultHTTPSPort
	default:
		return u, "scheme " + strconv.Quote(scheme) + " is not supported: members speak ajp, http or https"
	}
	hostport, path, _ := strings.Cut(rest, "/")
	if path != "" {
		// mod_proxy prefixes the member's path to every request URI; one
		// URI is sent whichever member answers, so the path belongs in the
		// proxy_pass target instead.
		return u, "the member URL has a path (/" + path + "): members are scheme://host:port; put the path in proxy_pass to: balancer://NAME/" + path
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.Trim(hostport, "[]"), ""
	}
	if host == "" || strings.ContainsAny(host, " \t@?#") {
		return u, "no valid host in " + strconv.Quote(s)
	}
	u.Host = host
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return u, "port " + strconv.Quote(port) + " is not a TCP port"
		}
		u.Port = n
	}
	return u, ""
}

// memberFlags is what status= and lbset= say about a member.
type memberFlags struct {
	activation     activation
	standby, spare bool
}

// parseStatus reads status= the way set_worker_param does: '+' sets and
// '-' clears the flags that follow, letters are case-insensitive.
func parseStatus(t props.Token, key string, pm *Member, c *diag.Collector) memberFlags {
	var f memberFlags
	var disabled, stopped, drain bool
	on := true
	for i := 0; i < len(t.Text); i++ {
		switch ch := t.Text[i]; ch {
		case '+':
			on = true
		case '-':
			on = false
		default:
			switch ch | 0x20 {
			case 'd':
				disabled = on
			case 's':
				stopped = on
			case 'n':
				drain = on
			case 'h':
				f.standby = on
			case 'r':
				f.spare = on
			case 'i':
				pm.IgnoreErrors = on
			case 'e':
				pm.StartInError = on
			default:
				c.Errorf(t.Pos, "", key, "status flag %q is not one jkbalancer takes: use D, S, N, H, R, I or E with + or -", string(ch))
			}
		}
	}
	// mod_proxy's +D and +S both take the member out of every pick, sticky
	// ones included (PROXY_WORKER_NOT_USABLE_BITMAP): that is mod_jk's
	// Stopped. +N (drain) keeps only the sessions already there: mod_jk's
	// Disabled.
	switch {
	case disabled || stopped:
		f.activation = actStopped
	case drain:
		f.activation = actDisabled
	}
	if f.standby && f.spare {
		c.Warnf(t.Pos, "", key, "+H and +R together: mod_proxy checks hot spare first, so the member is a hot spare")
		f.standby = false
	}
	return f
}

// distanceOf orders the tiers the way proxy_balancer_get_best_worker
// tries them: per lbset, the regular members, then the hot spares, then
// the hot standbys, before the next lbset.
func distanceOf(lbset int, f memberFlags) int {
	d := 3 * lbset
	switch {
	case f.spare:
		d++
	case f.standby:
		d += 2
	}
	return d
}

// memberWorkerName names a member's worker <balancer>_<route> when the
// route makes a valid, unused name, else <balancer>_<position>.
func memberWorkerName(balancer, route string, idx int, taken map[string]diag.Pos) string {
	name := balancer + "_" + route
	if route == "" || !ValidWorkerName(name) {
		name = balancer + "_" + strconv.Itoa(idx+1)
	}
	for n := 2; ; n++ {
		if _, dup := taken[name]; !dup {
			return name
		}
		name = balancer + "_" + strconv.Itoa(idx+1) + "_" + strconv.Itoa(n)
	}
}

// parseProxyDuration reads a timeout the way ap_timeout_parameter_parse
// does: a whole number with an optional unit ms, s, mi or h (def when
// none). It returns milliseconds.
func parseProxyDuration(s, def string) (int, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	unit := strings.ToLower(s[i:])
	if unit == "" {
		unit = def
	}
	mult := map[string]int64{"ms": 1, "s": 1000, "mi": 60000, "h": 3600000}[unit]
	if err != nil || mult == 0 || n*mult > math.MaxInt32 {
		return 0, false
	}
	return int(n * mult), true
}

// memberCompiler writes one member's lines.
type memberCompiler struct {
	w    propWriter
	s    *Section
	name string // worker name
	http bool
	set  *balancerSettings
}

func (mc memberCompiler) put(attr, value string, pos diag.Pos) { mc.w.set(mc.name, attr, value, pos) }

// duration writes attr from a key holding a mod_proxy timeout.
func (mc memberCompiler) duration(key, def, attr string, min int) (int, bool) {
	t, ok := mc.s.Get(key)
	if !ok {
		return 0, false
	}
	ms, valid := parseProxyDuration(t.Text, def)
	if !valid || ms < min {
		mc.w.c.Errorf(t.Pos, "", mc.s.Key+"."+key, "%q is not a timeout: write a whole number of %s, or add a unit (ms, s, mi, h)", t.Text, map[string]string{"s": "seconds", "ms": "milliseconds"}[def])
		return 0, false
	}
	if attr != "" {
		mc.put(attr, strconv.Itoa(ms), t.Pos)
	}
	return ms, true
}

// timeouts compiles timeout=, connectiontimeout=, ping= and acquire=.
func (mc memberCompiler) timeouts() {
	c, s := mc.w.c, mc.s
	reply, hasReply := mc.duration("timeout", "s", "reply_timeout", 1000)
	if _, ok := mc.duration("connectiontimeout", "s", "socket_connect_timeout", 1); !ok && hasReply {
		// conn_timeout defaults to the worker's timeout in mod_proxy.
		t, _ := s.Get("timeout")
		mc.put("socket_connect_timeout", strconv.Itoa(reply), t.Pos)
	}
	if t, ok := s.Get("ping"); ok {
		if mc.http {
			c.Warnf(t.Pos, "", s.Key+".ping", "ignored for an http member: mod_proxy_http's ping is an Expect: 100-continue wait, which jkbalancer does not add; a member in error is probed before it gets traffic again")
		} else if ms, valid := mc.duration("ping", "s", "", 1); valid {
			// mod_proxy_ajp CPings before every request: mod_jk's P mode.
			mc.put("ping_mode", "P", t.Pos)
			mc.put("ping_timeout", strconv.Itoa(ms), t.Pos)
		}
	}
	if _, ok := mc.duration("acquire", "ms", "connection_acquire_timeout", 1); !ok && mc.set.acquireMS > 0 {
		mc.put("connection_acquire_timeout", strconv.Itoa(mc.set.acquireMS), s.Pos)
	}
}

// pool compiles max=, ttl=, keepalive= and secret=.
func (mc memberCompiler) pool() {
	c, s := mc.w.c, mc.s
	for _, kv := range []struct{ key, attr string }{{"max", "connection_pool_size"}, {"ttl", "connection_pool_timeout"}} {
		if t, ok := s.Get(kv.key); ok {
			if n, err := strconv.Atoi(t.Text); err != nil || n < 1 {
				c.Errorf(t.Pos, "", s.Key+"."+kv.key, "%q: write a whole number, 1 or more", t.Text)
			} else {
				mc.put(kv.attr, t.Text, t.Pos)
			}
		}
	}
	if t, ok := s.Get("keepalive"); ok {
		if on, valid := ParseBool(t.Text); valid {
			mc.put("socket_keepalive", strconv.FormatBool(on), t.Pos)
		} else {
			c.Errorf(t.Pos, "", s.Key+".keepalive", "%q: write on or off", t.Text)
		}
	}
	if t, ok := s.Get("secret"); ok {
		if mc.http {
			c.Warnf(t.Pos, "", s.Key+".secret", "ignored for an http member: the secret is an AJP attribute")
		} else {
			mc.put("secret", t.Text, t.Pos)
		}
	}
}

// tls compiles tls_verify= and tls_ca_file= of an https member.
func (mc memberCompiler) tls(scheme string) {
	for _, kv := range []struct{ key, attr string }{{"tls_verify", "tls_verify"}, {"tls_ca_file", "tls_ca_file"}} {
		t, ok := mc.s.Get(kv.key)
		if !ok {
			continue
		}
		if scheme != schemeHTTPS {
			mc.w.c.Errorf(t.Pos, "", mc.s.Key+"."+kv.key, "only for https members")
			continue
		}
		mc.put(kv.attr, t.Text, t.Pos)
	}
}

// compileMember writes one BalancerMember and returns its worker name, or
// "" when its URL is unusable.
func compileMember(b *Balancer, s *Section, w propWriter, set *balancerSettings, taken map[string]diag.Pos, plan *Plan) string {
	c := w.c
	u, ok := s.Get("url")
	if !ok {
		c.Errorf(s.Pos, "", s.Key+".url", "a member needs url:, e.g. ajp://10.0.0.1:8009")
		return ""
	}
	mu, msg := ParseMemberURL(u.Text)
	if msg != "" {
		c.Errorf(u.Pos, "", s.Key+".url", "%s", msg)
		return ""
	}
	route, hasRoute := s.Get("route")
	if hasRoute {
		switch {
		case route.Text == "" || len(route.Text) > props.MaxNameLen || strings.ContainsAny(route.Text, " \t,;"):
			c.Errorf(route.Pos, "", s.Key+".route", "%q: a route is up to %d characters without blanks, ',' or ';'", route.Text, props.MaxNameLen)
			hasRoute = false
		case set.routes[route.Text]:
			c.Errorf(route.Pos, "", s.Key+".route", "another member of balancer %s has route %q: sessions could not tell them apart", b.Name, route.Text)
			hasRoute = false
		}
	}
	idx := 0
	for i := range b.Members {
		if &b.Members[i] == s {
			idx = i
		}
	}
	name := memberWorkerName(b.Name, route.Text, idx, taken)
	taken[name] = s.Pos
	mc := memberCompiler{w: w, s: s, name: name, http: mu.Scheme != "ajp", set: set}
	if mc.http {
		mc.put("type", typeHTTP, u.Pos)
		mc.put("scheme", mu.Scheme, u.Pos)
	} else {
		mc.put("type", typeAJP13, u.Pos)
	}
	mc.put("host", mu.Host, u.Pos)
	mc.put("port", strconv.Itoa(mu.Port), u.Pos)
	// Without route= mod_proxy never matches a session to the member; the
	// worker name stands in (mod_jk's default route), which no session
	// id carries.
	r := name
	if hasRoute {
		r = route.Text
		mc.put("route", r, route.Pos)
	}
	set.routes[r] = true
	mc.put("retries", "1", s.Pos) // one try per attempt, as mod_proxy
	// mod_proxy_ajp fails over a request the backend already received
	// only when it is idempotent (is_idempotent); mod_jk's closest is
	// bit 1 (never) plus bit 16 (but GET).
	mc.put("recovery_options", strconv.Itoa(recoveryNoAfterRequest|recoveryGET), s.Pos)
	pm := &Member{URL: u.Text}
	mc.placement(pm)
	if t, ok := s.Get("redirect"); ok {
		mc.put("redirect", t.Text, t.Pos)
	}
	mc.timeouts()
	mc.pool()
	mc.tls(mu.Scheme)
	if len(set.failOn) > 0 {
		codes := make([]string, len(set.failOn))
		for i, n := range set.failOn {
			codes[i] = strconv.Itoa(n)
		}
		mc.put("fail_on_status", strings.Join(codes, ","), set.failOnPos)
	}
	plan.Members[name] = pm
	return name
}

// placement compiles loadfactor=, lbset= and status= into lbfactor,
// distance and activation.
func (mc memberCompiler) placement(pm *Member) {
	c, s := mc.w.c, mc.s
	factor, fpos := 1*mc.set.scale, s.Pos
	if t, ok := s.Get("loadfactor"); ok {
		f, err := strconv.ParseFloat(t.Text, 64)
		if err != nil || f < 1 || f > 100 {
			c.Errorf(t.Pos, "", s.Key+".loadfactor", "%q: write a number from 1 to 100", t.Text)
		} else {
			factor, fpos = int(math.Round(f*float64(mc.set.scale))), t.Pos
		}
	}
	mc.put("lbfactor", strconv.Itoa(factor), fpos)
	if t, ok := s.Get("lbset"); ok {
		n, err := strconv.Atoi(t.Text)
		if err != nil || n < 0 || n > maxLBSet {
			c.Errorf(t.Pos, "", s.Key+".lbset", "%q: write a whole number from 0 to %d", t.Text, maxLBSet)
		} else {
			pm.LBSet = n
		}
	}
	var f memberFlags
	pos := s.Pos
	if t, ok := s.Get("status"); ok {
		pm.Status, pos = t.Text, t.Pos
		f = parseStatus(t, s.Key+".status", pm, c)
	}
	mc.put("distance", strconv.Itoa(distanceOf(pm.LBSet, f)), pos)
	mc.put("activation", f.activation.String(), pos)
}
