package probe

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// ReplicationSummary counts what Replication found: Lost pairs, and
// Unchecked lbs, those with a pair of members where no member created a
// session at the probe path (the check could not be made for them).
type ReplicationSummary struct {
	Kept, Lost, Unknown int
	Unchecked           []string
}

// Summarize counts the pairs of lbs.
func Summarize(lbs []LBReplication) ReplicationSummary {
	var s ReplicationSummary
	for i := range lbs {
		l := &lbs[i]
		if len(l.Pairs) > 0 && l.Sessions == 0 {
			s.Unchecked = append(s.Unchecked, l.Name)
		}
		for _, p := range l.Pairs {
			switch p.Result {
			case Kept:
				s.Kept++
			case Lost:
				s.Lost++
			default:
				s.Unknown++
			}
		}
	}
	return s
}

// Pairs is every pair of lbs, in order, never nil (for JSON).
func Pairs(lbs []LBReplication) []Pair {
	out := []Pair{}
	for i := range lbs {
		out = append(out, lbs[i].Pairs...)
	}
	return out
}

// WriteMatrix prints one matrix per lb (rows: the member the session was
// created on; columns: the member it was presented to; "-" where no pair
// was checked: the member itself, or another domain), then a paragraph
// per pair that was not kept, then a summary line.
func WriteMatrix(w io.Writer, lbs []LBReplication, path string) ReplicationSummary {
	for i := range lbs {
		l := &lbs[i]
		fmt.Fprintf(w, "\nreplication of lb %s (rows: session created on, columns: presented to)\n", l.Name)
		if len(l.Pairs) == 0 {
			fmt.Fprintln(w, "  no pair of members to check (one member, or one per domain)")
			continue
		}
		if l.Sessions == 0 {
			fmt.Fprintf(w, "  no member set a session at %s: the check could not be made; use --probe-path with a page that creates one\n", path)
		}
		writeGrid(w, l)
		writeNotes(w, l)
	}
	s := Summarize(lbs)
	fmt.Fprintf(w, "\n%d pair(s): %d kept, %d lost, %d unknown\n", s.Kept+s.Lost+s.Unknown, s.Kept, s.Lost, s.Unknown)
	return s
}

// writeNotes explains every pair of l that was not kept; the fix of a
// lost pair is given once for both directions.
func writeNotes(w io.Writer, l *LBReplication) {
	fixed := map[[2]string]bool{}
	first := true
	for _, p := range l.Pairs {
		if p.Result == Kept {
			continue
		}
		if first {
			fmt.Fprintln(w)
			first = false
		}
		fmt.Fprintf(w, "%s %s -> %s: %s: %s\n", p.LB, p.From, p.To, p.Result, p.Reason)
		if p.Result == Lost && !fixed[[2]string{p.To, p.From}] {
			fixed[[2]string{p.From, p.To}] = true
			fmt.Fprintf(w, "  fix: %s\n", lostFix(p.From, p.To))
		}
	}
}

// writeGrid is the matrix of one lb.
func writeGrid(w io.Writer, l *LBReplication) {
	result := make(map[[2]string]string, len(l.Pairs))
	for _, p := range l.Pairs {
		result[[2]string{p.From, p.To}] = p.Result
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "FROM \\ TO")
	for _, m := range l.Members {
		fmt.Fprint(tw, "\t"+m)
	}
	fmt.Fprintln(tw)
	for _, from := range l.Members {
		fmt.Fprint(tw, from)
		for _, to := range l.Members {
			r := result[[2]string{from, to}]
			fmt.Fprint(tw, "\t"+dash(r))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// lostFix is what to do about a lost pair, in the operator's terms.
func lostFix(from, to string) string {
	return "session replication between " + from + " and " + to + " is not working: put <Cluster> in both server.xml" +
		" files and <distributable/> in the application's web.xml, make the replication receiver port (4000-4100" +
		" by default) and the membership (multicast 228.0.0.4:45564, or static membership where multicast is" +
		" blocked) reachable between the two hosts, and keep session attributes Serializable; if replication is" +
		" not intended, know that a failover logs users out"
}
