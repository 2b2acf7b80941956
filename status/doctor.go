package status

import (
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/doctor"
)

// The session-route doctor's findings (package doctor) shown with each
// lb. mod_jk has nothing like it, so the machine formats get records of a
// name mod_jk never prints ("Session Route Problem:" lines in txt,
// worker.LB.session_route_problem.N.* keys in prop, <session_route_problem>
// elements inside <balancer> in xml), and only when there are findings: a
// parser written for mod_jk sees exactly mod_jk's keys on a healthy
// balancer and can skip the extra ones on a sick one.

// doctorRow is one finding on the HTML page.
type doctorRow struct {
	doctor.Finding
	Kind, First, Last string
}

// findings returns the doctor's findings for lb.
func (rq *request) findings(lb string) []doctor.Finding {
	return rq.h.spec.Doctor.FindingsFor(lb)
}

// htmlDoctor is the "Session-route problems" block of an lb.
func (rq *request) htmlDoctor(lb string) []doctorRow {
	var rows []doctorRow
	for _, f := range rq.findings(lb) {
		rows = append(rows, doctorRow{Finding: f, Kind: f.Kind.String(),
			First: f.First.In(rq.h.spec.Location).Format(timeHTML), Last: f.Last.In(rq.h.spec.Location).Format(timeHTML)})
	}
	return rows
}

// machineDoctor prints the lb's findings in txt, prop or xml.
func (rq *request) machineDoctor(lb string) {
	for i, f := range rq.findings(lb) {
		r := doctorRecord(lb, i+1, &f, rq.mime == mimeTXT)
		rq.writeRecord(&r, 6, false)
	}
}

// doctorRecord is one finding as a record, numbered from 1 like the maps.
// Values are printable ASCII (the doctor masks the rest); txt gets no
// double quote inside a quoted value.
func doctorRecord(lb string, n int, f *doctor.Finding, txt bool) record {
	id := strconv.Itoa(n)
	r := record{elem: "session_route_problem", label: "Session Route Problem:", owner: lb,
		item: "session_route_problem." + id}
	r.fields = append(r.fields, field{key: "id", val: id, noProp: true})
	q := func(key, val string) {
		if txt {
			val = strings.ReplaceAll(val, `"`, "'")
		}
		r.addQ(key, val)
	}
	q("member", f.Member)
	q("kind", f.Kind.String())
	q("seen", f.Seen)
	q("configured", f.Configured)
	q("address", f.Addr)
	q("from", f.From)
	r.addInt("count", int64(f.Count))
	r.addInt("first_seen", f.First.Unix())
	r.addInt("last_seen", f.Last.Unix())
	q("problem", f.Problem)
	q("fix", f.Fix)
	return r
}

// pageDoctor is the HTML block, after the members of an lb.
const pageDoctor = `{{define "doctor"}}{{if .}}<h4 class="bad">Session-route problems ({{len .}})</h4>
<p>Sessions of these members do not survive: sticky routing or replication is broken (see each fix). Reset the lb once fixed.</p>
<div class="t"><table><tr><th class="n">Member</th><th>Kind</th><th>Problem</th><th>Fix</th><th>Count</th><th>First seen</th><th>Last seen</th></tr>
{{range .}}<tr><td class="n">{{or .Member "-"}}</td><td>{{.Kind}}</td><td style="white-space:normal;min-width:16rem">{{.Problem}}</td><td style="white-space:normal;min-width:16rem">{{.Fix}}</td><td>{{.Count}}</td><td>{{.First}}</td><td>{{.Last}}</td></tr>
{{end}}</table></div>
{{end}}{{end}}`
