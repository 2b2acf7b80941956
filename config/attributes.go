package config

import "sort"

// attrKind says what mod_jk does when a workers.properties key repeats
// (jk_map_read_property in "handle duplicates" mode).
type attrKind uint8

const (
	// kindUnique: the later line overwrites the earlier one, with a
	// "Duplicate key" warning.
	kindUnique attrKind = iota
	// kindList: the values are joined with ',' (worker.list=a then
	// worker.list=b means a,b).
	kindList
	// kindFirst: mod_jk joins the values with '*' and then reads the
	// number before it, so the first value stays in force.
	kindFirst
)

// attrInfo describes one supported attribute name.
type attrInfo struct {
	kind attrKind
	// deprecated is non-empty for deprecated attributes: the warning
	// that tells the operator what to use instead.
	deprecated string
}

// jniNote is the warning for the attributes of the removed JNI worker
// type.
const jniNote = "attribute of the removed JNI worker type: accepted and ignored, as in mod_jk; remove the line"

// attributeTable lists every attribute name mod_jk 1.2.48 accepts after
// "worker.<name>." (its jk_is_valid_property list, docs/config.md),
// plus the http member attributes.
// Read-only.
var attributeTable = map[string]attrInfo{
	// global (worker.list, worker.maintain) and generic
	"list": {kind: kindList}, "maintain": {kind: kindFirst},
	"type": {}, "reference": {}, "mount": {kind: kindList},
	// ajp13 connection (docs/config.md#backend-worker-keys)
	"host": {}, "port": {}, "source": {}, "prefer_ipv6": {},
	"socket_timeout": {}, "socket_connect_timeout": {}, "socket_keepalive": {}, "socket_buffer": {},
	"ping_mode": {}, "ping_timeout": {}, "connect_timeout": {}, "prepost_timeout": {},
	"connection_ping_interval": {}, "connection_pool_size": {}, "connection_pool_minsize": {},
	"connection_pool_timeout": {}, "connection_acquire_timeout": {}, "reply_timeout": {},
	"retries": {}, "retry_interval": {}, "recovery_options": {}, "fail_on_status": {kind: kindList},
	"busy_limit": {}, "max_packet_size": {}, "secret": {}, "secretkey": {kind: kindFirst},
	// lb member (docs/config.md#member-keys)
	"lbfactor": {}, "distance": {kind: kindFirst}, "route": {}, "domain": {}, "redirect": {}, "activation": {},
	// lb (docs/config.md#load-balancer-keys)
	"balance_workers": {kind: kindList}, "sticky_session": {}, "sticky_session_force": {},
	"method": {}, "lock": {}, "lb_retries": {}, "recover_time": {}, "error_escalation_time": {},
	"max_reply_timeouts": {}, "session_cookie": {}, "session_path": {}, "set_session_cookie": {},
	"session_cookie_path": {},
	// lb members from DNS (jkbalancer extension, config/discover.go)
	"discover": {}, "discover_interval": {}, "discover_template": {},
	// status (docs/config.md#status-worker-keys)
	"css": {}, "read_only": {}, "user": {kind: kindList}, "user_case_insensitive": {},
	"good": {kind: kindList}, "bad": {kind: kindList}, "prefix": {}, "ns": {}, "xmlns": {}, "doctype": {},
	// status (jkbalancer extensions, config/lbstatus.go)
	"user_file": {}, "csrf": {},
	// http member (jkbalancer extension, config/http.go)
	"scheme": {}, "tls_verify": {}, "tls_ca_file": {}, "tls_server_name": {}, "tls_cert_file": {},
	"tls_key_file": {}, "probe_method": {}, "probe_uri": {}, "probe_status": {kind: kindList}, "probe_timeout": {},
	// deprecated (docs/config.md#deprecated-keys)
	"cachesize":         {deprecated: "deprecated, use connection_pool_size instead (cachesize is used only when connection_pool_size is unset)"},
	"cache_timeout":     {deprecated: "deprecated, use connection_pool_timeout instead (cache_timeout is used only when connection_pool_timeout is unset)"},
	"recycle_timeout":   {deprecated: "deprecated, use connection_pool_timeout instead (recycle_timeout is ignored, as in mod_jk)"},
	"balanced_workers":  {kind: kindFirst, deprecated: "deprecated, use balance_workers instead (balanced_workers is used only when balance_workers is unset)"},
	"jvm_route":         {deprecated: "deprecated, use route instead (jvm_route is used only when route is unset)"},
	"disabled":          {deprecated: "deprecated, use activation=D instead (disabled is used only when activation is unset)"},
	"stopped":           {deprecated: "deprecated, use activation=S instead (stopped is used only when activation is unset)"},
	"local_worker":      {deprecated: "deprecated, use activation and distance instead (local_worker is ignored, as in mod_jk)"},
	"local_worker_only": {deprecated: "deprecated, use sticky_session_force instead (local_worker_only is ignored, as in mod_jk)"},
	"sysprops":          {kind: kindFirst, deprecated: jniNote}, "stdout": {kind: kindFirst, deprecated: jniNote},
	"stderr": {kind: kindFirst, deprecated: jniNote}, "mx": {kind: kindFirst, deprecated: jniNote},
	"ms": {kind: kindFirst, deprecated: jniNote}, "class_path": {kind: kindFirst, deprecated: jniNote},
	"bridge": {kind: kindFirst, deprecated: jniNote}, "jvm_lib": {kind: kindFirst, deprecated: jniNote},
	"ld_path": {kind: kindFirst, deprecated: jniNote}, "cmd_line": {kind: kindFirst, deprecated: jniNote},
	"native_lib": {kind: kindFirst, deprecated: jniNote},
}

// lengthLimited are the attributes whose values mod_jk copies into
// fixed JK_MAX_NAME_LEN buffers: longer values abort startup.
var lengthLimited = []string{"host", "source", "route", "domain", "redirect",
	"session_cookie", "session_path", "session_cookie_path"}

// maxNameLen is mod_jk's JK_MAX_NAME_LEN for worker names and the values
// above.
const maxNameLen = 60

// splitWorkerKey splits "worker.NAME.ATTR" at the last dot. Attribute
// names contain no dots, so this is mod_jk's suffix match; NAME is ""
// for worker.list and worker.maintain.
func splitWorkerKey(key string) (name, attr string) {
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
	names := make([]string, 0, len(attributeTable))
	for n := range attributeTable {
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
