package status

import "html/template"

// newPage parses the page template. html/template escapes every value for
// its context, so nothing configured or requested reaches the page raw.
func newPage() *template.Template {
	return template.Must(template.New("page").Funcs(template.FuncMap{
		"rateClass": func(r int) string {
			switch r {
			case 1:
				return "good"
			case -1:
				return "bad"
			}
			return "degraded"
		},
	}).Parse(pageHead + pageDoctor + pageSpark + pageWorkers + pageForms + pageTail))
}

// pageStyle is the one inline stylesheet: readable on a phone (tables
// scroll sideways in their box, forms stack) and on a desktop, light or
// dark as the system prefers.
const pageStyle = `:root{color-scheme:light dark;--line:#8885;--head:#8882}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:0 .75rem 2rem;max-width:120rem}
h1{font-size:1.3rem;margin:.8rem 0 .3rem}h2{font-size:1.15rem;margin:1.4rem 0 .5rem;padding-bottom:.2rem;border-bottom:2px solid var(--line)}
h3{font-size:1.05rem;margin:1.1rem 0 .4rem}h4{font-size:.95rem;margin:.8rem 0 .3rem}
a{color:LinkText}.info{display:grid;grid-template-columns:max-content 1fr;gap:0 .8rem;margin:.3rem 0}.info dt{opacity:.7}.info dd{margin:0}
.bar{display:flex;flex-wrap:wrap;gap:.4rem .8rem;align-items:center;margin:.5rem 0}
.t{overflow-x:auto;margin:.3rem 0 .8rem;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;min-width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.3rem .55rem;text-align:left;white-space:nowrap;border-bottom:1px solid var(--line)}
th{background:var(--head);font-weight:600;vertical-align:bottom}tr:last-child td{border-bottom:0}
td.n,th.n{position:sticky;left:0;background:Canvas;font-weight:600}
form{margin:0}form.i{display:inline-block}.acts{display:flex;gap:.3rem;flex-wrap:nowrap;align-items:center}
button,input[type=submit]{font:inherit;min-height:2.1rem;padding:.2rem .7rem;border:1px solid var(--line);border-radius:6px;background:var(--head);color:inherit;cursor:pointer}
input[type=number],input[type=text],select{font:inherit;padding:.25rem .4rem;min-height:2rem;max-width:100%;box-sizing:border-box}
.good{color:#198754}.degraded{color:#b8860b}.bad{color:#dc3545;font-weight:600}
.ok{padding:.6rem .8rem;border-left:4px solid #198754;background:var(--head)}.err{padding:.6rem .8rem;border-left:4px solid #dc3545;background:var(--head)}
.f{display:grid;grid-template-columns:minmax(10rem,max-content) minmax(0,22rem);gap:.45rem 1rem;align-items:center;margin:.4rem 0 1rem}
.f label{display:inline-flex;gap:.3rem;align-items:center;margin-right:.8rem}
pre{overflow-x:auto;padding:.6rem;border:1px solid var(--line);border-radius:6px}
footer{margin-top:2rem;opacity:.7;font-size:.85rem}
@media (max-width:40rem){.f{grid-template-columns:1fr}.info{grid-template-columns:1fr}body{font-size:16px}}`

