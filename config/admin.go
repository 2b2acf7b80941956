package config

import (
	"net"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

// DefaultAdminListen is where the admin listener (/metrics, /healthz,
// /readyz) binds when nothing else is configured. Loopback only: the
// metrics name every member, and nothing there is meant for the network.
// Port 8099 because the Prometheus exporter range 9100-9999 is fully
// allocated (node_exporter on 9100, statsd_exporter on 9102 often run on
// the same host), 9090-9099 is Prometheus' own, and 8005/8009/8080/8443
// are Tomcat's and httpd's.
const DefaultAdminListen = "127.0.0.1:8099"

// Admin configures the admin listener: a second HTTP server, apart from
// the front end, serving Prometheus metrics and the health endpoints.
type Admin struct {
	// Listen is host:port; "" turns the admin listener off.
	Listen string `json:"listen"`
	// MetricsPath is where the Prometheus metrics are served.
	MetricsPath string `json:"metrics_path"`
	// AllowRemote permits a Listen address other than loopback.
	AllowRemote bool `json:"allow_remote,omitempty"`
	// Pprof serves Go's runtime profiles under /debug/pprof/, so a slow
	// or busy balancer can be profiled where it runs. Off by default:
	// goroutine dumps show what requests are doing.
	Pprof bool `json:"pprof,omitempty"`
	// Implicit is set while Listen is the built-in default, not something
	// the operator wrote: then a port already in use only costs a warning
	// (the balancer starts without its admin listener) instead of
	// refusing to start.
	Implicit bool `json:"-"`

	Pos     Pos `json:"-"` // the admin.listen key (or the admin section)
	PathPos Pos `json:"-"` // the admin.metrics_path key
}

func defaultAdmin() Admin {
	return Admin{Listen: DefaultAdminListen, MetricsPath: "/metrics", Implicit: true}
}

// admin reads the admin: section of jkbalancer.yaml.
func (y *yamlLoader) admin(n *yaml.Node) {
	a := &y.out.server.Admin
	a.Pos, a.PathPos = y.pos(n), y.pos(n)
	enabled := true
	y.mapping(n, "admin.", map[string]yamlHandler{
		"listen": func(y *yamlLoader, v *yaml.Node) {
			a.Listen, a.Implicit, a.Pos = y.str(v), false, y.pos(v)
		},
		"enabled": func(y *yamlLoader, v *yaml.Node) {
			if b, ok := y.bool(v); ok {
				enabled = b
			}
		},
		"allow_remote": func(y *yamlLoader, v *yaml.Node) {
			if b, ok := y.bool(v); ok {
				a.AllowRemote = b
			}
		},
		"metrics_path": func(y *yamlLoader, v *yaml.Node) { a.MetricsPath, a.PathPos = y.str(v), y.pos(v) },
		"pprof": func(y *yamlLoader, v *yaml.Node) {
			if b, ok := y.bool(v); ok {
				a.Pprof = b
			}
		},
	})
	if !enabled {
		a.Listen, a.Implicit = "", false
	}
}

// admin applies --admin over the yaml's admin.listen ("off" turns the
// listener off) and checks the result.
func (l *loader) admin(a *Admin) {
	switch v := l.src.Admin; v {
	case "":
	case "off":
		a.Listen, a.Implicit, a.Pos = "", false, Pos{}
	default:
		a.Listen, a.Implicit, a.Pos = v, false, Pos{}
	}
	checkAdmin(a, &l.c)
}

// checkAdmin validates the admin settings. A non-loopback address is
// refused unless allow_remote says the operator means it: the metrics
// and readiness answers would otherwise be open to anyone who can reach
// the host, which a default must never do.
func checkAdmin(a *Admin, c *diag.Collector) {
	if a.MetricsPath == "" {
		a.MetricsPath = "/metrics"
	}
	switch p := a.MetricsPath; {
	case !strings.HasPrefix(p, "/"):
		c.Errorf(a.PathPos, "", "admin.metrics_path", "%q does not begin with '/' (write e.g. /metrics)", p)
	case p == "/healthz" || p == "/readyz":
		c.Errorf(a.PathPos, "", "admin.metrics_path", "%q is taken by the health endpoint of the same name", p)
	case strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-~") != "":
		c.Errorf(a.PathPos, "", "admin.metrics_path", "%q: use only letters, digits and / . _ - ~", p)
	}
	if a.Listen == "" {
		return
	}
	host, port, err := net.SplitHostPort(a.Listen)
	if err != nil || port == "" {
		c.Errorf(a.Pos, "", "admin.listen", "admin address %q is not host:port (e.g. %q); write \"\" or enabled: false to turn it off",
			a.Listen, DefaultAdminListen)
		return
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		c.Errorf(a.Pos, "", "admin.listen", "admin address %q: port %q is not a number from 0 to 65535", a.Listen, port)
		return
	}
	if !a.AllowRemote && !isLoopback(host) {
		c.Errorf(a.Pos, "", "admin.listen",
			"admin address %q is not loopback: /metrics and /readyz would be open to the network; "+
				"listen on 127.0.0.1 (e.g. %q) or set admin.allow_remote: true and firewall the port",
			a.Listen, DefaultAdminListen)
	}
}

// isLoopback reports a host that can only be reached from this machine:
// localhost or a loopback IP. "" (all interfaces) is not.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
