package worker

import (
	"net/http"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// phase is how far a failed attempt got, whatever the transport.
type phase uint8

const (
	phaseBeforeSend phase = iota // connect, CPing, send: nothing usable reached the backend
	phaseAfterSend               // the request reached the backend; no response head yet
	phaseAfterHead               // the backend's head arrived (not committed to the client)
	phaseAnswered                // the backend asked for body or sent a status we refuse: it has the request
)

// mayResend decides whether a failed request may be sent again, on this
// member or another. Stronger than mod_jk: never once the client may have
// seen a byte (committed), never once body beyond the kept part was
// streamed, never once the member asked for body or answered a status
// jkbalancer refuses (phaseAnswered; docs/differences.md, "no resend once
// the member answered"). Otherwise recovery_options decide (spec/modjk.md 5.3):
// failures before the request reached the backend are always retried.
func (m *Member) mayResend(p phase, committed, streamed bool, method string) bool {
	if committed || streamed {
		return false
	}
	switch p {
	case phaseBeforeSend:
		return true
	case phaseAnswered:
		return false
	case phaseAfterHead:
		if m.cfg().RecoveryOptions&config.RecoveryNoAfterHeaders != 0 {
			return false
		}
	}
	return m.replayAfterSend(method)
}

// replayAfterSend applies recovery_options bits 1, 8 and 16 to a request
// the backend may already have received (spec/modjk.md 5.3). The quirk is
// kept: with bits 8 and 16 both set only HEAD is retried, not GET.
func (m *Member) replayAfterSend(method string) bool {
	ro := m.cfg().RecoveryOptions
	if ro&config.RecoveryNoAfterRequest == 0 {
		return true
	}
	if ro&config.RecoveryHEAD != 0 {
		return method == http.MethodHead
	}
	if ro&config.RecoveryGET != 0 {
		return method == http.MethodGet
	}
	return false
}

// replyTimeout applies the rule extension reply_timeout (>= 0 wins, 0
// disables) over the worker's reply_timeout (spec/modjk.md 1.5, 2.7).
func (m *Member) replyTimeout(req *Request) time.Duration {
	if rt := req.Ext().ReplyTimeout; rt >= 0 {
		return time.Duration(rt) * time.Millisecond
	}
	return m.cfg().ReplyTimeoutDuration()
}

// failOnStatus returns the rule's fail_on_status list when the rule sets
// one (it replaces the worker's), else the worker's.
func (m *Member) failOnStatus(req *Request) []int {
	if ext := req.Ext(); ext.HasFailOnStatus {
		return ext.FailOnStatus
	}
	return m.cfg().FailOnStatus
}
