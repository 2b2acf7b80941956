package status

import (
	"strconv"

	"github.com/jkbalancer/jkbalancer/config"
)

// The edit forms (jk_status.c form_worker, form_member,
// form_all_members): the same fields and values, sent by POST with a
// token. An unchecked checkbox sends nothing in HTML, so each checkbox is
// preceded by a hidden "0" of the same name: with the box ticked the
// later "1" wins (the last value of a parameter counts).

type form struct {
	Title    string
	Action   string
	Hidden   []hidden
	Sections []section
	Submit   string
}

type section struct {
	Title  string
	Inputs []input
}

type input struct {
	Label   string
	Name    string
	Type    string // number, text, checkbox, radio
	Value   string
	Checked bool
	MaxLen  int
	Options []option // radio
}

type option struct {
	Label, Value string
	Checked      bool
}

// htmlEdit is edit_worker. It reports false for a worker without a form.
func (rq *request) htmlEdit(pg *page) bool {
	w, sw := rq.target()
	switch {
	case w.LB != nil && sw != "":
		pg.Forms = append(pg.Forms, rq.memberForm(w, sw))
	case w.LB != nil:
		if att, ok := rq.p.get(argAttribute); ok {
			if f := rq.allForm(w, att); f != nil {
				pg.Forms = append(pg.Forms, f)
			}
			return true
		}
		pg.Forms = append(pg.Forms, rq.lbForm(w))
	case w.Member != nil:
		pg.Forms = append(pg.Forms, rq.memberForm(w, ""))
	default:
		return false
	}
	return true
}

// newForm starts a POST form sending cmd=update for w, sw, att.
func (rq *request) newForm(title, submit, w, sw, att string) *form {
	f := &form{Title: title, Action: rq.uri, Submit: submit}
	f.Hidden = []hidden{{argCmd, cmdUpdate.String()}, {argWorker, w}}
	if sw != "" {
		f.Hidden = append(f.Hidden, hidden{argSubWorker, sw})
	}
	if att != "" {
		f.Hidden = append(f.Hidden, hidden{argAttribute, att})
	}
	f.Hidden = append(f.Hidden, rq.returnFields(sw)...)
	f.Hidden = append(f.Hidden, hidden{argToken, rq.formToken(cmdUpdate, w, sw, att)})
	return f
}

func num(label, name string, v int) input {
	return input{Label: label, Name: name, Type: "number", Value: strconv.Itoa(v)}
}

func text(label, name, v string) input {
	return input{Label: label, Name: name, Type: "text", Value: v, MaxLen: maxValueLen}
}

func radio(label, name string, cur int, labels ...string) input {
	in := input{Label: label, Name: name, Type: "radio"}
	for i, l := range labels {
		in.Options = append(in.Options, option{Label: l, Value: strconv.Itoa(i), Checked: i == cur})
	}
	return in
}

// lbForm is form_worker: the lb settings.
func (rq *request) lbForm(w *Worker) *form {
	s := w.LB.Snapshot()
	f := rq.newForm("Edit load balancer settings for "+w.Name, "Update Balancer", w.Name, "", "")
	f.Sections = []section{{Inputs: []input{
		num("Retries", "vlr", s.Retries),
		num("Retry Interval", "vlri", s.RetryInterval),
		num("Recover Wait Time", "vlt", s.RecoverTime),
		num("Error Escalation Time", "vlee", s.ErrorEscalationTime),
		num("Max Reply Timeouts", "vlx", s.MaxReplyTimeouts),
		{Label: "Sticky Sessions", Name: "vls", Type: "checkbox", Value: "1", Checked: s.StickySession},
		{Label: "Force Sticky Sessions", Name: "vlf", Type: "checkbox", Value: "1", Checked: s.StickySessionForce},
		radio("LB Method", "vlm", int(s.Method), "Requests", "Traffic", "Busyness", "Sessions", "Next"),
		radio("Locking", "vll", int(s.Lock), "Optimistic", "Pessimistic"),
	}}}
	return f
}

// memberForm is form_member: the lb attributes of a member (when sw is
// set) and the AJP attributes.
func (rq *request) memberForm(w *Worker, sw string) *form {
	name := w.Name
	var a *config.Member
	if sw != "" {
		name = sw
		if ms := rq.h.instances[sw]; len(ms) > 0 {
			a = ms[0].Config()
		}
	} else if w.Member != nil {
		a = w.Member.Config()
	}
	if a == nil {
		a = &config.Member{}
	}
	f := rq.newForm("Edit worker settings for "+name, "Update Worker", w.Name, sw, "")
	if sw != "" {
		m := liveMember(w.LB, sw)
		f.Sections = append(f.Sections, section{Title: "Balancing related settings", Inputs: []input{
			radio("Activation", "vwa", int(m.Activation), "Active", "Disabled", "Stopped"),
			num("LB Factor", "vwf", m.LBFactor),
			text("Route", "vwn", m.Route),
			text("Redirect Route", "vwr", m.Redirect),
			text("Cluster Domain", "vwc", m.Domain),
			num("Distance", "vwd", m.Distance),
		}})
	}
	f.Sections = append(f.Sections, section{Title: "AJP settings", Inputs: []input{
		text("Hostname", "vahst", a.Host),
		num("Port", "vaprt", a.Port),
		num("Connection Pool Timeout", "vacpt", a.ConnectionPoolTimeout),
		num("Ping Timeout", "vapng", a.PingTimeout),
		num("Connect Timeout", "vact", a.ConnectTimeout),
		num("Prepost Timeout", "vapt", a.PrepostTimeout),
		num("Reply Timeout", "vart", a.ReplyTimeout),
		num("Retries", "var", a.Retries),
		num("Retry Interval", "vari", a.RetryInterval),
		num("Connection Ping Interval", "vacpi", a.ConnectionPingInterval),
		num("Recovery Options", "varo", a.RecoveryOptions),
		num("Busy Limit", "vabl", a.BusyLimit),
		num("Max Packet Size", "vamps", a.MaxPacketSize),
	}})
	return f
}

// allForm is form_all_members: one attribute for every member; nil for
// an attribute it does not know (mod_jk then shows nothing).
func (rq *request) allForm(w *Worker, att string) *form {
	a := attrByParam(att)
	known := false
	for _, p := range multiAttrs {
		known = known || p == att
	}
	if a == nil || !known {
		rq.h.log.Warn("status worker: unknown attribute for all members", "att", att)
		return nil
	}
	f := rq.newForm("Edit attribute '"+a.label+"' for all members of load balancer "+w.Name,
		"Update Balancer", w.Name, "", att)
	sec := section{Title: "Balanced Worker"}
	for i, m := range w.LB.Snapshot().Members {
		var c any = liveMember(w.LB, m.Name)
		if a.scope == scopeAJP {
			c = &config.Member{}
			if ms := rq.h.instances[m.Name]; len(ms) > 0 {
				c = ms[0].Config()
			}
		}
		name := argValue + strconv.Itoa(i)
		switch a.kind {
		case kActivation:
			sec.Inputs = append(sec.Inputs, radio(m.Name, name, int(m.Activation), "Active", "Disabled", "Stopped"))
		case kStr:
			sec.Inputs = append(sec.Inputs, text(m.Name, name, a.format(c)))
		default:
			sec.Inputs = append(sec.Inputs, input{Label: m.Name, Name: name, Type: "number", Value: a.format(c)})
		}
	}
	f.Sections = []section{sec}
	return f
}
