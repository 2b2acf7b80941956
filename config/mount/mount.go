// Package mount is mod_jk's URI mapping: the rules of
// uriworkermap.properties and of JkMount-style mounts (pattern, worker,
// -/! modifiers, ;extensions), their precedence order, and Match, which
// maps a request path to a rule (docs/compat.md#mount-precedence).
// package config compiles worker.X.mount and proxy_pass into the same
// rules and keeps the names config.Mount, config.MountTable, ... for them.
package mount

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

// Source says where a mount rule came from; it is the third sort key
// of mod_jk's precedence order (docs/compat.md#mount-precedence): uriworkermap (3) before
// JkMount (2) before worker.X.mount (1).
type Source uint8

const (
	SourceWorkerDef Source = 1 // worker.X.mount
	SourceJkMount   Source = 2 // inline mounts: jkbalancer.yaml mounts, --mount
	SourceURIMap    Source = 3 // uriworkermap.properties
)

// String returns the name mod_jk's status worker shows.
func (s Source) String() string {
	switch s {
	case SourceURIMap:
		return "uriworkermap"
	case SourceJkMount:
		return "JkMount"
	}
	return "worker definition"
}

func (s Source) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Rule is one compiled mount rule.
type Rule struct {
	// Pattern is the URI pattern with the -/! modifiers stripped; it always
	// starts with '/'.
	Pattern  string     `json:"pattern"`
	Worker   string     `json:"worker"` // "*" is allowed for exclusions
	Disabled bool       `json:"disabled,omitempty"`
	Exclude  bool       `json:"exclude,omitempty"`
	Wildcard bool       `json:"wildcard,omitempty"` // contains * or ?
	Source   Source     `json:"source"`
	Pos      diag.Pos   `json:"-"`
	Ext      Extensions `json:"extensions"`
	// Proxy is set on the rules of proxy_pass entries (config/proxymount.go):
	// the path mapping and reverse rewriting the server applies.
	Proxy *ProxyPass `json:"proxy_pass,omitempty"`
}

// Extensions are the per-rule settings appended to the worker name with
// ';' (docs/compat.md#rule-extensions). Zero values mean "not set" unless noted.
type Extensions struct {
	ReplyTimeout     int      `json:"reply_timeout"` // ms; -1 = not set, 0 = disable
	StickyIgnore     bool     `json:"sticky_ignore,omitempty"`
	Stateless        bool     `json:"stateless,omitempty"`
	Active           []string `json:"active,omitempty"`
	Disabled         []string `json:"disabled,omitempty"`
	Stopped          []string `json:"stopped,omitempty"`
	FailOnStatus     []int    `json:"fail_on_status,omitempty"`
	HasFailOnStatus  bool     `json:"-"` // FailOnStatus replaces the worker's list
	UseServerErrors  int      `json:"use_server_errors,omitempty"`
	SessionCookie    string   `json:"session_cookie,omitempty"`
	SessionPath      string   `json:"session_path,omitempty"`
	SetSessionCookie bool     `json:"set_session_cookie,omitempty"`
	// SessionCookiePath is parsed but unused, like mod_jk 1.2.48.
	SessionCookiePath string `json:"session_cookie_path,omitempty"`
}

// Table is the sorted rule set of one server. It is immutable.
type Table struct {
	Rules []Rule `json:"rules"`
}

// MaxMatchURI is the longest normalised URI mod_jk maps (CVE-2007-0774:
// longer URIs are simply not mapped).
const MaxMatchURI = 4095

// ProxyPass is one proxy_pass entry of jkbalancer.yaml: httpd's ProxyPass
// with its ProxyPassReverse and ProxyPassReverseCookiePath. Requests whose
// path starts with Path go to Worker, with Path replaced by BackendPath
// (mod_proxy's alias_match and proxy_trans). It rides on the mount rule
// the entry compiles to (Rule.Proxy); the server applies it.
type ProxyPass struct {
	Path        string `json:"path"`
	Worker      string `json:"worker"`
	BackendPath string `json:"backend_path"`
	// Reverse rewrites Location, Content-Location and URI response headers
	// from BackendPath back to Path (ProxyPassReverse).
	Reverse bool `json:"reverse,omitempty"`
	// ReverseCookiePath rewrites the Path= of Set-Cookie the same way
	// (ProxyPassReverseCookiePath).
	ReverseCookiePath bool `json:"reverse_cookie_path,omitempty"`
}

// MapPath returns the backend path for a request path under p.Path; ok is
// false when path is not under it. The result always starts with '/',
// also when the slashes of the pair do not match (httpd would then build
// a broken URL; check warns about such pairs).
func (p *ProxyPass) MapPath(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, p.Path)
	if !ok {
		return "", false
	}
	out := p.BackendPath + rest
	if !strings.HasPrefix(out, "/") {
		out = "/" + out
	}
	return out, true
}
