package status

import (
	"net/url"
	"strconv"
	"strings"
)

// Links and forms of the HTML pages (jk_status.c status_write_uri and
// status_start_form, simplified): a link names the command, worker and
// member it shows and carries the display options (opt, re) of the
// current page, so hiding a table or auto refresh survives navigation.

type link struct {
	Text, URL string
}

// hidden is one hidden form field.
type hidden struct {
	Name, Value string
}

// actionForm is a one-button POST form that changes state.
type actionForm struct {
	Action string
	Fields []hidden
	Label  string
	Title  string
	Class  string
}

// url builds a link to cmd for w and sw with the given opt.
func (rq *request) url(cmd command, w, sw string, opt int, extra ...string) string {
	q := make([]string, 0, 8)
	add := func(k, v string) { q = append(q, k+"="+url.QueryEscape(v)) }
	if cmd != cmdList {
		add(argCmd, cmd.String())
	}
	if w != "" {
		add(argWorker, w)
	}
	if sw != "" {
		add(argSubWorker, sw)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		add(extra[i], extra[i+1])
	}
	if opt != 0 {
		add(argOptions, strconv.Itoa(opt))
	}
	if re := rq.p.int(argRefresh, 0); re > 0 && (cmd == cmdList || cmd == cmdShow) {
		add(argRefresh, strconv.Itoa(re))
	}
	if len(q) == 0 {
		return rq.uri
	}
	return rq.uri + "?" + strings.Join(q, "&")
}

// here links to the current view with opt bits added and removed (the
// Hide and Show links).
func (rq *request) here(add, rm int) string {
	w, sw := rq.p.str(argWorker), rq.p.str(argSubWorker)
	var extra []string
	if rq.cmd == cmdEdit {
		if att := rq.p.str(argAttribute); att != "" {
			extra = append(extra, argAttribute, att)
		}
	}
	if rq.cmd == cmdList {
		w, sw = "", ""
	}
	return rq.url(rq.cmd, w, sw, (rq.opt|add)&^rm, extra...)
}

// back is where a page returns to: the list, or the worker view the
// request came from (from=show).
func (rq *request) back() link {
	if rq.p.str(argFrom) == cmdShow.String() && rq.p.str(argWorker) != "" {
		return link{"Back to worker view", rq.url(cmdShow, rq.p.str(argWorker), rq.p.str(argPrevSub), rq.opt)}
	}
	return link{"Back to worker list", rq.url(cmdList, "", "", rq.opt)}
}

// action builds the POST form of a change: reset, recover, or an update
// with fixed values (the activation buttons).
func (rq *request) action(label, title string, cmd command, w, sw string, values ...string) *actionForm {
	f := &actionForm{Action: rq.uri, Label: label, Title: title}
	f.Fields = append(f.Fields, hidden{argCmd, cmd.String()}, hidden{argWorker, w})
	if sw != "" {
		f.Fields = append(f.Fields, hidden{argSubWorker, sw})
	}
	for i := 0; i+1 < len(values); i += 2 {
		f.Fields = append(f.Fields, hidden{values[i], values[i+1]})
	}
	f.Fields = append(f.Fields, rq.returnFields(sw)...)
	f.Fields = append(f.Fields, hidden{argToken, rq.formToken(cmd, w, sw, "")})
	return f
}

// returnFields make the answer to a form refresh back to this page.
func (rq *request) returnFields(sw string) []hidden {
	from := cmdList
	if rq.cmd == cmdShow || rq.cmd == cmdEdit && rq.p.str(argFrom) == cmdShow.String() {
		from = cmdShow
	}
	out := []hidden{{argFrom, from.String()}}
	if rq.opt != 0 {
		out = append(out, hidden{argOptions, strconv.Itoa(rq.opt)})
	}
	if from == cmdShow {
		psw := rq.p.str(argSubWorker)
		if rq.cmd == cmdEdit {
			psw = rq.p.str(argPrevSub)
		}
		if psw != "" {
			out = append(out, hidden{argPrevSub, psw})
		}
	}
	return out
}