const pageHead = `{{define "act"}}<form class="i" method="post" action="{{.Action}}">{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">{{end}}<button type="submit"{{with .Class}} class="{{.}}"{{end}} title="{{.Title}}">{{.Label}}</button></form>{{end}}
{{define "maps"}}{{if .Shown}}{{if .Maps}}<h4>URI Mappings for {{.Worker}} ({{len .Maps}} maps) [<a href="{{.Toggle.URL}}">Hide</a>]</h4>
<div class="t"><table><tr><th>Server</th><th>URI</th><th>Match Type</th><th>Source</th><th>Reply Timeout</th><th>Sticky Ignore</th><th>Stateless</th><th>Fail on Status</th><th>Active</th><th>Disabled</th><th>Stopped</th><th>Use Server Errors</th></tr>
{{range .Maps}}<tr><td>{{.Server}}</td><td>{{.URI}}</td><td>{{.Type}}</td><td>{{.Source}}</td><td>{{.ReplyTimeout}}</td><td>{{.StickyIgnore}}</td><td>{{.Stateless}}</td><td>{{or .FailOnStatus "-"}}</td><td>{{or .Active "-"}}</td><td>{{or .Disabled "-"}}</td><td>{{or .Stopped "-"}}</td><td>{{.UseServerErrors}}</td></tr>
{{end}}</table></div>{{else}}<p>Warning: No URI Mappings defined for {{.Worker}}!</p>{{end}}{{else}}<p><a href="{{.Toggle.URL}}">{{.Toggle.Text}}</a></p>{{end}}{{end}}
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>JK Status Manager</title>
{{if .Refresh}}<meta http-equiv="refresh" content="{{.Refresh}};url={{.RefreshURL}}">{{end}}{{if .Redirect}}<meta http-equiv="refresh" content="3;url={{.Redirect}}">{{end}}
<style>` + pageStyle + `</style>{{if .CSS}}
<link rel="stylesheet" type="text/css" href="{{.CSS}}">{{end}}
</head><body>
<header><h1>{{.Title}}{{if .ReadOnly}} (read only){{end}}</h1>
{{if .Head}}<dl class="info"><dt>Server Version</dt><dd>{{.Software}}</dd><dt>JK Version</dt><dd>{{.JK}}</dd><dt>Server Time</dt><dd>{{.Time}}</dd><dt>Unix Seconds</dt><dd>{{.Unix}}</dd></dl>{{end}}
<div class="bar">{{range .Nav}}<a href="{{.URL}}">{{.Text}}</a>{{end}}
{{if .StopRefresh}}<a href="{{.StopRefresh}}">Stop auto refresh</a>{{end}}
{{if .RefreshForm}}<form class="i" method="get" action="{{.Start}}">{{range .FormHidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">{{end}}<button type="submit">Start auto refresh</button> every <input name="re" type="number" min="1" value="10" style="width:4.5rem"> s</form>{{end}}
{{if .Formats}}<span>Format: {{range $i, $f := .Formats}}{{if $i}} | {{end}}<a href="{{$f.URL}}">{{$f.Text}}</a>{{end}}</span>{{end}}</div>
</header><main>
{{if .OK}}<p class="ok">{{.OK}}</p>{{end}}
`

