package config

import (
	"encoding/json"
	"time"
)

// Server holds what httpd used to provide around mod_jk: listeners, the
// JkOptions, JkEnvVar, logging. It comes from jkbalancer.yaml and the
// command line.
type Server struct {
	Listen []Listener `json:"listen"`

	WorkersFile string `json:"workers_file,omitempty"`
	MountFile   string `json:"mount_file,omitempty"`
	// MountFileReload is JkMountFileReload in seconds (default 60, 0 = off).
	MountFileReload int `json:"mount_file_reload"`
	// ConfigReload is how often serve compares the content of every
	// configuration file with what it runs and reloads on a change, as
	// SIGHUP does (0 = never; docs/reload.md#config-reload).
	ConfigReload time.Duration `json:"-"`

	// ServerName is the canonical name (httpd ServerName) used for %v and
	// as the AJP server_name when a request carries no Host header.
	ServerName string `json:"server_name,omitempty"`

	Options Options  `json:"options"`
	EnvVars []EnvVar `json:"env_vars,omitempty"`

	Log Log `json:"log"`

	// ShutdownTimeout bounds the SIGTERM drain.
	ShutdownTimeout time.Duration `json:"-"`

	// StateFile keeps the status worker's runtime edits (activation,
	// lbfactor, ...) across restarts; "" = they are lost, as in mod_jk.
	StateFile string `json:"state_file,omitempty"`

	// Admin is the admin listener: /metrics, /healthz, /readyz (admin.go).
	Admin Admin `json:"admin"`

	// Limits defend the front end against hostile clients (limits.go).
	Limits Limits `json:"limits,omitzero"`
}

// MarshalJSON prints durations the way jkbalancer.yaml spells them ("30s").
func (s Server) MarshalJSON() ([]byte, error) {
	type plain Server
	return json.Marshal(struct {
		plain
		ShutdownTimeout string `json:"shutdown_timeout"`
	}{plain(s), s.ShutdownTimeout.String()})
}

// Listener is one address the front end accepts on.
type Listener struct {
	Addr string `json:"addr"`
	// TLS is set for HTTPS listeners (HTTP/2 is offered over TLS).
	TLS *TLS `json:"tls,omitempty"`
}

// TLS terminates TLS on a listener: httpd's SSL virtual host. The
// certificate files are read (and checked) by Load and again by the server
// at startup and on SIGHUP; see LoadTLS.
type TLS struct {
	// Certificate is the default: served when the client sends no SNI
	// name or one that no other certificate claims.
	Certificate
	// Certificates are more certificates, chosen by the SNI server name
	// (one httpd SSL virtual host each).
	Certificates []Certificate `json:"certificates,omitempty"`
	MinVersion   TLSVersion    `json:"min_version"`
	// CipherSuites restricts the TLS 1.2 suites (SSLCipherSuite); nil =
	// Go's defaults. TLS 1.3 suites are not configurable.
	CipherSuites []CipherSuite `json:"cipher_suites,omitempty"`
	ClientAuth   ClientAuth    `json:"client_auth"`
	ClientCAFile string        `json:"client_ca_file,omitempty"`
	// ClientCertChain, when set, overrides JkOptions ForwardSSLCertChain
	// for requests on this listener, as a JkOptions line inside an httpd
	// SSL virtual host would.
	ClientCertChain *bool `json:"client_cert_chain,omitempty"`

	Pos         Pos `json:"-"` // the tls: key
	ClientCAPos Pos `json:"-"`
}

// Certificate is one certificate and its key.
type Certificate struct {
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
	// ServerNames are the SNI names that select this certificate; empty =
	// the certificate's DNS names (or its CN when it has none).
	ServerNames []string `json:"server_names,omitempty"`

	CertPos Pos `json:"-"`
	KeyPos  Pos `json:"-"`
}

// ForwardURI selects how the request URI is sent to the backend
// (docs/config.md#jkoptions).
type ForwardURI uint8

const (
	ForwardURIProxy          ForwardURI = iota // default: re-encode the decoded URI
	ForwardURICompatUnparsed                   // the raw URI the client sent, minus the query
	ForwardURICompat                           // the decoded URI as-is (unsafe)
	ForwardURIEscaped                          // re-escape the decoded URI
)

func (f ForwardURI) String() string {
	return [...]string{"ForwardURIProxy", "ForwardURICompatUnparsed", "ForwardURICompat", "ForwardURIEscaped"}[f]
}

func (f ForwardURI) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// Options are the JkOptions.
type Options struct {
	ForwardURI             ForwardURI `json:"forward_uri"`
	RejectUnsafeURI        bool       `json:"reject_unsafe_uri"`
	ForwardDirectories     bool       `json:"forward_directories"`
	ForwardLocalAddress    bool       `json:"forward_local_address"`
	ForwardPhysicalAddress bool       `json:"forward_physical_address"`
	FlushPackets           bool       `json:"flush_packets"`
	FlushHeader            bool       `json:"flush_header"`
	DisableReuse           bool       `json:"disable_reuse"`
	ForwardKeySize         bool       `json:"forward_key_size"` // default true
	ForwardSSLCertChain    bool       `json:"forward_ssl_cert_chain"`
}

// EnvVar is one JkEnvVar: sent to the backend as an AJP request attribute.
// There is no httpd environment in jkbalancer; Value is the configured
// value, sent on every request when HasValue is set.
type EnvVar struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	HasValue bool   `json:"-"`
}

// Log configures the error log and the request log.
type Log struct {
	File   string `json:"file,omitempty"` // "" = stderr
	Level  string `json:"level"`          // trace|debug|info|warn|error
	Format string `json:"format"`         // text|json
	// RequestFormat is a JkRequestLogFormat string ("" = off), or
	// "combined" for the Apache combined format.
	RequestFormat string `json:"request_format,omitempty"`
	RequestFile   string `json:"request_file,omitempty"` // "" = same as File
}
