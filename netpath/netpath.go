// Package netpath reads what the kernel knows about the network path of a
// TCP connection: whether request bytes written on it were acknowledged
// by the peer's kernel or are being retransmitted into the void
// (docs/config.md#safe-defaults). A slow but healthy member acknowledges
// at once; a path a firewall forgot, or a host that vanished, never does.
// It uses only the standard library; where the platform has no TCP_INFO,
// Check reports Unknown and callers keep waiting as before.
package netpath

// State is what the kernel says about the data sent on a connection.
type State uint8

const (
	// Unknown: no answer (not a TCP socket, or no TCP_INFO on this OS).
	Unknown State = iota
	// Acked: nothing sent is waiting for an acknowledgement and no probe
	// is unanswered; the path carried the request, whatever the member
	// does with it.
	Acked
	// Unacked: sent data waits for its acknowledgement, not retransmitted
	// yet: ask again soon.
	Unacked
	// Losing: sent data was retransmitted (or probed) at least once, fewer
	// than DeadRetransmits times, and is still not acknowledged: the
	// network lost it and its first retransmission, or is losing them
	// now. Not proof of a dead path yet; evidence of a lossy one.
	Losing
	// Dead: sent data was retransmitted DeadRetransmits times or more
	// without an acknowledgement: the peer's kernel does not answer.
	Dead
)

// DeadRetransmits is how many retransmissions of unacknowledged data
// prove the path dead. One lost segment happens on a lossy but working
// path; two in a row, each after a doubled timeout, do not (on loopback
// the minimum RTO is 200 ms: retransmissions at about 0.2 s and 0.6 s).
const DeadRetransmits = 2

func (s State) String() string {
	switch s {
	case Acked:
		return "acked"
	case Unacked:
		return "unacked"
	case Dead:
		return "dead"
	case Losing:
		return "losing"
	}
	return "unknown"
}

// classify turns the kernel's counters into a State. unacked is
// tcpi_unacked (segments sent and not acknowledged) and retransmits
// tcpi_retransmits (timeouts of the oldest of them; reset when an
// acknowledgement arrives): data that left and is not acknowledged. When
// a firewall on this host drops the segments they never leave: nothing is
// unacknowledged, the data waits in the send queue and the kernel probes
// on a backed-off timer; probes is tcpi_probes (probes without an answer,
// reset by any acknowledgement, so a peer that merely has its window
// closed, and answers the probes, never counts).
func classify(unacked uint32, retransmits, probes uint8) State {
	switch {
	case unacked > 0 && retransmits >= DeadRetransmits:
		return Dead
	case unacked > 0 && retransmits > 0:
		return Losing
	case unacked > 0:
		return Unacked
	case probes >= DeadRetransmits:
		return Dead
	case probes > 0:
		return Losing
	}
	return Acked
}
