package probe

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// WriteTable prints probe results as a table, then one paragraph per
// member with a problem or a note, then a summary line. It returns how
// many members failed (see Result.Failed).
func WriteTable(w io.Writer, rs []Result) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LB\tMEMBER\tTYPE\tADDRESS\tREACHABLE\tSTATUS\tSESSION COOKIE\tROUTE SEEN\tCONFIG ROUTE\tCONFIG COOKIE\tRESULT")
	for i := range rs {
		r := &rs[i]
		reach, status := "no", "-"
		if r.Reachable {
			reach, status = "yes", strconv.Itoa(r.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.LB, r.Member, r.Type, r.Address, reach, status,
			dash(r.Cookie), dash(r.SessionRoute), r.Route, r.SessionCookie, r.Result)
	}
	tw.Flush()
	failed := 0
	for i := range rs {
		r := &rs[i]
		if r.Failed() {
			failed++
		}
		if r.Problem == "" {
			continue
		}
		fmt.Fprintf(w, "\n%s/%s: %s\n  fix: %s\n", r.LB, r.Member, r.Problem, r.Fix)
	}
	fmt.Fprintf(w, "\n%d member(s) probed, %d problem(s)\n", len(rs), failed)
	return failed
}

// WriteJSON prints probe results as a JSON document and returns how
// many members failed. With repl (check --probe --replication), the
// document also has the array "replication" of its pairs.
func WriteJSON(w io.Writer, rs []Result, repl []LBReplication) (int, error) {
	failed := 0
	for i := range rs {
		if rs[i].Failed() {
			failed++
		}
	}
	if rs == nil {
		rs = []Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	doc := struct {
		Members     []Result `json:"members"`
		Problems    int      `json:"problems"`
		Replication *[]Pair  `json:"replication,omitempty"`
	}{Members: rs, Problems: failed}
	if repl != nil {
		pairs := Pairs(repl)
		doc.Replication = &pairs
	}
	err := enc.Encode(doc)
	return failed, err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
