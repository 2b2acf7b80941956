package status

import (
	"strconv"
)

// renderHTML builds the page for the request and writes it.
func (rq *request) renderHTML(errMsg string) {
	pg := &page{
		Title:    "JK Status Manager for " + rq.serverName + ":" + strconv.Itoa(rq.serverPort),
		CSS:      rq.h.cfg.CSS,
		ReadOnly: rq.readOnly,
		Start:    rq.uri,
	}
	switch {
	case errMsg != "":
	case rq.cmd.changes():
		pg.Redirect = rq.back().URL
		pg.OK = "Result: OK - You will be redirected in 3 seconds."
		pg.Nav = []link{rq.back()}
	default:
		errMsg = rq.htmlBody(pg)
	}
	pg.Error = errMsg
	if err := rq.h.page.Execute(&rq.out, pg); err != nil {
		rq.h.log.Error("status worker page", "err", err)
	}
}

// htmlBody fills the page for list, show, edit, version and dump.
func (rq *request) htmlBody(pg *page) string {
	if rq.cmd.showsHead() {
		t := rq.now.In(rq.h.spec.Location)
		pg.Head, pg.Software, pg.JK = true, rq.h.spec.Software, JKVersion
		pg.Time, pg.Unix = t.Format(timeHTML), t.Unix()
	}
	rq.htmlNav(pg)
	switch rq.cmd {
	case cmdList:
		rq.htmlList(pg)
	case cmdShow:
		w, sub := rq.target()
		rq.htmlWorker(pg, w, sub)
	case cmdEdit:
		if !rq.htmlEdit(pg) {
			return msgEditFailed
		}
	case cmdDump:
		pg.Dump = rq.h.dumpLines()
	}
	if rq.cmd == cmdList || rq.cmd == cmdShow {
		pg.Legend = rq.opt&optNoLegend == 0
		if pg.Legend {
			pg.LegendLink = link{"Hide", rq.here(optNoLegend, 0)}
		} else {
			pg.LegendLink = link{"Show Legend", rq.here(0, optNoLegend)}
		}
	}
	return ""
}

// htmlNav fills the tool bar: refresh, formats, back, read only, dump.
func (rq *request) htmlNav(pg *page) {
	c := rq.cmd
	if c == cmdList || c == cmdShow {
		if re := rq.p.int(argRefresh, 0); re > 0 {
			pg.Refresh = re
			pg.RefreshURL = rq.uri + "?" + rq.p.raw
			pg.StopRefresh = rq.url(c, rq.p.str(argWorker), rq.p.str(argSubWorker), rq.opt)
			if c == cmdList {
				pg.StopRefresh = rq.url(c, "", "", rq.opt)
			}
		} else {
			pg.RefreshForm = true
			for _, k := range rq.p.keys {
				if k != argRefresh && k != argToken {
					pg.FormHidden = append(pg.FormHidden, hidden{k, rq.p.vals[k]})
				}
			}
		}
	}
	if c.showsHead() {
		w, sw := rq.p.str(argWorker), rq.p.str(argSubWorker)
		if c == cmdList || c == cmdVersion || c == cmdDump {
			w, sw = "", ""
		}
		for _, f := range []struct{ text, mime string }{{"XML", "xml"}, {"Properties", "prop"}, {"Text", "txt"}} {
			pg.Formats = append(pg.Formats, link{f.text, rq.url(c, w, sw, rq.opt, argMime, f.mime)})
		}
	}
	if c == cmdShow || c == cmdEdit || c == cmdVersion || c == cmdDump {
		pg.Nav = append(pg.Nav, rq.back())
	}
	if (c == cmdList || c == cmdShow) && !rq.h.cfg.ReadOnly {
		if rq.readOnly {
			pg.Nav = append(pg.Nav, link{"Read/Write", rq.here(0, optReadOnly)})
		} else {
			pg.Nav = append(pg.Nav, link{"Read Only", rq.here(optReadOnly, 0)})
		}
	}
	if c == cmdList || c == cmdShow || c == cmdVersion {
		pg.Nav = append(pg.Nav, link{"Dump", rq.url(cmdDump, "", "", rq.opt)})
	}
}

