package httpdimport

import (
	"net"
	"path/filepath"
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
)

// importer converts the directives of one httpd configuration.
type importer struct {
	file      string
	left      []Leftover
	seq, done int

	main    *hCtx
	vhosts  []*hCtx
	byVhost map[*hSection]*hCtx
	listen  []*hListen

	serverName        string
	workersFile       string
	mountFile         string
	mountFileReload   string
	workerProps       []string
	options           []string
	envVars           []hEnv
	logFile, logLevel string
	requestFormat     string
	sslProxyVerify    bool
	sslProxyCA        string
	bals              []*hBalancer
	balByName         map[string]*hBalancer
	singles           map[string]string // ProxyPass to one backend URL -> its balancer
	reverses          []hReverse
	mounts            []hRule    // the one mount table (finish)
	passes            []*hPass   // the proxy_pass entries (finish)
	accesses          []*hAccess // access rules per <Location> (importaccess.go)
	read              func(string) ([]byte, error)
}

// hCtx is the main server or one <VirtualHost>: mod_jk and mod_proxy keep
// their mount rules per server.
type hCtx struct {
	sect      *hSection // nil: the main server
	rules     []hRule   // JkMount / JkUnMount as PATTERN=WORKER
	mountCopy string    // JkMountCopy: "", on, off, all
	passes    []*hPass
	name      string
	nameD     *hDirective // its ServerName
	aliases   []string
	aliasD    []*hDirective
	ssl       bool
	verify    *hDirective // SSLVerifyClient
	ca        string      // SSLCACertificateFile
	protocol  *hDirective // SSLProtocol
	cert, key string
	certPos   config.Pos
}

func (c *hCtx) label() string {
	if c.sect == nil {
		return "the main server"
	}
	return "<VirtualHost " + strings.Join(c.sect.args, " ") + "> (" + c.sect.pos.String() + ")"
}

type hRule struct {
	text string // PATTERN=WORKER
	d    *hDirective
}

type hEnv struct {
	name, value string
	hasValue    bool
}

type hListen struct {
	addr                             string
	port                             string
	pos                              config.Pos
	tls                              *hCtx // the SSL server whose certificate it serves, if any
	cert, key                        string
	https                            bool // Listen ... https
	d                                *hDirective
	sni                              []hSNI
	minVersion, clientAuth, clientCA string
}

func newImporter(file, root string) *importer {
	return &importer{file: file, main: &hCtx{}, byVhost: map[*hSection]*hCtx{},
		balByName: map[string]*hBalancer{}, singles: map[string]string{}}
}

func (im *importer) take() { im.done++ }

// leftover reports d; it sorts where d was read (idx), or at the current
// position for a line made up for the report.
func (im *importer) leftover(d *hDirective, reason string) {
	seq := im.seq
	if d.idx > 0 {
		seq = d.idx - 1
	}
	im.left = append(im.left, Leftover{Pos: d.pos, Directive: d.text, Reason: reason, seq: seq})
}

// ctx returns the server a directive belongs to.
func (im *importer) ctx(d *hDirective) *hCtx {
	v := d.in("virtualhost")
	if v == nil {
		return im.main
	}
	c := im.byVhost[v]
	if c == nil {
		c = &hCtx{sect: v}
		im.byVhost[v] = c
		im.vhosts = append(im.vhosts, c)
	}
	return c
}

// path resolves a file name against the ServerRoot in force.
func (d *hDirective) path(p string) string {
	if filepath.IsAbs(p) || d.root == "" {
		return p
	}
	return filepath.Join(d.root, p)
}

type importHandler func(im *importer, d *hDirective)

// scoped are the directives jkbalancer reads inside <Location> (with the
// location as their path) and <Proxy balancer://...>.
var scoped = map[string]string{
	"jkmount": "location", "jkunmount": "location", "proxypass": "location",
	"proxypassreverse": "location", "proxypassreversecookiepath": "location",
	"balancermember": "proxy", "proxyset": "proxy",
}

// directive dispatches one directive.
func (im *importer) directive(d *hDirective) {
	im.ctx(d) // register the virtual host even when nothing in it is imported
	if isAccess(d) {
		im.access(d)
		return
	}
	for _, s := range d.sect {
		if s.name == "virtualhost" || scoped[d.name] == s.name {
			continue
		}
		im.leftover(d, "inside <"+s.name+" "+s.arg+"> ("+s.pos.String()+"): jkbalancer has no per-"+s.name+" settings; not imported")
		return
	}
	h := importHandlers[d.name]
	if h == nil {
		im.leftover(d, httpdOnly(d.name))
		return
	}
	h(im, d)
}