const pageWorkers = `{{with .LBGroup}}<h2>Listing {{.Title}} ({{.Count}}) [<a href="{{.Hide.URL}}">{{.Hide.Text}}</a>]</h2>{{end}}
{{range .LBs}}{{$lb := .}}<section>
<h3>[{{if .Single}}S{{end}}{{range $i, $l := .Links}}{{if or $i $lb.Single}}|{{end}}<a href="{{$l.URL}}">{{$l.Text}}</a>{{end}}]&nbsp; Worker Status for {{.V.Name}} {{with .Reset}}{{template "act" .}}{{end}}</h3>
{{if .Toggles}}<p class="bar">{{range .Toggles}}<a href="{{.URL}}">{{.Text}}</a>{{end}}</p>{{end}}
{{if .Conf}}<div class="t"><table><tr><th>Type</th><th>Sticky Sessions</th><th>Force Sticky Sessions</th><th>Retries</th><th>LB Method</th><th>Locking</th><th>Recover Wait Time</th><th>Error Escalation Time</th><th>Max Reply Timeouts</th><th>[<a href="{{.ConfHide}}">Hide</a>]</th></tr>
{{with .V.Snap}}<tr><td>lb</td><td>{{if .StickySession}}True{{else}}False{{end}}</td><td>{{if .StickySessionForce}}True{{else}}False{{end}}</td><td>{{.Retries}}</td><td>{{.Method}}</td><td>{{.Lock}}</td><td>{{.RecoverTime}}</td><td>{{.ErrorEscalationTime}}</td><td>{{.MaxReplyTimeouts}}</td><td></td></tr>{{end}}</table></div>{{end}}
{{if .Summary}}<div class="t"><table><tr><th>Good</th><th>Degraded</th><th>Bad/Stopped</th><th>Busy</th><th>Max Busy</th><th>Next Maintenance</th><th>Last Reset</th><th>[<a href="{{.SumHide}}">Hide</a>]</th></tr>
<tr><td class="good">{{.V.Good}}</td><td class="degraded">{{.V.Degraded}}</td><td class="bad">{{.V.Bad}}</td><td>{{.V.Snap.Busy}}</td><td>{{.V.Snap.MaxBusy}}</td><td>{{.V.NextMaintenanceMinMax}}</td><td>{{.V.LastResetAgo}}</td><td></td></tr></table></div>{{end}}
{{if .ShowMemb}}<h4>Balancer Members [<a href="{{.MembHide.URL}}">{{.MembHide.Text}}</a>]</h4>
{{if .AJPConf}}<div class="t"><table><tr><th class="n">Name</th><th>Type</th><th>Hostname</th><th>Address:Port</th><th>Source</th><th>Connection Pool Timeout</th><th>Connect Timeout</th><th>Prepost Timeout</th><th>Reply Timeout</th><th>Retries</th><th>Recovery Options</th><th>Busy Limit</th><th>Max Packet Size</th><th>[<a href="{{.AJPHide}}">Hide</a>]</th></tr>
{{range .Members}}{{with .V}}<tr><td class="n">{{.Name}}</td><td>{{.Type}}</td><td>{{.A.Host}}</td><td>{{.Address}}</td><td>{{or .A.Source "undefined"}}</td><td>{{.A.ConnectionPoolTimeout}}</td><td>{{.A.ConnectTimeout}}</td><td>{{.A.PrepostTimeout}}</td><td>{{.A.ReplyTimeout}}</td><td>{{.A.Retries}}</td><td>{{.A.RecoveryOptions}}</td><td>{{.A.BusyLimit}}</td><td>{{.A.MaxPacketSize}}</td><td></td></tr>{{end}}
{{end}}</table></div>{{end}}
<div class="t"><table><tr><th class="n">Name</th><th>&nbsp;</th><th>Act</th><th>State</th><th>D</th><th>F</th><th>M</th><th>V</th><th>Acc</th><th>Sess</th><th>Err</th><th>CE</th><th>RE</th><th>Wr</th><th>Rd</th><th>Busy</th><th>MaxBusy</th><th>Con</th><th>MaxCon</th><th>Route</th><th>RR</th><th>Cd</th><th>Rs</th><th>LR</th><th>LE</th></tr>
{{range .Members}}<tr><td class="n">{{if .Show}}<a href="{{.Show}}">{{.V.Name}}</a>{{else}}{{.V.Name}}{{end}}</td>
<td><div class="acts">{{if .Edit}}<a href="{{.Edit}}">Edit</a>{{end}}{{with .Reset}}{{template "act" .}}{{end}}{{with .Recover}}{{template "act" .}}{{end}}{{range .Activate}}{{template "act" .}}{{end}}</div></td><td class="{{rateClass .V.Rate}}">{{.V.Activation}}</td><td class="{{rateClass .V.Rate}}">{{.V.State}}</td>{{with .V.Snap}}<td>{{.Distance}}</td><td>{{.LBFactor}}</td><td>{{.LBMult}}</td><td>{{.LBValue}}</td>{{end}}<td>{{.Acc}}</td><td>{{.Sess}}</td><td>{{.V.Snap.Errors}}</td><td>{{.V.C.ClientErrors}}</td><td>{{.V.C.ReplyTimeouts}}</td><td>{{.Wr}}</td><td>{{.Rd}}</td><td>{{.V.C.Busy}}</td><td>{{.V.C.MaxBusy}}</td><td>{{.V.Conn.Open}}</td><td>{{.V.Conn.MaxOpen}}</td><td>{{.V.Snap.Route}}</td><td>{{.V.Snap.Redirect}}</td><td>{{.V.Snap.Domain}}</td><td>{{.V.RsMin}}/{{.V.RsMax}}</td><td>{{.V.ResetAgo}}</td><td>{{.LE}}</td></tr>
{{end}}</table></div>
{{with .AllMembers}}<form method="get" action="{{.Action}}" class="bar">{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">{{end}}<label>Edit this attribute for all members: <select name="att">{{range .Attrs}}<option value="{{.Value}}">{{.Label}}</option>{{end}}</select></label> <input type="submit" value="Go"></form>{{end}}{{end}}
{{template "spark" .Spark}}{{template "doctor" .Doctor}}{{template "maps" .Maps}}</section>
{{end}}
{{with .AJPGroup}}<h2>Listing {{.Title}} ({{.Count}}) [<a href="{{.Hide.URL}}">{{.Hide.Text}}</a>]</h2>{{end}}
{{range .AJPs}}{{$w := .}}<section>
<h3>[{{if .Single}}S{{end}}{{range $i, $l := .Links}}{{if or $i $w.Single}}|{{end}}<a href="{{$l.URL}}">{{$l.Text}}</a>{{end}}]&nbsp; Worker Status for {{.V.Name}} {{with .Reset}}{{template "act" .}}{{end}}</h3>
{{if .Conf}}<div class="t"><table><tr><th>Type</th><th>Hostname</th><th>Address:Port</th><th>Source</th><th>Connection Pool Timeout</th><th>Connect Timeout</th><th>Prepost Timeout</th><th>Reply Timeout</th><th>Retries</th><th>Recovery Options</th><th>Busy Limit</th><th>Max Packet Size</th><th>[<a href="{{.ConfTog.URL}}">Hide</a>]</th></tr>
{{with .V}}<tr><td>{{.Type}}</td><td>{{.A.Host}}</td><td>{{.Address}}</td><td>{{or .A.Source "undefined"}}</td><td>{{.A.ConnectionPoolTimeout}}</td><td>{{.A.ConnectTimeout}}</td><td>{{.A.PrepostTimeout}}</td><td>{{.A.ReplyTimeout}}</td><td>{{.A.Retries}}</td><td>{{.A.RecoveryOptions}}</td><td>{{.A.BusyLimit}}</td><td>{{.A.MaxPacketSize}}</td><td></td></tr>{{end}}</table></div>{{else}}<p><a href="{{.ConfTog.URL}}">{{.ConfTog.Text}}</a></p>{{end}}
<div class="t"><table><tr><th>State</th><th>Acc</th><th>Err</th><th>CE</th><th>RE</th><th>Wr</th><th>Rd</th><th>Busy</th><th>MaxBusy</th><th>Con</th><th>MaxCon</th><th>LR</th><th>LE</th></tr>
{{with .V}}<tr><td>{{.State}}</td><td>{{$w.Acc}}</td><td>{{.C.Errors}}</td><td>{{.C.ClientErrors}}</td><td>{{.C.ReplyTimeouts}}</td><td>{{$w.Wr}}</td><td>{{$w.Rd}}</td><td>{{.C.Busy}}</td><td>{{.C.MaxBusy}}</td><td>{{.Conn.Open}}</td><td>{{.Conn.MaxOpen}}</td><td>{{.ResetAgo}}</td><td>{{$w.LE}}</td></tr>{{end}}</table></div>
{{template "maps" .Maps}}</section>
{{end}}
`

