package worker

import (
	"errors"
	"fmt"
	"net/http"
)

// Class is what kind of failure a forwarding attempt ended with. It is set
// where the failure happens (the member) and read by the lb, which decides
// the member's state from it (docs/compat.md#classifying-an-attempt), and by Status, the one
// place that turns it into an HTTP status (docs/compat.md#the-lb-service-loop,
// docs/compat.md#status-codes).
type Class uint8

const (
	// ClassConnect: connect, CPing or send failed; the backend saw nothing
	// usable. mod_jk: 503, member error.
	ClassConnect Class = iota + 1
	// ClassClosed: the backend closed or reset the connection after the
	// request was sent, before or while replying. 502, member error.
	ClassClosed
	// ClassProtocol: an AJP framing error (bad magic, truncated or oversized
	// packet). 502; local error only.
	ClassProtocol
	// ClassInvalid: a framed but invalid AJP message (unknown type, headers
	// twice, chunk longer than the packet). 500, member error.
	ClassInvalid
	// ClassReplyTimeout: reply_timeout passed waiting for a packet. 504;
	// member error once max_reply_timeouts is exceeded.
	ClassReplyTimeout
	// ClassFailStatus: the status is in fail_on_status (positive code). 503,
	// member error.
	ClassFailStatus
	// ClassFailStatusSoft: a negative fail_on_status code matched. 503, fail
	// over, member stays OK.
	ClassFailStatusSoft
	// ClassBusy: busy_limit reached (mod_jk JK_BUSY_ERROR). 503, member
	// OK/BUSY, fail over.
	ClassBusy
	// ClassClient: the client failed (body read error, went away). 400, no
	// failover, member stays OK.
	ClassClient
	// ClassTooLarge: request headers do not fit in max_packet_size. 413, no
	// failover, member stays OK.
	ClassTooLarge
	// ClassUnavailable: no member could be chosen (all stopped, disabled,
	// in error, or sticky_session_force). 503.
	ClassUnavailable
	// ClassInternal: a bug or resource failure inside jkbalancer. 500.
	ClassInternal
	// ClassNoEndpoint: no free pool slot within connection_acquire_timeout
	// (mod_jk: get_endpoint failed). 503; the lb marks the member OK/BUSY
	// unless it is in ERR, and counts nothing against it.
	ClassNoEndpoint
)

var classNames = [...]string{"", "connect", "closed", "protocol", "invalid", "reply-timeout",
	"fail-on-status", "fail-on-status-soft", "busy", "client", "too-large", "unavailable", "internal",
	"no-endpoint"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "unknown"
}

// Error is the classified outcome of a failed attempt (or of a whole
// request, when the lb returns it).
type Error struct {
	Member string // the member (worker name) that failed; "" for the lb itself
	Class  Class
	// Recoverable is false when the request must not be sent again: the
	// body was streamed beyond what was kept, response bytes reached the
	// client, or recovery_options forbid it.
	Recoverable bool
	// HeadSent is true once the response status and headers went to the
	// client; then nothing can be written but the rest of the body, and on
	// failure the client connection is aborted.
	HeadSent bool
	// Unreachable is set when connecting or the CPing failed: the member is
	// down or hung, which other requests still in flight on it do not make
	// less true (the lb marks it ERR at once instead of waiting for
	// error_escalation_time).
	Unreachable bool
	// Status is the backend's status for ClassFailStatus*.
	Status int
	Err    error
}

func (e *Error) Error() string {
	who := e.Member
	if who == "" {
		who = "lb"
	}
	if e.Err == nil {
		return fmt.Sprintf("%s: %s", who, e.Class)
	}
	return fmt.Sprintf("%s: %s: %v", who, e.Class, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Status maps the final error of a request to the HTTP status the client
// gets. It is the only such mapping in jkbalancer. A nil error is 200.
func Status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var we *Error
	if !errors.As(err, &we) {
		return http.StatusInternalServerError
	}
	switch we.Class {
	case ClassConnect, ClassFailStatus, ClassFailStatusSoft, ClassBusy, ClassUnavailable, ClassNoEndpoint:
		return http.StatusServiceUnavailable
	case ClassClosed, ClassProtocol:
		return http.StatusBadGateway
	case ClassReplyTimeout:
		return http.StatusGatewayTimeout
	case ClassClient:
		return http.StatusBadRequest
	case ClassTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}
