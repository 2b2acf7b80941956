package props

import "sort"

// AttrKind says what mod_jk does when a workers.properties key repeats
// (jk_map_read_property in "handle duplicates" mode).
type AttrKind uint8

const (
	// KindUnique: the later line overwrites the earlier one, with a
	// "Duplicate key" warning.
	KindUnique AttrKind = iota
	// KindList: the values are joined with ',' (worker.list=a then
	// worker.list=b means a,b).
	KindList
	// KindFirst: mod_jk joins the values with '*' and then reads the
	// number before it, so the first value stays in force.
	KindFirst
)

// AttrInfo describes one supported attribute name.
type AttrInfo struct {
	Kind AttrKind
	// Deprecated is non-empty for Deprecated attributes: the warning
	// that tells the operator what to use instead.
	Deprecated string
}

// jniNote is the warning for the attributes of the removed JNI worker
// type.
const jniNote = "attribute of the removed JNI worker type: accepted and ignored, as in mod_jk; remove the line"

// Attributes lists every attribute name mod_jk 1.2.48 accepts after
// "worker.<name>." (its jk_is_valid_property list, docs/config.md),
// plus the http member attributes.
// Read-only.
var Attributes = map[string]AttrInfo{
	// global (worker.list, worker.maintain) and generic
	"list": {Kind: KindList}, "maintain": {Kind: KindFirst},
	"type": {}, "reference": {}, "mount": {Kind: KindList},
	// ajp13 connection (docs/config.md#backend-worker-keys)
	"host": {}, "port": {}, "source": {}, "prefer_ipv6": {},
	"socket_timeout": {}, "socket_connect_timeout": {}, "socket_keepalive": {}, "socket_buffer": {},
	"ping_mode": {}, "ping_timeout": {}, "connect_timeout": {}, "prepost_timeout": {},
	"connection_ping_interval": {}, "connection_pool_size": {}, "connection_pool_minsize": {},
	"connection_pool_timeout": {}, "connection_acquire_timeout": {}, "reply_timeout": {},
	"retries": {}, "retry_interval": {}, "recovery_options": {}, "fail_on_status": {Kind: KindList},
	"busy_limit": {}, "max_packet_size": {}, "secret": {}, "secretkey": {Kind: KindFirst},
	// lb member (docs/config.md#member-keys)
	"lbfactor": {}, "distance": {Kind: KindFirst}, "route": {}, "domain": {}, "redirect": {}, "activation": {},
	// lb (docs/config.md#load-balancer-keys)
	"balance_workers": {Kind: KindList}, "sticky_session": {}, "sticky_session_force": {},
	"method": {}, "lock": {}, "lb_retries": {}, "recover_time": {}, "error_escalation_time": {},
	"max_reply_timeouts": {}, "session_cookie": {}, "session_path": {}, "set_session_cookie": {},
	"session_cookie_path": {},
	// stall detection (jkbalancer extension, config/safedefaults.go)
	"stall_min": {}, "stall_factor": {},
	// the dead-path check (jkbalancer extension, config/safedefaults.go)
	"path_check_interval": {},
	// lb members from DNS (jkbalancer extension, config/discover.go)
	"discover": {}, "discover_interval": {}, "discover_template": {},
	// status (docs/config.md#status-worker-keys)
	"css": {}, "read_only": {}, "user": {Kind: KindList}, "user_case_insensitive": {},
	"good": {Kind: KindList}, "bad": {Kind: KindList}, "prefix": {}, "ns": {}, "xmlns": {}, "doctype": {},
	// status (jkbalancer extensions, config/lbstatus.go)
	"user_file": {}, "csrf": {}, "allow": {Kind: KindList},
	// http member (jkbalancer extension, config/http.go)
	"scheme": {}, "tls_verify": {}, "tls_ca_file": {}, "tls_server_name": {}, "tls_cert_file": {},
	"tls_key_file": {}, "probe_method": {}, "probe_uri": {}, "probe_status": {Kind: KindList}, "probe_timeout": {},
	// deprecated (docs/config.md#deprecated-keys)
	"cachesize":         {Deprecated: "deprecated, use connection_pool_size instead (cachesize is used only when connection_pool_size is unset)"},
	"cache_timeout":     {Deprecated: "deprecated, use connection_pool_timeout instead (cache_timeout is used only when connection_pool_timeout is unset)"},
	"recycle_timeout":   {Deprecated: "deprecated, use connection_pool_timeout instead (recycle_timeout is ignored, as in mod_jk)"},
	"balanced_workers":  {Kind: KindFirst, Deprecated: "deprecated, use balance_workers instead (balanced_workers is used only when balance_workers is unset)"},
	"jvm_route":         {Deprecated: "deprecated, use route instead (jvm_route is used only when route is unset)"},
	"disabled":          {Deprecated: "deprecated, use activation=D instead (disabled is used only when activation is unset)"},
	"stopped":           {Deprecated: "deprecated, use activation=S instead (stopped is used only when activation is unset)"},
	"local_worker":      {Deprecated: "deprecated, use activation and distance instead (local_worker is ignored, as in mod_jk)"},
	"local_worker_only": {Deprecated: "deprecated, use sticky_session_force instead (local_worker_only is ignored, as in mod_jk)"},
	"sysprops":          {Kind: KindFirst, Deprecated: jniNote}, "stdout": {Kind: KindFirst, Deprecated: jniNote},
	"stderr": {Kind: KindFirst, Deprecated: jniNote}, "mx": {Kind: KindFirst, Deprecated: jniNote},
	"ms": {Kind: KindFirst, Deprecated: jniNote}, "class_path": {Kind: KindFirst, Deprecated: jniNote},
	"bridge": {Kind: KindFirst, Deprecated: jniNote}, "jvm_lib": {Kind: KindFirst, Deprecated: jniNote},
	"ld_path": {Kind: KindFirst, Deprecated: jniNote}, "cmd_line": {Kind: KindFirst, Deprecated: jniNote},
	"native_lib": {Kind: KindFirst, Deprecated: jniNote},
}

// lengthLimited are the attributes whose values mod_jk copies into
// fixed JK_MAX_NAME_LEN buffers: longer values abort startup.
var lengthLimited = []string{"host", "source", "route", "domain", "redirect",
	"session_cookie", "session_path", "session_cookie_path"}

// MaxNameLen is mod_jk's JK_MAX_NAME_LEN for worker names and the values
// above.
const MaxNameLen = 60

// SplitWorkerKey splits "worker.NAME.ATTR" at the last dot. Attribute
// names contain no dots, so this is mod_jk's suffix match; NAME is ""
// for worker.list and worker.maintain.
func SplitWorkerKey(key string) (name, attr string) {
	rest := key[len("worker."):]
	for i := len(rest) - 1; i >= 0; i-- {
		if rest[i] == '.' {
			return rest[:i], rest[i+1:]
		}
	}
	return "", rest
}

// suggestAttribute returns the supported attribute closest to a
// misspelled one, or "" when nothing is close.
func suggestAttribute(attr string) string {
	names := make([]string, 0, len(Attributes))
	for n := range Attributes {
		names = append(names, n)
	}
	sort.Strings(names) // deterministic among equally close names
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(attr, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}
