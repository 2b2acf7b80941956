package config

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/config/props"
)

// defaultPoolSize is jkbalancer's connection_pool_size default. mod_jk
// uses the threads of one httpd child (ThreadsPerChild); jkbalancer is a
// single process, so the equivalent is the whole server's concurrency:
// httpd event MPM's default MaxRequestWorkers (256).
const defaultPoolSize = 256

// Defaults of docs/config.md#backend-worker-keys, docs/config.md#member-keys.
const (
	defaultAJPPort       = 8009
	defaultAJP14Port     = 8011
	defaultPingTimeout   = 10000
	defaultRetries       = 2
	defaultRetryIntvl    = 100
	minPacketSize        = 8192
	maxPacketSize        = 65536
	defaultHost          = "localhost"
	defaultSessionPath   = ";jsessionid"
	defaultSessionCookie = "JSESSIONID"
)

var ajpInts = []intField[Member]{
	{"port", defaultAJPPort, func(a *Member) *int { return &a.Port }},
	{"socket_timeout", 0, func(a *Member) *int { return &a.SocketTimeout }},
	{"socket_connect_timeout", 0, func(a *Member) *int { return &a.SocketConnectTimeout }},
	{"socket_buffer", 0, func(a *Member) *int { return &a.SocketBuffer }},
	{"ping_timeout", defaultPingTimeout, func(a *Member) *int { return &a.PingTimeout }},
	{"connect_timeout", 0, func(a *Member) *int { return &a.ConnectTimeout }},
	{"prepost_timeout", 0, func(a *Member) *int { return &a.PrepostTimeout }},
	{"connection_ping_interval", 0, func(a *Member) *int { return &a.ConnectionPingInterval }},
	{"connection_pool_size", defaultPoolSize, func(a *Member) *int { return &a.ConnectionPoolSize }},
	{"connection_pool_minsize", 0, func(a *Member) *int { return &a.ConnectionPoolMinsize }},
	{"connection_pool_timeout", 0, func(a *Member) *int { return &a.ConnectionPoolTimeout }},
	{"connection_acquire_timeout", 0, func(a *Member) *int { return &a.ConnectionAcquireTimeout }},
	{"reply_timeout", 0, func(a *Member) *int { return &a.ReplyTimeout }},
	{"retries", defaultRetries, func(a *Member) *int { return &a.Retries }},
	{"retry_interval", defaultRetryIntvl, func(a *Member) *int { return &a.RetryInterval }},
	{"recovery_options", 0, func(a *Member) *int { return &a.RecoveryOptions }},
	{"busy_limit", 0, func(a *Member) *int { return &a.BusyLimit }},
	{"max_packet_size", minPacketSize, func(a *Member) *int { return &a.MaxPacketSize }},
	{"lbfactor", 1, func(a *Member) *int { return &a.LBFactor }},
	{"distance", 0, func(a *Member) *int { return &a.Distance }},
	{"path_check_interval", 0, func(a *Member) *int { return &a.PathCheckInterval }},
}

var ajpBools = []boolField[Member]{
	{"prefer_ipv6", false, func(a *Member) *bool { return &a.PreferIPv6 }},
	{"socket_keepalive", false, func(a *Member) *bool { return &a.SocketKeepalive }},
}

var ajpStrs = []strField[Member]{
	{"host", defaultHost, func(a *Member) *string { return &a.Host }},
	{"source", "", func(a *Member) *string { return &a.Source }},
	{"secret", "", func(a *Member) *string { return &a.Secret }},
	{"secretkey", "", func(a *Member) *string { return &a.SecretKey }},
	{"domain", "", func(a *Member) *string { return &a.Domain }},
	{"redirect", "", func(a *Member) *string { return &a.Redirect }},
}

// compileAJP builds the AJP attributes of an ajp13/ajp14 worker, with
// every default and derivation applied (docs/config.md#backend-worker-keys,
// docs/config.md#member-keys, docs/compat.md#cping-and-timeouts).
func compileAJP(r attrReader, typ string, pos Pos) *Member {
	a := &Member{}
	readInts(r, a, ajpInts)
	readBools(r, a, ajpBools)
	readStrs(r, a, ajpStrs)
	if typ == TypeAJP14 && !r.has("port") {
		a.Port = defaultAJP14Port
	}
	pm, _ := r.str("ping_mode", "")
	a.PingMode = props.NormalizePingMode(pm)
	applyAJPAliases(r, a)
	deriveAJP(r, a)
	applySafeDefaults(r, a)
	a.Route, a.Domain = deriveRoute(r, a.Domain)
	a.Activation = readActivation(r)
	a.FailOnStatus = readFailOnStatus(r)
	if a.Port <= 0 || a.Port > 65535 {
		if a.Port != 0 {
			r.c.Warnf(r.pos("port", pos), r.name, "port", "%d is not a TCP port; the worker is stopped (mod_jk: no contact)", a.Port)
		}
		// mod_jk: port 0 means "no contact"; an lb member becomes STOPPED.
		a.Activation = Stopped
	}
	r.checkLengths("host", "source", "route", "jvm_route", "domain", "redirect")
	return a
}

