// Package proxy compiles a mod_proxy_balancer setup (<Proxy
// balancer://NAME>, BalancerMember, ProxySet), written as balancers: in
// jkbalancer.yaml, into the model workers.properties compiles into: one
// lb worker per balancer and one ajp13 or http worker per member. The
// balancer is turned into the workers.properties lines an operator would
// have written for mod_jk (worker.NAME.type=lb, balance_workers, lbfactor,
// distance, activation ...), each carrying the yaml line it came from,
// and those lines go through the same reader, defaults and checks as the
// workers file. What workers.properties cannot say (+I, +E) is attached
// to the compiled members afterwards as a Member. The mapping, and
// where the two products differ, is docs/config.md#mod_proxy_balancer-configurations.
//
// config.Load reads the yaml into Balancer and Section values, calls
// Compile before it compiles the workers, and hangs the Plan's
// Member records on them.
package proxy

import (
	"sort"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/props"
)

// Member records what a member of a balancers: entry carries beyond
// the workers.properties attributes it compiled into.
type Member struct {
	URL   string `json:"url"`
	LBSet int    `json:"lbset"`
	// Status is the status= flags as written ("+H", "+I+E" ...).
	Status string `json:"status,omitempty"`
	// IgnoreErrors is +I: a failure never puts the member in error (the
	// request still fails over), like PROXY_WORKER_IGNORE_ERRORS.
	IgnoreErrors bool `json:"ignore_errors,omitempty"`
	// StartInError is +E: the member starts in error and gets traffic only
	// once a probe after recover_time found it alive.
	StartInError bool `json:"start_in_error,omitempty"`
}

// Section is one yaml mapping of a proxy section: each key as written,
// with the line of its value.
type Section struct {
	Key  string // dotted yaml path, e.g. "balancers.mycluster.members[2]"
	Pos  diag.Pos
	Vals map[string]props.Token
}

// Get returns the value of key k and its line.
func (s *Section) Get(k string) (props.Token, bool) {
	t, ok := s.Vals[k]
	return t, ok
}

// Balancer is one entry of balancers: (a <Proxy balancer://NAME>).
type Balancer struct {
	Section
	Name    string
	Members []Section
}

// Plan is what the balancers compiled to before the workers exist.
type Plan struct {
	Members map[string]*Member // member worker name -> its flags
}

// The workers.properties values a balancer compiles to, written as an
// operator would write them for mod_jk (docs/config.md); Load reads them
// back with the workers file's rules.
const (
	typeLB      = "lb"
	typeAJP13   = "ajp13"
	typeHTTP    = "http"
	schemeHTTPS = "https"
	// recovery_options bits (docs/compat.md#recovery-options): no retry
	// once the backend received the request, but GET still.
	recoveryNoAfterRequest = 1
	recoveryGET            = 16
)

// Default ports of the member URL schemes.
const (
	defaultAJPPort   = 8009
	defaultHTTPPort  = 80
	defaultHTTPSPort = 443
)

// activation is a member's activation= value (mod_jk's names,
// docs/compat.md#activation-and-states); the zero value is Active.
type activation uint8

const (
	actActive activation = iota
	actDisabled
	actStopped
)

func (a activation) String() string { return [...]string{"Active", "Disabled", "Stopped"}[a] }

// Defaults of mod_proxy_balancer that differ from mod_jk's.
const (
	proxyDefaultRetry = 60 // BalancerMember retry=, seconds
	maxLBSet          = 99
)

// propWriter adds generated workers.properties lines to the map.
type propWriter struct {
	m *props.Map
	c *diag.Collector
}

func (w propWriter) set(worker, attr, value string, pos diag.Pos) {
	w.m.Put("worker."+worker+"."+attr, value, pos, props.Attributes[attr].Kind, w.c)
}

// Compile writes the workers.properties lines of every balancer
// into m, after the workers file. A workers file without worker.list
// means worker.list=ajp13 (mod_jk's default); when it defines ajp13,
// that line is written first, so the balancers' worker.list lines do not
// take the worker away from it.
func Compile(bals []Balancer, m *props.Map, c *diag.Collector) *Plan {
	plan := &Plan{Members: make(map[string]*Member)}
	if len(bals) == 0 {
		return plan
	}
	w := propWriter{m: m, c: c}
	taken := definedWorkers(m)
	if _, ok := taken["ajp13"]; ok && m.Get("worker.list") == nil {
		m.Put("worker.list", "ajp13", taken["ajp13"], props.KindList, c)
	}
	for i := range bals {
		b := &bals[i]
		if !ValidWorkerName(b.Name) {
			c.Errorf(b.Pos, "", b.Key, "balancer name %q: use letters, digits, '_', '-' and '.' only (it becomes the lb worker's name)", b.Name)
			continue
		}
		if at, dup := taken[b.Name]; dup {
			c.Errorf(b.Pos, "", b.Key, "a worker named %s is already defined at %s: rename the balancer", b.Name, at)
			continue
		}
		taken[b.Name] = b.Pos
		compileBalancer(b, w, taken, plan)
	}
	return plan
}

