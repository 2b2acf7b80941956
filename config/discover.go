package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/props"
)

// Members from DNS: a jkbalancer extension with no mod_jk equivalent
// (mod_jk resolves each member's host once and never learns of new
// ones). An lb names a DNS name instead of, or besides, balance_workers:
//
//	worker.lb.discover=srv:_ajp._tcp.tomcat.ns.svc.cluster.local
//	worker.lb.discover=dns:tomcat.ns.svc.cluster.local:8009
//	worker.lb.discover_interval=10
//	worker.lb.discover_template=tmpl
//
// The server re-resolves the name every discover_interval seconds and
// builds one member per answer: worker name "<lb>/<route>", route the
// first label of the answer's host name (package discover). Every
// member inherits the template worker's attributes, the way `reference`
// would copy them; host, port and route come from DNS.

// Kinds of Discover.
const (
	DiscoverSRV = "srv" // SRV records: target host names and ports
	DiscoverDNS = "dns" // A/AAAA records, one port for every member
)

const defaultDiscoverInterval = 10 // s

// Discover is an lb's member discovery (worker.LB.discover).
type Discover struct {
	Kind string `json:"kind"` // DiscoverSRV or DiscoverDNS
	Name string `json:"name"` // the DNS name, without a trailing dot
	// Port is the port of every member for DiscoverDNS; SRV records carry
	// their own (0).
	Port     int `json:"port,omitempty"`
	Interval int `json:"interval"` // s
	// Template is discover_template ("" = the defaults of an ajp13
	// worker); Type is the members' type (the template's).
	Template string `json:"template,omitempty"`
	Type     string `json:"type"`
	// Member holds the attributes every discovered member starts from.
	// Host, Port and Route are replaced for each member.
	Member *Member `json:"-"`
	Pos    Pos     `json:"-"` // the discover line
}

// IntervalDuration returns discover_interval as a duration.
func (d *Discover) IntervalDuration() time.Duration { return sec(d.Interval) }

// String is the discover value as an operator writes it.
func (d *Discover) String() string {
	if d.Kind == DiscoverDNS {
		return d.Kind + ":" + d.Name + ":" + strconv.Itoa(d.Port)
	}
	return d.Kind + ":" + d.Name
}

// discoverOnly are the attributes only an lb reads.
var discoverOnly = []string{"discover", "discover_interval", "discover_template"}

// warnDiscoverOnly names the discover attributes a worker of another
// type ignores.
func warnDiscoverOnly(r attrReader, typ string) {
	for _, attr := range discoverOnly {
		if r.has(attr) {
			r.c.Warnf(r.pos(attr, Pos{}), r.name, attr, "only used by lb workers; ignored for this %s worker", typ)
		}
	}
}

// discover compiles an lb's discover attributes (nil: none).
func (b *workerBuilder) discover(w *Worker, r attrReader) *Discover {
	p := r.get("discover")
	if p == nil {
		for _, attr := range discoverOnly[1:] {
			if r.has(attr) {
				r.c.Warnf(r.pos(attr, w.Pos), w.Name, attr, "ignored: this lb has no discover=srv:NAME or dns:NAME[:PORT]")
			}
		}
		return nil
	}
	d := &Discover{Pos: p.Pos, Type: TypeAJP13, Interval: defaultDiscoverInterval}
	if !parseDiscover(p.Value, d) {
		r.c.Errorf(p.Pos, w.Name, "discover", "%q is not srv:NAME or dns:NAME[:PORT] with NAME a DNS name, e.g. srv:_ajp._tcp.tomcat.ns.svc.cluster.local", p.Value)
		return nil
	}
	if n, ok := r.int("discover_interval", defaultDiscoverInterval); ok {
		if n <= 0 {
			r.c.Warnf(r.pos("discover_interval", p.Pos), w.Name, "discover_interval", "%d: DNS must be asked again; the default %d s is used", n, defaultDiscoverInterval)
			n = defaultDiscoverInterval
		}
		d.Interval = n
	}
	d.Template, _ = r.str("discover_template", "")
	d.Member = b.template(w, r, d)
	if d.Member == nil {
		return nil
	}
	if d.Kind == DiscoverDNS && d.Port == 0 {
		d.Port = d.Member.Port // the template's port, or its type's default
	}
	if d.Port < 0 || d.Port > 65535 || (d.Kind == DiscoverDNS && d.Port == 0) {
		r.c.Errorf(p.Pos, w.Name, "discover", "%s: no usable port for the members: write dns:NAME:PORT", p.Value)
		return nil
	}
	return d
}

