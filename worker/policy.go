package worker

import (
	"net/http"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// Phase is how far a failed attempt got, whatever the transport.
type Phase uint8

const (
	PhaseBeforeSend Phase = iota // connect, CPing, send: nothing usable reached the backend
	PhaseAfterSend               // the request reached the backend; no response head yet
	PhaseAfterHead               // the backend's head arrived (not committed to the client)
	PhaseAnswered                // the backend asked for body or sent a status jkbalancer refuses: it has the request
)

// Failure is how one request failed at a member, as far as whether the
// member may be sent it again depends on it.
type Failure struct {
	Phase Phase
	// Committed: the client may have seen a byte of the answer.
	Committed bool
	// Streamed: request body beyond the part kept for a resend went to
	// the member.
	Streamed bool
	// Status: the member's head matched fail_on_status.
	Status bool
	// GiveUp: the member is not tried again whatever the rules allow
	// (unreachable, reply timeout; see gaveUp).
	GiveUp bool
}

// SendLimit is the most times a member with attributes a may receive one
// request of method that fails as f: worker.retries sends when the
// failure may be resent (mod_jk's ajp_service spends one retry per send),
// one otherwise. It is derived from the rules Forward applies (resendable,
// gaveUp), so tests, the lb's arithmetic and `jkbalancer check` quote the
// same number the member keeps to. The member's stale pooled connections
// are not counted: they never deliver the request (staleRace). An lb sends
// it this often to each member it tries, once per lb round.
func SendLimit(a *config.Member, method string, f Failure) int {
	if f.GiveUp || !f.resendable(a, method) {
		return 1
	}
	return max(a.Retries, 1)
}

// POSTSendLimit is SendLimit for a POST that failed after reaching the
// member, before anything reached the client: the order-processed-twice
// case `jkbalancer check` warns about.
func POSTSendLimit(a *config.Member) int {
	return SendLimit(a, http.MethodPost, Failure{Phase: PhaseAfterSend})
}

// mayResend decides whether a failed request may be sent again, on this
// member or another.
func (m *Member) mayResend(p Phase, committed, streamed bool, method string) bool {
	return Failure{Phase: p, Committed: committed, Streamed: streamed}.resendable(m.cfg(), method)
}

// mayResendStatus decides whether a head that matched fail_on_status may
// be followed by a resend.
func (m *Member) mayResendStatus(streamed bool, method string) bool {
	return Failure{Status: true, Streamed: streamed}.resendable(m.cfg(), method)
}

// resendable is the policy. Stronger than mod_jk: never once the client
// may have seen a byte (committed), never once body beyond the kept part
// was streamed, never once the member asked for body or answered a status
// jkbalancer refuses (PhaseAnswered; docs/differences.md, "no resend once
// the member answered"). fail_on_status is resent whatever recovery_options say
// (mod_jk's JK_STATUS_ERROR keeps op->recoverable). Otherwise
// recovery_options decide (jk_ajp_common.c ajp_get_reply): failures
// before the request reached the backend are always retried.
func (f Failure) resendable(a *config.Member, method string) bool {
	if f.Committed || f.Streamed {
		return false
	}
	if f.Status {
		return true
	}
	switch f.Phase {
	case PhaseBeforeSend:
		return true
	case PhaseAnswered:
		return false
	case PhaseAfterHead:
		if a.RecoveryOptions&config.RecoveryNoAfterHeaders != 0 {
			return false
		}
	}
	return replayAfterSend(a, method)
}

// replayAfterSend applies recovery_options bits 1, 8 and 16 to a request
// the backend may already have received (mod_jk ajp_get_reply). The quirk is
// kept: with bits 8 and 16 both set only HEAD is retried, not GET.
func replayAfterSend(a *config.Member, method string) bool {
	ro := a.RecoveryOptions
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

// mayAbort says whether the dead-path check may give up a send that is
// waiting for its reply: only when the rules would send the request
// again, and something can follow (another retry, or an lb to fail over
// to); otherwise it waits as in mod_jk.
func (m *Member) mayAbort(req *Request, at *Attempt) bool {
	return !(at.direct && at.last) && m.mayResend(PhaseAfterSend, false, false, req.HTTP.Method)
}

// mayAbortAfterHead is mayAbort once the head arrived, before anything
// reached the client (recovery_options bit 2 forbids it).
func (m *Member) mayAbortAfterHead(req *Request, at *Attempt) bool {
	return !(at.direct && at.last) && m.mayResend(PhaseAfterHead, false, false, req.HTTP.Method)
}

// replyTimeout applies the rule extension reply_timeout (>= 0 wins, 0
// disables) over the worker's reply_timeout (docs/config.md#backend-worker-keys,
// docs/compat.md#rule-extensions).
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
