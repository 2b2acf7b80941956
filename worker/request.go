package worker

import (
	"net/http"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/config"
)

// Request is one client request on its way to a worker. The server builds
// it once; the lb and the members read it on every attempt and never
// modify the shared parts (AJP is copied per attempt).
type Request struct {
	HTTP *http.Request

	// AJP is the forward-request template: URI (already encoded per the
	// ForwardURI option), client and server fields, headers, secret-less
	// attributes. Each AJP attempt sets Secret, Route and Activation for
	// its member.
	AJP ajp.Request

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

	// LocalPort is the port the client connected to ("" when unknown),
	// for the X-Forwarded-Port an HTTP member gets. The server knows it
	// per connection.
	LocalPort string

	// Note is filled by the worker that served the request, for the
	// request log (%R) and the error log.
	Note Note

	// headAt is when the member's response head arrived, stamped by the
	// responder, for the time-to-first-byte histogram (metrics.go).
	headAt time.Time
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
	// the response headers (set_session_cookie, spec/modjk.md 3.12).
	SetCookie string
	// Check asks the member to look at the session its response hands out
	// (the session-route doctor, doctor.go); zero for no check.
	Check SessionCheck
}

// Outcome reports what one Forward call moved, for lb accounting (method
// Traffic) and the status counters.
type Outcome struct {
	Status   int   // backend status when a response head arrived, else 0
	Sent     int64 // bytes written to the backend
	Received int64 // bytes read from the backend
}
