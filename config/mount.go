package config

// MountSource says where a mount rule came from; it is the third sort key
// of mod_jk's precedence order (docs/compat.md#mount-precedence): uriworkermap (3) before
// JkMount (2) before worker.X.mount (1).
type MountSource uint8

const (
	SourceWorkerDef MountSource = 1 // worker.X.mount
	SourceJkMount   MountSource = 2 // inline mounts: jkbalancer.yaml mounts, --mount
	SourceURIMap    MountSource = 3 // uriworkermap.properties
)

// String returns the name mod_jk's status worker shows.
func (s MountSource) String() string {
	switch s {
	case SourceURIMap:
		return "uriworkermap"
	case SourceJkMount:
		return "JkMount"
	}
	return "worker definition"
}

func (s MountSource) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Mount is one compiled mount rule.
type Mount struct {
	// Pattern is the URI pattern with the -/! modifiers stripped; it always
	// starts with '/'.
	Pattern  string      `json:"pattern"`
	Worker   string      `json:"worker"` // "*" is allowed for exclusions
	Disabled bool        `json:"disabled,omitempty"`
	Exclude  bool        `json:"exclude,omitempty"`
	Wildcard bool        `json:"wildcard,omitempty"` // contains * or ?
	Source   MountSource `json:"source"`
	Pos      Pos         `json:"-"`
	Ext      Extensions  `json:"extensions"`
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

// MountTable is the sorted rule set of one server. It is immutable.
type MountTable struct {
	Rules []Mount `json:"rules"`
}

// MaxMatchURI is the longest normalised URI mod_jk maps (CVE-2007-0774:
// longer URIs are simply not mapped).
const MaxMatchURI = 4095