// applyAJPAliases lets the deprecated attributes fill in when their
// successors are unset, exactly as mod_jk's getters do.
func applyAJPAliases(r attrReader, a *Member) {
	if !r.has("connection_pool_size") || a.ConnectionPoolSize < 0 {
		if v, ok := r.int("cachesize", 0); ok && v >= 0 {
			a.ConnectionPoolSize = v
		} else {
			a.ConnectionPoolSize = defaultPoolSize
		}
	}
	if !r.has("connection_pool_timeout") {
		if v, ok := r.int("cache_timeout", 0); ok {
			a.ConnectionPoolTimeout = v
		}
	}
}

// deriveAJP applies the defaults that depend on other attributes and the
// ranges mod_jk enforces.
func deriveAJP(r attrReader, a *Member) {
	a.Retries = max(a.Retries, 1)
	a.LBFactor = max(a.LBFactor, 1)
	if !r.has("socket_connect_timeout") {
		a.SocketConnectTimeout = props.Clamp32(int64(a.SocketTimeout) * 1000)
	}
	if !r.has("connection_pool_minsize") || a.ConnectionPoolMinsize < 0 {
		a.ConnectionPoolMinsize = (a.ConnectionPoolSize + 1) / 2
	}
	a.ConnectionPoolMinsize = max(min(a.ConnectionPoolMinsize, a.ConnectionPoolSize), 0)
	if !r.has("connection_acquire_timeout") {
		a.ConnectionAcquireTimeout = props.Clamp32(int64(a.Retries) * int64(a.RetryInterval))
	}
	if a.MaxPacketSize > maxPacketSize {
		r.c.Warnf(r.pos("max_packet_size", Pos{}), r.name, "max_packet_size",
			"%d is above the AJP limit; %d is used (it must match Tomcat's packetSize)", a.MaxPacketSize, maxPacketSize)
	}
	a.MaxPacketSize = min(max((a.MaxPacketSize+1023)/1024*1024, minPacketSize), maxPacketSize)
	if a.SocketBuffer > 0 && a.SocketBuffer < a.MaxPacketSize {
		a.SocketBuffer = a.MaxPacketSize // mod_jk raises it to hold a whole packet
	}
	// ping_mode letters only set timeouts that are still 0 (docs/compat.md#cping-and-timeouts): the
	// numbers, not the letters, switch the probes on.
	if strings.Contains(a.PingMode, "C") && a.ConnectTimeout == 0 {
		a.ConnectTimeout = a.PingTimeout
	}
	if strings.Contains(a.PingMode, "P") && a.PrepostTimeout == 0 {
		a.PrepostTimeout = a.PingTimeout
	}
	if strings.Contains(a.PingMode, "I") && a.ConnectionPingInterval == 0 {
		a.ConnectionPingInterval = a.PingTimeout / 100
	}
}

// deriveRoute returns route (default: the worker name, alias jvm_route)
// and domain (default: the part of the route before the first '.').
func deriveRoute(r attrReader, domain string) (string, string) {
	route, ok := r.str("route", "")
	if !ok {
		route, ok = r.str("jvm_route", "")
	}
	if !ok {
		route = r.name
	}
	if !r.has("domain") {
		if i := strings.IndexByte(route, '.'); i >= 0 {
			domain = route[:i]
		}
	}
	return route, domain
}

// readActivation reads activation (first character), else the deprecated
// booleans: stopped is checked before disabled.
func readActivation(r attrReader) Activation {
	if v, ok := r.str("activation", ""); ok {
		return ParseActivation(v)
	}
	if s, _ := r.bool("stopped", false); s {
		return Stopped
	}
	if d, _ := r.bool("disabled", false); d {
		return Disabled
	}
	return Active
}

// readFailOnStatus parses fail_on_status with plain atoi per token (no
// k/M suffixes); a negative code fails the request over but keeps the
// member OK.
func readFailOnStatus(r attrReader) []int {
	var out []int
	for _, t := range r.list("fail_on_status") {
		n, ok := props.Atoi(t.Text)
		if !ok || n == 0 {
			r.c.Warnf(t.Pos, r.name, "fail_on_status", "%q is not a status code; ignored", t.Text)
			if n == 0 {
				continue
			}
		}
		out = append(out, n)
	}
	return out
}
