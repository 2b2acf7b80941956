package status

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/worker"
)

// The sparklines (docs/metrics.md#sparklines): per lb member, requests/s,
// errors and p99 latency over the last 15 minutes, drawn as inline SVG on
// the server like the rest of the page (no JavaScript). They read the
// member's history, a fixed ring the server samples every
// worker.HistoryStep; the block appears only once a member has a point,
// so mod_jk's part of the page is unchanged before and around it.

const (
	sparkW, sparkH = 180, 28
	sparkWindow    = worker.HistoryLen * worker.HistoryStep
)

// sparkRow is one member's line of the block.
type sparkRow struct {
	Name                   string
	Req, Err, P99          template.HTML // built from numbers only (sparkSVG)
	ReqNow, ErrNow, P99Now string
}

// historian is what the sparklines read from a member (*worker.Member).
type historian interface{ Metrics() *worker.Metrics }

// htmlSpark returns the rows of the lb's members (only sub when set);
// nil when no member has a point yet.
func (rq *request) htmlSpark(snap *balancer.Snapshot, sub string) []sparkRow {
	var rows []sparkRow
	var pts []worker.HistoryPoint
	seen := false
	for i := range snap.Members {
		ms := &snap.Members[i]
		h, ok := ms.Member.(historian)
		if !ok || (sub != "" && ms.Name != sub) {
			continue
		}
		pts = h.Metrics().History(pts[:0])
		seen = seen || len(pts) > 0
		rows = append(rows, rq.sparkRow(ms.Name, pts))
	}
	if !seen {
		return nil
	}
	return rows
}

func (rq *request) sparkRow(name string, pts []worker.HistoryPoint) sparkRow {
	req := func(p *worker.HistoryPoint) float64 { return float64(p.Requests) / max(p.Span.Seconds(), 1) }
	errs := func(p *worker.HistoryPoint) float64 { return float64(p.Errors) }
	p99 := func(p *worker.HistoryPoint) float64 { return float64(p.P99) / float64(time.Millisecond) }
	r := sparkRow{Name: name,
		Req: rq.sparkSVG(pts, req, "requests/s", ""), Err: rq.sparkSVG(pts, errs, "errors per sample", "#dc3545"),
		P99: rq.sparkSVG(pts, p99, "p99 latency (ms)", "")}
	if n := len(pts); n > 0 {
		last := &pts[n-1]
		r.ReqNow = strconv.FormatFloat(req(last), 'f', 1, 64) + "/s"
		r.ErrNow = strconv.FormatUint(last.Errors, 10)
		r.P99Now = strconv.FormatFloat(p99(last), 'f', 1, 64) + " ms"
	}
	return r
}

// sparkSVG draws the points that fall in the window ending now as a step
// line: each point a level across its own interval, scaled to the
// largest value shown. color "" is the text color; it is used when some
// value is above zero (an errors line stays neutral while flat).
func (rq *request) sparkSVG(pts []worker.HistoryPoint, val func(*worker.HistoryPoint) float64, what, color string) template.HTML {
	from := rq.now.Add(-sparkWindow)
	x := func(t time.Time) float64 {
		return min(max(float64(t.Sub(from))/float64(sparkWindow), 0), 1) * sparkW
	}
	top := 0.0
	for i := range pts {
		top = max(top, val(&pts[i]))
	}
	var d strings.Builder
	for i := range pts {
		p := &pts[i]
		if !p.At.After(from) {
			continue
		}
		y := float64(sparkH - 1)
		if top > 0 {
			y -= val(p) / top * (sparkH - 3)
		}
		if d.Len() == 0 {
			d.WriteString("M")
		} else {
			d.WriteString("L")
		}
		d.WriteString(num(x(p.At.Add(-p.Span))) + " " + num(y) + "H" + num(x(p.At)))
	}
	stroke := "currentColor"
	if color != "" && top > 0 {
		stroke = color
	}
	label := what + " over the last 15 minutes, max " + strconv.FormatFloat(top, 'f', 1, 64)
	var b strings.Builder
	const dims = `180" height="28" viewBox="0 0 180 28` // sparkW, sparkH
	b.WriteString(`<svg class="spark" width="` + dims + `" role="img" aria-label="` + label + `"><title>` + label + `</title>`)
	b.WriteString(`<path d="M0 ` + num(sparkH-0.5) + "H" + num(sparkW) + `" stroke="#8888" fill="none"/>`)
	if d.Len() > 0 {
		b.WriteString(`<path d="` + d.String() + `" stroke="` + stroke + `" stroke-width="1.5" fill="none"/>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // numbers and the fixed texts above only
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

const pageSpark = `{{define "spark"}}{{if .}}<h4>Last 15 minutes</h4>
<div class="t"><table><tr><th class="n">Name</th><th>Requests/s</th><th>Errors</th><th>p99 latency</th></tr>
{{range .}}<tr><td class="n">{{.Name}}</td><td>{{.Req}} {{.ReqNow}}</td><td>{{.Err}} {{.ErrNow}}</td><td>{{.P99}} {{.P99Now}}</td></tr>
{{end}}</table></div>
{{end}}{{end}}`