// arity reports a directive with the wrong number of arguments.
func (im *importer) arity(d *hDirective, lo, hi int) bool {
	if len(d.args) < lo || len(d.args) > hi {
		im.leftover(d, "unexpected number of arguments; httpd would refuse it")
		return false
	}
	return true
}

// mainOnly reports a directive mod_jk accepts in the main server only.
func (im *importer) mainOnly(d *hDirective) bool {
	if d.in("virtualhost") != nil {
		im.leftover(d, "only allowed in the main server (mod_jk ignores it in a virtual host)")
		return false
	}
	return true
}

var importHandlers map[string]importHandler

func init() {
	importHandlers = map[string]importHandler{
		"serverroot": func(im *importer, d *hDirective) { im.take() }, // applied while reading
		"loadmodule": (*importer).loadModule,
		"listen":     (*importer).listenDirective,
		"servername": (*importer).serverNameDirective,
		"jkworkersfile": func(im *importer, d *hDirective) {
			switch {
			case !im.arity(d, 1, 1) || !im.mainOnly(d):
			case im.workersFile != "":
				im.leftover(d, "JkWorkersFile given again: mod_jk refuses to start (only allowed once); the first, "+im.workersFile+", is used")
			default:
				im.workersFile = d.path(d.args[0])
				im.take()
			}
		},
		"jkmountfile": (*importer).mountFileDirective,
		"jkmountfilereload": func(im *importer, d *hDirective) {
			if im.arity(d, 1, 1) {
				im.mountFileReload = d.args[0]
				im.take()
			}
		},
		"jkmount":          func(im *importer, d *hDirective) { im.mount(d, "") },
		"jkunmount":        func(im *importer, d *hDirective) { im.mount(d, "!") },
		"jkmountcopy":      (*importer).mountCopy,
		"jkoptions":        (*importer).jkOptions,
		"jkenvvar":         (*importer).envVar,
		"jkworkerproperty": (*importer).workerProperty,
		"jklogfile": func(im *importer, d *hDirective) {
			if !im.arity(d, 1, 1) || !im.mainOnly(d) {
				return
			}
			if strings.HasPrefix(d.args[0], "|") {
				im.leftover(d, "a piped log: jkbalancer writes log.file or stderr; pipe its output instead")
				return
			}
			im.logFile = d.path(d.args[0])
			im.take()
		},
		"jkloglevel":         (*importer).logLevelDirective,
		"jkrequestlogformat": (*importer).requestLogFormat,
		"sslengine":          (*importer).sslEngine,
		"sslcertificatefile": func(im *importer, d *hDirective) { im.sslFile(d, true) },
		"sslcertificatekeyfile": func(im *importer, d *hDirective) {
			im.sslFile(d, false)
		},
		"sslverifyclient": func(im *importer, d *hDirective) {
			if im.arity(d, 1, 1) {
				im.ctx(d).verify = d
				im.take()
			}
		},
		"sslcacertificatefile": func(im *importer, d *hDirective) {
			if im.arity(d, 1, 1) {
				im.ctx(d).ca = d.path(d.args[0])
				im.take()
			}
		},
		"sslprotocol": func(im *importer, d *hDirective) {
			im.ctx(d).protocol = d
			im.take()
		},
		"serveralias": func(im *importer, d *hDirective) {
			c := im.ctx(d)
			if c.sect == nil {
				im.leftover(d, "ServerAlias outside a virtual host")
				return
			}
			c.aliases = append(c.aliases, d.args...)
			c.aliasD = append(c.aliasD, d)
			im.take()
		},
		"sslproxyengine":            func(im *importer, d *hDirective) { im.take() }, // implied by https members
		"sslproxyverify":            (*importer).sslProxyVerifyDirective,
		"sslproxycacertificatefile": (*importer).sslProxyCADirective,
		"proxyrequests":             (*importer).proxyRequests,
		"proxypass":                 (*importer).proxyPassDirective,
		"proxypassreverse":          (*importer).proxyPassReverse,
		"proxypassreversecookiepath": func(im *importer, d *hDirective) {
			im.proxyPassReverseCookiePath(d)
		},
		"balancermember": (*importer).balancerMember,
		"proxyset":       (*importer).proxySet,
	}
}

// replacedModules are what jkbalancer stands in for: their LoadModule
// lines need no counterpart.
var replacedModules = []string{"jk_module", "proxy_module", "proxy_ajp_module", "proxy_http_module",
	"proxy_balancer_module", "lbmethod_byrequests_module", "lbmethod_bytraffic_module",
	"lbmethod_bybusyness_module", "slotmem_shm_module", "slotmem_plain_module", "ssl_module",
	"socache_shmcb_module", "mpm_event_module", "mpm_worker_module", "mpm_prefork_module",
	"authz_core_module", "unixd_module", "http2_module", "proxy_http2_module", "proxy_wstunnel_module"}

