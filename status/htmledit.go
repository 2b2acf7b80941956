package status

import (
	"strconv"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/editable"
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

// inputFor is the form input for attribute a of c (a *config.LB or
// *config.Member), showing its current value.
func inputFor(a *attr, label, name string, c any) input {
	in := input{Label: label, Name: name, Type: "number", Value: a.Format(c)}
	switch a.Kind {
	case editable.Bool:
		in.Type, in.Value, in.Checked = "checkbox", "1", a.Value(c) == 1
	case editable.Str:
		in.Type, in.MaxLen = "text", a.Max
	case editable.Activation, editable.Method, editable.Lock:
		in = input{Label: label, Name: name, Type: "radio"}
		for i, l := range a.Choices() {
			in.Options = append(in.Options, option{Label: l, Value: strconv.Itoa(i), Checked: i == a.Value(c)})
		}
	}
	return in
}

// inputs are the inputs of every attribute of scope s, in table order.
func inputs(s scope, c any) []input {
	var in []input
	for i := range attrs {
		if a := &attrs[i]; a.Scope == s {
			in = append(in, inputFor(a, a.Label, a.Param, c))
		}
	}
	return in
}

// lbForm is form_worker: the lb settings.
func (rq *request) lbForm(w *Worker) *form {
	f := rq.newForm("Edit load balancer settings for "+w.Name, "Update Balancer", w.Name, "", "")
	f.Sections = []section{{Inputs: inputs(scopeLB, liveLB(w.LB))}}
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
		f.Sections = append(f.Sections, section{Title: "Balancing related settings",
			Inputs: inputs(scopeMember, liveMember(w.LB, sw))})
	}
	f.Sections = append(f.Sections, section{Title: "AJP settings", Inputs: inputs(scopeAJP, a)})
	return f
}

// allForm is form_all_members: one attribute for every member; nil for
// an attribute it does not know (mod_jk then shows nothing).
func (rq *request) allForm(w *Worker, att string) *form {
	a := attrByParam(att)
	if a == nil || !a.Multi() {
		rq.h.log.Warn("status worker: unknown attribute for all members", "att", att)
		return nil
	}
	f := rq.newForm("Edit attribute '"+a.Label+"' for all members of load balancer "+w.Name,
		"Update Balancer", w.Name, "", att)
	sec := section{Title: "Balanced Worker"}
	for i, m := range w.LB.Snapshot().Members {
		var c any = liveMember(w.LB, m.Name)
		if a.Scope == scopeAJP {
			c = &config.Member{}
			if ms := rq.h.instances[m.Name]; len(ms) > 0 {
				c = ms[0].Config()
			}
		}
		sec.Inputs = append(sec.Inputs, inputFor(a, m.Name, argValue+strconv.Itoa(i), c))
	}
	f.Sections = []section{sec}
	return f
}