const pageForms = `{{range .Forms}}<h2>{{.Title}}</h2>
<form method="post" action="{{.Action}}">{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">{{end}}
{{range .Sections}}{{with .Title}}<h3>{{.}}</h3>{{end}}<div class="f">
{{range .Inputs}}<span>{{.Label}}</span><span>{{if eq .Type "radio"}}{{$n := .Name}}{{range .Options}}<label><input type="radio" name="{{$n}}" value="{{.Value}}"{{if .Checked}} checked{{end}}>{{.Label}}</label>{{end}}{{else if eq .Type "checkbox"}}<input type="hidden" name="{{.Name}}" value="0"><input type="checkbox" name="{{.Name}}" value="1"{{if .Checked}} checked{{end}}>{{else if eq .Type "number"}}<input type="number" name="{{.Name}}" value="{{.Value}}" inputmode="numeric">{{else}}<input type="text" name="{{.Name}}" value="{{.Value}}" maxlength="{{.MaxLen}}">{{end}}</span>
{{end}}</div>{{end}}<input type="submit" value="{{.Submit}}"></form>
{{end}}
{{if .Dump}}<h2>Configuration Data</h2><p>This dump does not include any changes applied by the status worker to the configuration after the initial startup.</p>
<pre>{{range .Dump}}{{index . 0}}={{index . 1}}
{{end}}</pre>{{end}}
`