func (im *importer) loadModule(d *hDirective) {
	if !im.arity(d, 2, 2) {
		return
	}
	for _, m := range replacedModules {
		if d.args[0] == m {
			im.take()
			return
		}
	}
	im.leftover(d, "module "+d.args[0]+" has no counterpart in jkbalancer; its directives are listed where they occur")
}

// listenDirective reads Listen [addr:]port [protocol].
func (im *importer) listenDirective(d *hDirective) {
	if !im.arity(d, 1, 2) {
		return
	}
	a := d.args[0]
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		host, port = "", a // "Listen 80"
	}
	if config.CheckListenAddr(net.JoinHostPort(host, port)) != "" {
		im.leftover(d, "not an address jkbalancer can listen on")
		return
	}
	for _, l := range im.listen {
		if l.port == port && l.addr == net.JoinHostPort(host, port) {
			im.leftover(d, "the same address is listed at "+l.pos.String())
			return
		}
	}
	l := &hListen{addr: net.JoinHostPort(host, port), port: port, pos: d.pos, d: d}
	l.https = len(d.args) == 2 && strings.EqualFold(d.args[1], "https")
	im.listen = append(im.listen, l)
	im.take()
}

func (im *importer) serverNameDirective(d *hDirective) {
	if !im.arity(d, 1, 1) {
		return
	}
	name := d.args[0]
	if _, rest, ok := strings.Cut(name, "://"); ok {
		name = rest // ServerName https://www.example.com:443
	}
	if c := im.ctx(d); c.sect != nil {
		c.name, c.nameD = name, d
		im.take()
		return
	}
	im.serverName = name
	im.take()
}

// nameBased is why virtual host names are not carried over.
const nameBased = "jkbalancer does not choose a virtual host by name: every listener serves every host name with the one mount table"

// httpdOnly is the reason given for a directive jkbalancer has no
// counterpart for.
func httpdOnly(name string) string {
	switch name {
	case "errorlog", "loglevel":
		return "httpd's own log: jkbalancer logs to log.file (JkLogFile) or stderr, at log.level"
	case "customlog", "transferlog", "logformat":
		return "httpd's access log: use log.request_format (a JkRequestLogFormat, or combined) and log.request_file"
	case "user", "group", "pidfile", "defaultruntimedir", "mutex", "timeout", "keepalive", "maxkeepaliverequests",
		"keepalivetimeout", "startservers", "serverlimit", "threadlimit", "threadsperchild", "maxrequestworkers",
		"minsparethreads", "maxsparethreads", "maxconnectionsperchild", "hostnamelookups", "servertokens",
		"serversignature", "traceenable", "accessfilename":
		return "an httpd process or connection setting; jkbalancer is one Go process with its own defaults"
	case "documentroot", "alias", "scriptalias", "directoryindex", "addtype", "addhandler", "sethandler",
		"typesconfig", "redirect", "redirectmatch", "rewriteengine", "rewriterule", "rewritecond", "header",
		"requestheader", "require", "options", "allowoverride", "order", "allow", "deny", "setenvif":
		return "jkbalancer serves no files and has no per-request rewriting or access rules; requests no rule maps get 404"
	case "jkshmfile", "jkshmsize":
		return "not needed: jkbalancer is one process and keeps the lb state in memory"
	case "jkwatchdoginterval":
		return "not needed: jkbalancer runs worker.maintain on its own timer"
	case "sslciphersuite", "sslhonorcipherorder", "sslcompression", "sslsessiontickets", "sslstaplingcache",
		"sslusestapling", "sslsessioncache", "sslrandomseed", "sslverifydepth", "ssloptions":
		return "not imported: jkbalancer's listeners use Go's TLS defaults (modern suites); set the listener's tls: (cipher_suites, min_version) by hand if this matters"
	case "sslcertificatechainfile":
		return "not imported: append the chain to the SSLCertificateFile, which jkbalancer reads as a whole chain"
	case "proxypassmatch", "proxypassinterpolateenv", "proxyerroroverride", "proxyvia", "proxyaddheaders",
		"proxyiobuffersize", "proxymaxforwards", "proxytimeout", "proxystatus", "proxybadheader",
		"proxypreservehost", "proxyhcexpr", "proxyhctemplate", "proxyhctpsize", "proxysourceaddress":
		return "a mod_proxy setting jkbalancer does not take (docs/config.md, mod_proxy_balancer configurations)"
	}
	return "no counterpart in jkbalancer"
}
