package worker

import (
	"net/http"
	"strings"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/doctor"
)

// Request is one client request on its way to a worker. The server builds
// it once; the lb and the members read it on every attempt and never
// modify the shared parts (AJP is copied per attempt).
type Request struct {
	HTTP *http.Request

	// Forward is the forward-request template: URI (already encoded per the
	// ForwardURI option), client and server fields, headers, secret-less
	// attributes. Each Forward attempt sets Secret, Route and Activation for
	// its member.
	Forward ajp.Request

	// Body is shared by every attempt; see ajp.Body.
	Body *ajp.Body

	// Rule is the mount rule that selected the worker (its extensions
	// apply), or nil when the worker was chosen otherwise.
	Rule *config.Mount

	// Secure is true when the client connection is TLS (adds ";Secure" to
	// generated session cookies).
	Secure bool

	// TLS is the client connection's TLS facts, nil for plain HTTP. The
	// AJP template already carries them; the HTTP transport sends them as
	// headers. Shared by every request of the connection: read-only.
	TLS *TLSInfo

	// ClientIP is the client's address without its port, as the server
	// split it once for its connection (X-Forwarded-For); "" = split
	// HTTP.RemoteAddr.
	ClientIP string

	// LocalPort is the port the client connected to ("" when unknown),
	// for the X-Forwarded-Port an HTTP member gets. The server knows it
	// per connection.
	LocalPort string

	// Note is filled by the worker that served the request, for the
	// request log (%R) and the error log.
	Note Note

	// Fields is the client's spelling and order of its header fields,
	// when the front end keeps them (server/h1); nil otherwise.
	Fields FieldNames

	// headAt is when the member's response head arrived, stamped by the
	// responder, for the time-to-first-byte histogram (metrics.go).
	headAt time.Time
	// wait is the attempt waiting for its member's first reply byte, for
	// the member's stall watch (counters.go).
	wait stallWait
}

// FieldNames is the client's spelling and order of a request's header
// field names: Len distinct names, At(i) the canonical key and the
// spelling of its first occurrence, in the order they first came.
type FieldNames interface {
	Len() int
	At(i int) (key, name string)
}

// EachField calls f for every header field of the client's request, once
// per name with all its values, the way httpd hands its headers_in to
// mod_jk and mod_proxy: in the order the client sent them and with its
// spelling when the front end kept them (Fields), else in map order
// with the canonical key as the name.
func (r *Request) EachField(f func(key, name string, values []string)) {
	h := r.HTTP.Header
	fs := r.Fields
	if fs != nil {
		seen := 0
		for i := range fs.Len() {
			key, name := fs.At(i)
			if vs, ok := h[key]; ok {
				f(key, name, vs)
				seen++
			}
		}
		if seen == len(h) {
			return
		}
	}
	for key, vs := range h {
		if fs == nil || !HasField(fs, key) {
			f(key, key, vs) // a field the front end did not read from the client
		}
	}
}

// HasField reports whether the client's fields fs include key.
func HasField(fs FieldNames, key string) bool {
	for i := range fs.Len() {
		if k, _ := fs.At(i); k == key {
			return true
		}
	}
	return false
}

// JoinValues is a repeated request field as httpd merges it into
// headers_in: every value in order, joined with ", " (Cookie too), so an
// application's getHeader sees them all.
func JoinValues(values []string) string {
	if len(values) == 1 {
		return values[0]
	}
	return strings.Join(values, ", ")
}

// Note records which member served a request. mod_jk's route note keeps
// the route of the first member tried (or the domain) across failovers.
type Note struct {
	Route    string // %R: the route sent to the backend
	Member   string // the last member tried
	Attempts int    // members tried
}

// Ext returns the rule extensions, or the zero set (with ReplyTimeout -1)
// when no rule applies.
func (r *Request) Ext() *config.Extensions {
	if r.Rule != nil {
		return &r.Rule.Ext
	}
	return &noExtensions
}

var noExtensions = config.Extensions{ReplyTimeout: -1}

// Attempt is what the lb decides for one attempt on one member.
type Attempt struct {
	// Route is sent as AJP attribute SC_A_ROUTE. mod_jk keeps the route of
	// the first member tried (or the domain) across failovers.
	Route string
	// Activation is the member's activation for this request, sent as
	// JK_LB_ACTIVATION.
	Activation config.Activation
	// SetCookie, when not empty, is a Set-Cookie value the member appends to
	// the response headers (set_session_cookie, docs/compat.md#sticky-sessions).
	SetCookie string
	// Check asks the member to look at the session its response hands out
	// (the session-route doctor, package doctor); zero for no check.
	Check doctor.SessionCheck

	// direct: the worker is used on its own (Member.Serve), with no lb to
	// fail over to; last: Forward's send is the last retries allow. Then
	// nothing follows a send given up on a dead path, and it is not given
	// up (docs/config.md#safe-defaults).
	direct, last bool
}

// Outcome reports what one Forward call moved, for lb accounting (method
// Traffic) and the status counters.
type Outcome struct {
	Status   int   // backend status when a response head arrived, else 0
	Sent     int64 // bytes written to the backend
	Received int64 // bytes read from the backend
}