// template compiles discover_template (the defaults of an ajp13 worker
// when unset) the way the worker itself would be compiled.
func (b *workerBuilder) template(w *Worker, r attrReader, d *Discover) *Member {
	name := d.Template
	if name == "" {
		// An ajp13 worker with no attribute: every default. No key
		// can name the worker "\x00".
		a := compileAJP(attrReader{m: b.m, name: "\x00", c: &diag.Collector{}}, TypeAJP13, d.Pos)
		a.Host, a.Route = "", ""
		return a
	}
	at := r.pos("discover_template", d.Pos)
	if _, ok := b.defined[name]; !ok {
		r.c.Errorf(at, w.Name, "discover_template", "worker %s is not defined: define worker.%s.type=ajp13 (or http) and the attributes every discovered member shares", name, name)
		return nil
	}
	tr := attrReader{m: b.m, name: name, c: b.c}
	typ, _ := tr.str("type", TypeAJP13)
	d.Type = typ
	var a *Member
	switch typ {
	case TypeAJP13, TypeAJP14:
		a = compileAJP(tr, typ, d.Pos)
	case TypeHTTP:
		a = compileHTTP(tr, d.Pos)
	default:
		r.c.Errorf(at, w.Name, "discover_template", "worker %s is of type %s; a discover template must be an ajp13, ajp14 or http worker", name, typ)
		return nil
	}
	for _, attr := range []string{"host", "route", "jvm_route"} {
		if tr.has(attr) {
			tr.c.Warnf(tr.pos(attr, Pos{}), name, attr, "ignored for the members lb %s discovers: DNS gives each its address and route", w.Name)
		}
	}
	if d.Kind == DiscoverSRV && tr.has("port") {
		tr.c.Warnf(tr.pos("port", Pos{}), name, "port", "ignored for the members lb %s discovers: SRV records give each its port", w.Name)
	}
	if a.Port <= 0 || a.Port > 65535 {
		// The template's own port made it Stopped; the members have theirs.
		a.Activation = readActivation(tr)
	}
	if !tr.has("domain") {
		a.Domain = "" // derived from each member's route instead
	}
	a.Host, a.Route = "", ""
	return a
}

// parseDiscover reads srv:NAME or dns:NAME[:PORT].
func parseDiscover(v string, d *Discover) bool {
	kind, rest, ok := strings.Cut(v, ":")
	if !ok {
		return false
	}
	d.Kind = strings.ToLower(props.TrimSpace(kind))
	rest = props.TrimSpace(rest)
	switch d.Kind {
	case DiscoverSRV:
	case DiscoverDNS:
		if host, port, ok := strings.Cut(rest, ":"); ok {
			n, err := strconv.Atoi(port)
			if err != nil || n <= 0 || n > 65535 {
				return false
			}
			rest, d.Port = host, n
		}
	default:
		return false
	}
	d.Name = strings.TrimSuffix(rest, ".")
	return IsDNSName(d.Name)
}

// IsDNSName reports whether s is a host name DNS can be asked about:
// labels of letters, digits, '-' and '_' (SRV's _service._proto), 1 to
// 63 bytes each, 253 in all.
func IsDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// discoverRisks applies the member risks to the attributes discovered
// members inherit: those of the template, or every ajp13 default.
func (c *Config) discoverRisks(w *Worker, seen map[string]bool, col *riskCollector) {
	d := w.LB.Discover
	if d == nil {
		return
	}
	if d.Template == "" {
		col.Warnf(d.Pos, w.Name, "discover_template", "the members lb %s discovers take every ajp13 default (recovery_options=0, connection_pool_timeout=0, no ping_mode): name a worker with discover_template that sets what they share", w.Name)
		return
	}
	if !seen[d.Template] {
		seen[d.Template] = true
		c.ajpRisks(&Worker{Name: d.Template, Type: d.Type, Pos: d.Pos, Member: d.Member}, true, col)
	}
}