// definedWorkers returns every worker name that has a key in m.
func definedWorkers(m *props.Map) map[string]diag.Pos {
	out := make(map[string]diag.Pos)
	for _, p := range m.Entries {
		if name, _ := props.SplitWorkerKey(p.Key); name != "" && strings.HasPrefix(p.Key, "worker.") {
			if _, ok := out[name]; !ok {
				out[name] = p.Pos
			}
		}
	}
	return out
}

// ValidWorkerName accepts the names that can stand in a workers.properties
// key and a balance_workers list.
func ValidWorkerName(s string) bool {
	if s == "" || len(s) > props.MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// balancerSettings are the lb-wide values the members need.
type balancerSettings struct {
	acquireMS   int   // timeout= as the members' connection_acquire_timeout (0 = unset)
	failOn      []int // failonstatus=
	failOnPos   diag.Pos
	routes      map[string]bool
	scale       int // loadfactor multiplier: 100 when a factor has decimals
	recoverTime int
	recoverPos  diag.Pos
}

// compileBalancer writes one balancer and its members.
func compileBalancer(b *Balancer, w propWriter, taken map[string]diag.Pos, plan *Plan) {
	c := w.c
	if len(b.Members) == 0 {
		c.Errorf(b.Pos, "", b.Key+".members", "balancer %s has no members: add members: with at least one url:", b.Name)
		return
	}
	set := balancerSettings{routes: make(map[string]bool), scale: 1}
	w.set(b.Name, "type", typeLB, b.Pos)
	lbSettings(b, w, &set)
	set.scale = factorScale(b)
	recoverTime(b, &set, c)
	var names []string
	for i := range b.Members {
		if name := compileMember(b, &b.Members[i], w, &set, taken, plan); name != "" {
			names = append(names, name)
		}
	}
	checkRedirects(b, set.routes, c)
	if len(names) > 0 {
		w.set(b.Name, "balance_workers", strings.Join(names, ","), b.Members[0].Pos)
	}
	w.set(b.Name, "recover_time", strconv.Itoa(set.recoverTime), set.recoverPos)
	w.m.Put("worker.list", b.Name, b.Pos, props.KindList, c)
}

// lbSettings compiles the balancer parameters (set_balancer_param).
func lbSettings(b *Balancer, w propWriter, set *balancerSettings) {
	c := w.c
	method := "R"
	if t, ok := b.Get("lbmethod"); ok {
		switch strings.ToLower(t.Text) {
		case "byrequests":
		case "bytraffic":
			method = "T"
		case "bybusyness":
			method = "B"
		case "heartbeat":
			c.Errorf(t.Pos, "", b.Key+".lbmethod", "heartbeat needs mod_heartmonitor's multicast reports, which jkbalancer does not receive: use byrequests, bytraffic or bybusyness")
		default:
			c.Errorf(t.Pos, "", b.Key+".lbmethod", "%q is not a method: use byrequests, bytraffic or bybusyness", t.Text)
		}
	}
	w.set(b.Name, "method", method, b.Pos)
	stickySettings(b, w)
	if t, ok := b.Get("nofailover"); ok {
		if on, valid := ParseBool(t.Text); valid {
			w.set(b.Name, "sticky_session_force", strconv.FormatBool(on), t.Pos)
		} else {
			c.Errorf(t.Pos, "", b.Key+".nofailover", "%q: write on or off", t.Text)
		}
	}
	// mod_proxy makes maxattempts+1 attempts, by default one per member
	// (max_attempts = members-1, init_balancer_members); each goes to a
	// member not yet tried. One lb round of lb_retries attempts does the
	// same, without mod_jk's sleep and second round.
	attempts, pos := len(b.Members), b.Pos
	if t, ok := b.Get("maxattempts"); ok {
		n, err := strconv.Atoi(t.Text)
		if err != nil || n < 0 {
			c.Errorf(t.Pos, "", b.Key+".maxattempts", "%q: write the number of failover attempts, 0 or more", t.Text)
		} else {
			attempts, pos = n+1, t.Pos
		}
	}
	w.set(b.Name, "retries", "1", pos)
	w.set(b.Name, "lb_retries", strconv.Itoa(max(attempts, 1)), pos)
	if t, ok := b.Get("timeout"); ok {
		if n, err := strconv.Atoi(t.Text); err != nil || n < 0 {
			c.Errorf(t.Pos, "", b.Key+".timeout", "%q: write whole seconds", t.Text)
		} else {
			set.acquireMS = n * 1000
		}
	}
	if t, ok := b.Get("failonstatus"); ok {
		set.failOn, set.failOnPos = statusList(t, b.Key+".failonstatus", c), t.Pos
	}
	if t, ok := b.Get("forcerecovery"); ok {
		if on, valid := ParseBool(t.Text); !valid {
			c.Errorf(t.Pos, "", b.Key+".forcerecovery", "%q: write on or off", t.Text)
		} else if !on {
			c.Warnf(t.Pos, "", b.Key+".forcerecovery", "off is not honoured: when every member is in error, jkbalancer tries them again once per request, as mod_jk's forced recovery does")
		}
	}
}

// stickySettings compiles stickysession=COOKIE|PATH and stickysessionsep.
// mod_proxy takes the route after the first '.' of the value
// (find_session_route: strchr with sticky_separator), which is mod_jk's
// rule, so only '.' is accepted as the separator.
func stickySettings(b *Balancer, w propWriter) {
	c := w.c
	if t, ok := b.Get("stickysessionsep"); ok && t.Text != "." {
		c.Errorf(t.Pos, "", b.Key+".stickysessionsep", "%q: jkbalancer takes the route after the first '.' of the session id only (mod_jk's rule and mod_proxy's default)", t.Text)
	}
	t, ok := b.Get("stickysession")
	if !ok || t.Text == "" {
		// No stickysession: mod_proxy never looks for a route.
		w.set(b.Name, "sticky_session", "false", b.Pos)
		return
	}
	cookie, path, found := strings.Cut(t.Text, "|")
	if !found {
		path = cookie // set_balancer_param: one name is both
	}
	for _, n := range []string{cookie, path} {
		if n == "" || len(n)+1 > props.MaxNameLen || strings.ContainsAny(n, " \t;=,|\"") {
			c.Errorf(t.Pos, "", b.Key+".stickysession", "%q: write COOKIE or COOKIE|PATHPARAM, e.g. JSESSIONID|jsessionid", t.Text)
			return
		}
	}
	w.set(b.Name, "sticky_session", "true", t.Pos)
	w.set(b.Name, "session_cookie", cookie, t.Pos)
	// mod_jk's session_path names the path parameter with its ';'.
	w.set(b.Name, "session_path", ";"+path, t.Pos)
}

// recoverTime derives the lb's recover_time from the members' retry=:
// mod_proxy keeps it per member, mod_jk per lb. The smallest wins: a
// member in error gets traffic again only after an out-of-band probe
// found it alive, so waiting less costs probes, never a failed request.
func recoverTime(b *Balancer, set *balancerSettings, c *diag.Collector) {
	best, bestPos := -1, b.Pos
	distinct := map[int]bool{}
	for i := range b.Members {
		n, pos := proxyDefaultRetry, b.Members[i].Pos
		if t, ok := b.Members[i].Get("retry"); ok {
			v, err := strconv.Atoi(t.Text)
			if err != nil || v < 0 {
				c.Errorf(t.Pos, "", b.Members[i].Key+".retry", "%q: write whole seconds, 0 or more", t.Text)
				continue
			}
			n, pos = v, t.Pos
		}
		distinct[n] = true
		if best < 0 || n < best {
			best, bestPos = n, pos
		}
	}
	if best < 0 {
		best = proxyDefaultRetry
	}
	if len(distinct) > 1 {
		vals := make([]int, 0, len(distinct))
		for v := range distinct {
			vals = append(vals, v)
		}
		sort.Ints(vals)
		c.Warnf(bestPos, "", b.Key+".members.retry", "members have different retry values %v: jkbalancer keeps one recover_time per balancer and uses the smallest, %d s (a member in error is probed before it gets traffic again)", vals, best)
	}
	// mod_jk's minimum is one second: retry=0 waits that long.
	set.recoverTime, set.recoverPos = max(best, 1), bestPos
}

// factorScale is 100 when a loadfactor has decimals (mod_proxy 2.4.41+
// keeps factors x100 internally), so the ratios stay exact as integers.
func factorScale(b *Balancer) int {
	for i := range b.Members {
		if t, ok := b.Members[i].Get("loadfactor"); ok && strings.Contains(t.Text, ".") {
			return 100
		}
	}
	return 1
}

// checkRedirects warns about redirect= naming no member's route.
func checkRedirects(b *Balancer, routes map[string]bool, c *diag.Collector) {
	for i := range b.Members {
		if t, ok := b.Members[i].Get("redirect"); ok && !routes[t.Text] {
			c.Warnf(t.Pos, "", b.Members[i].Key+".redirect", "no member of balancer %s has route %q: the redirect never finds a member", b.Name, t.Text)
		}
	}
}

// ParseBool reads mod_proxy's On/Off (and yaml's true/false).
func ParseBool(s string) (on, ok bool) {
	switch strings.ToLower(s) {
	case "on", "true", "yes", "1":
		return true, true
	case "off", "false", "no", "0":
		return false, true
	}
	return false, false
}

// statusList reads a list of HTTP status codes separated by ',' or blanks.
func statusList(t props.Token, key string, c *diag.Collector) []int {
	var out []int
	for _, f := range strings.FieldsFunc(t.Text, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 100 || n > 599 {
			c.Errorf(t.Pos, "", key, "%q is not an HTTP status code", f)
			continue
		}
		out = append(out, n)
	}
	return out
}