const pageTail = `{{if .Legend}}<h2>Legend [<a href="{{.LegendLink.URL}}">Hide</a>]</h2>
<div class="t"><table>
<tr><th>Name</th><td>Worker name</td></tr><tr><th>Type</th><td>Worker type</td></tr><tr><th>Route</th><td>Worker route</td></tr>
<tr><th>Act</th><td>Worker activation configuration: ACT=Active, DIS=Disabled, STP=Stopped</td></tr>
<tr><th>State</th><td>Worker error status: OK=OK, ERR=Error with substates IDLE=No requests handled, BUSY=All connections busy, REC=Recovering, PRB=Probing, FRC=Forced Recovery</td></tr>
<tr><th>D</th><td>Worker distance</td></tr><tr><th>F</th><td>Load Balancer factor</td></tr><tr><th>M</th><td>Load Balancer multiplicity</td></tr><tr><th>V</th><td>Load Balancer value</td></tr>
<tr><th>Acc</th><td>Number of requests</td></tr><tr><th>Sess</th><td>Number of sessions created</td></tr><tr><th>Err</th><td>Number of failed requests</td></tr>
<tr><th>CE</th><td>Number of client errors</td></tr><tr><th>RE</th><td>Number of reply timeouts (decayed)</td></tr><tr><th>Wr</th><td>Number of bytes transferred</td></tr>
<tr><th>Rd</th><td>Number of bytes read</td></tr><tr><th>Busy</th><td>Current number of busy connections</td></tr><tr><th>MaxBusy</th><td>Maximum number of busy connections</td></tr>
<tr><th>Con</th><td>Current number of backend connections</td></tr><tr><th>MaxCon</th><td>Maximum number of backend connections</td></tr><tr><th>RR</th><td>Route redirect</td></tr>
<tr><th>Cd</th><td>Cluster domain</td></tr><tr><th>Rs</th><td>Recovery scheduled in app. min/max seconds</td></tr><tr><th>LR</th><td>Seconds since last reset of statistics counters</td></tr>
<tr><th>LE</th><td>Timestamp of the first error of the current error period</td></tr>
</table></div>{{else if .LegendLink.URL}}<p><a href="{{.LegendLink.URL}}">{{.LegendLink.Text}}</a></p>{{end}}
{{if .Error}}<p class="err"><b>Result: ERROR - {{.Error}}</b></p>{{end}}
<p class="bar"><a href="{{.Start}}">JK Status Manager Start Page</a></p>
</main><footer>jkbalancer status worker, compatible with the status worker of mod_jk 1.2.48. Changes from a browser are sent by POST with a CSRF token.</footer>
</body></html>
`