// htmlList is list_workers.
func (rq *request) htmlList(pg *page) {
	lbs, ajps := rq.h.counts()
	if lbs > 0 {
		pg.LBGroup = rq.group("Load Balancing Worker", lbs, optNoLB)
	}
	if ajps > 0 {
		pg.AJPGroup = rq.group("AJP Worker", ajps, optNoAJP)
	}
	for i := range rq.h.spec.Workers {
		w := &rq.h.spec.Workers[i]
		switch {
		case w.LB != nil && pg.LBGroup.Shown:
			pg.LBs = append(pg.LBs, rq.htmlLB(w, ""))
		case w.Member != nil && pg.AJPGroup.Shown:
			pg.AJPs = append(pg.AJPs, rq.htmlAJP(w))
		}
	}
}

func (rq *request) group(title string, n, bit int) *group {
	g := &group{Title: title, Count: n, Shown: rq.opt&bit == 0}
	if n > 1 {
		g.Title += "s"
	}
	if g.Shown {
		g.Hide = link{"Hide", rq.here(bit, 0)}
	} else {
		g.Hide = link{"Show " + g.Title, rq.here(0, bit)}
	}
	return g
}

// htmlWorker is show_worker.
func (rq *request) htmlWorker(pg *page, w *Worker, sub string) {
	switch {
	case w.LB != nil:
		pg.LBs = append(pg.LBs, rq.htmlLB(w, sub))
	case w.Member != nil:
		pg.AJPs = append(pg.AJPs, rq.htmlAJP(w))
	}
}

// htmlLB is display_worker_lb.
func (rq *request) htmlLB(w *Worker, sub string) htmlLB {
	v := rq.lbView(w)
	hl := htmlLB{V: v, Single: rq.cmd == cmdShow}
	if !hl.Single {
		hl.Links = append(hl.Links, link{"S", rq.url(cmdShow, w.Name, "", rq.opt)})
	}
	if !rq.readOnly {
		hl.Links = append(hl.Links, link{"E", rq.url(cmdEdit, w.Name, "", rq.opt, argFrom, rq.cmd.String())})
		hl.Reset = rq.action("Reset", "Reset the counters and states of "+w.Name, cmdReset, w.Name, "")
	}
	hl.Conf, hl.ConfHide = rq.opt&optNoLBConf == 0, rq.here(optNoLBConf, 0)
	hl.Summary, hl.SumHide = rq.opt&optNoLBSummary == 0, rq.here(optNoLBSummary, 0)
	hl.ShowMemb = rq.opt&optNoMembers == 0
	hl.AJPConf, hl.AJPHide = rq.opt&optNoAJPConf == 0, rq.here(optNoAJPConf, 0)
	hl.MembHide = link{"Hide", rq.here(optNoMembers, 0)}
	if sub != "" {
		hl.MembHide = link{"Show All Members", rq.url(cmdShow, w.Name, "", rq.opt)}
	}
	for _, t := range []struct {
		shown bool
		text  string
		bit   int
	}{{hl.Conf, "Show LB Configuration", optNoLBConf}, {hl.Summary, "Show LB Summary", optNoLBSummary},
		{hl.AJPConf || !hl.ShowMemb, "Show AJP Configuration", optNoAJPConf},
		{hl.ShowMemb, "Show Balancer Members", optNoMembers}} {
		if !t.shown {
			hl.Toggles = append(hl.Toggles, link{t.text, rq.here(0, t.bit)})
		}
	}
	if hl.ShowMemb {
		for _, mv := range v.Members {
			if sub == "" || mv.Name == sub {
				hl.Members = append(hl.Members, rq.htmlMember(w.Name, mv, sub))
			}
		}
		if !rq.readOnly {
			hl.AllMembers = rq.allMembersSelect(w.Name)
		}
	}
	if hl.ShowMemb {
		hl.Spark = rq.htmlSpark(&v.Snap, sub)
	}
	hl.Doctor = rq.htmlDoctor(w.Name)
	hl.Maps = rq.htmlMaps(w.Name, v.Maps)
	return hl
}

