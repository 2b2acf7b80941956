package statusclient

import "fmt"

// Kind says what went wrong with one status worker instance.
type Kind int

const (
	// Unreachable: the connection or the request failed (refused, reset,
	// timed out, name not resolved).
	Unreachable Kind = iota + 1
	// AuthRefused: 401 or 403, the login was missing or wrong, or the
	// status worker refused the change (CSRF, another origin).
	AuthRefused
	// HTTPStatus: an answer other than 2xx, 401 and 403.
	HTTPStatus
	// Refused: the status worker answered with its error result
	// (Result: type=ERROR), e.g. an unknown lb or member, read only.
	Refused
	// Garbled: the answer is not a status worker's (no result, the
	// member missing from the lb, too big).
	Garbled
)

func (k Kind) String() string {
	switch k {
	case Unreachable:
		return "unreachable"
	case AuthRefused:
		return "access refused"
	case HTTPStatus:
		return "HTTP error"
	case Refused:
		return "refused by the status worker"
	case Garbled:
		return "not a status worker answer"
	}
	return "error"
}

// Error is a failure on one instance, classified where it happened.
type Error struct {
	Target Target
	Kind   Kind
	Msg    string
	Err    error // the transport error for Unreachable
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s: %s", e.Target, e.Kind, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