func (rq *request) htmlMember(lb string, mv memberView, sub string) htmlMember {
	hm := htmlMember{V: mv, Acc: rate(mv.C.Used, mv.ResetAgo), Wr: sizeRate(mv.C.Transferred, mv.ResetAgo),
		Rd: sizeRate(mv.C.Read, mv.ResetAgo), LE: rq.htmlTime(mv)}
	if mv.Snap != nil {
		hm.Sess = rate(int64(mv.Snap.Sessions), mv.ResetAgo)
	}
	if sub != mv.Name {
		hm.Show = rq.url(cmdShow, lb, mv.Name, rq.opt)
	}
	if rq.readOnly {
		return hm
	}
	extra := []string{argFrom, rq.cmd.String()}
	if rq.cmd == cmdShow && sub != "" {
		extra = append(extra, argPrevSub, sub)
	}
	hm.Edit = rq.url(cmdEdit, lb, mv.Name, rq.opt, extra...)
	hm.Reset = rq.action("Reset", "Reset the counters and state of "+mv.Name, cmdReset, lb, mv.Name)
	if mv.Snap != nil && mv.State == "ERR" {
		hm.Recover = rq.action("Recover", "Try to recover "+mv.Name+" now", cmdRecover, lb, mv.Name)
	}
	for _, a := range []struct{ code, label, v string }{{"ACT", "Activate", "a"}, {"DIS", "Disable", "d"}, {"STP", "Stop", "s"}} {
		if mv.Activation != a.code {
			f := rq.action(a.label, a.label+" "+mv.Name, cmdUpdate, lb, mv.Name, "vwa", a.v)
			f.Class = "act-" + a.v
			hm.Activate = append(hm.Activate, f)
		}
	}
	return hm
}

// htmlTime formats LE: the first error of a member's error period, or a
// plain worker's last error.
func (rq *request) htmlTime(mv memberView) string {
	if mv.ErrorTime.IsZero() {
		return ""
	}
	return mv.ErrorTime.In(rq.h.spec.Location).Format(timeHTML)
}

// htmlAJP is display_worker_ajp.
func (rq *request) htmlAJP(w *Worker) htmlAJP {
	mv := rq.ajpView(w)
	ha := htmlAJP{V: mv, Single: rq.cmd == cmdShow, Acc: rate(mv.C.Used, mv.ResetAgo),
		Wr: sizeRate(mv.C.Transferred, mv.ResetAgo), Rd: sizeRate(mv.C.Read, mv.ResetAgo), LE: rq.htmlTime(mv)}
	if !ha.Single {
		ha.Links = append(ha.Links, link{"S", rq.url(cmdShow, w.Name, "", rq.opt)})
	}
	if !rq.readOnly {
		ha.Links = append(ha.Links, link{"E", rq.url(cmdEdit, w.Name, "", rq.opt, argFrom, rq.cmd.String())})
		ha.Reset = rq.action("Reset", "Reset the counters of "+w.Name, cmdReset, w.Name, "")
	}
	ha.Conf = rq.opt&optNoAJPConf == 0
	if ha.Conf {
		ha.ConfTog = link{"Hide", rq.here(optNoAJPConf, 0)}
	} else {
		ha.ConfTog = link{"Show AJP Configuration", rq.here(0, optNoAJPConf)}
	}
	ha.Maps = rq.htmlMaps(w.Name, mv.Maps)
	return ha
}

func (rq *request) htmlMaps(worker string, maps []mapView) htmlMaps {
	hm := htmlMaps{Worker: worker, Maps: maps, Shown: rq.opt&optNoMaps == 0}
	if hm.Shown {
		hm.Toggle = link{"Hide", rq.here(optNoMaps, 0)}
	} else {
		hm.Toggle = link{"Show URI Mappings", rq.here(0, optNoMaps)}
	}
	return hm
}

func (rq *request) allMembersSelect(lb string) *editAllSelect {
	s := &editAllSelect{Action: rq.uri}
	s.Fields = []hidden{{argCmd, cmdEdit.String()}, {argWorker, lb}, {argFrom, rq.cmd.String()}}
	if rq.opt != 0 {
		s.Fields = append(s.Fields, hidden{argOptions, strconv.Itoa(rq.opt)})
	}
	for i := range attrs {
		if a := &attrs[i]; a.Multi() {
			s.Attrs = append(s.Attrs, option{Label: a.Label, Value: a.Param})
		}
	}
	return s
}
