package status

import (
	"fmt"
	"strings"
)

// The machine formats: txt, prop and xml (jk_status.c jk_print_xml_*,
// jk_print_prop_*, and the txt branches). Indentation, quoting and line
// breaks are mod_jk's.

// writeRecord prints r. For xml, indent is the element's indentation and
// open leaves the element open (">") for children instead of closing it
// ("/>").
func (rq *request) writeRecord(r *record, indent int, open bool) {
	b := &rq.out
	switch rq.mime {
	case mimeTXT:
		b.WriteString(r.label)
		for _, f := range r.fields {
			if f.quote {
				fmt.Fprintf(b, " %s=\"%s\"", f.key, f.val)
			} else {
				fmt.Fprintf(b, " %s=%s", f.key, f.val)
			}
		}
		b.WriteByte('\n')
	case mimeXML:
		rq.xmlStart(indent, r.elem)
		for _, f := range r.fields {
			fmt.Fprintf(b, "%*s%s=\"%s\"\n", indent+2, "", f.key, xmlEscape(f.val))
		}
		rq.xmlStop(indent, !open)
	default:
		for _, f := range r.fields {
			if f.noProp {
				continue
			}
			owner, key := r.owner, f.key
			if f.pkey != "" {
				key = f.pkey
			}
			switch {
			case f.noOwner:
				owner = ""
			case f.powner != "":
				owner = f.powner
			}
			if r.item != "" {
				key = r.item + "." + key
			}
			rq.propLine(owner, key, f.val)
		}
	}
}

func (rq *request) propLine(owner, key, val string) {
	if owner != "" {
		fmt.Fprintf(&rq.out, "%s.%s.%s=%s\n", rq.h.cfg.Prefix, owner, key, val)
	} else {
		fmt.Fprintf(&rq.out, "%s.%s=%s\n", rq.h.cfg.Prefix, key, val)
	}
}

func (rq *request) xmlStart(indent int, elem string) {
	fmt.Fprintf(&rq.out, "%*s<%s%s\n", indent, "", rq.h.cfg.NS, elem)
}

func (rq *request) xmlStop(indent int, closeTag bool) {
	if closeTag {
		fmt.Fprintf(&rq.out, "%*s/>\n", indent, "")
	} else {
		fmt.Fprintf(&rq.out, "%*s>\n", indent, "")
	}
}

func (rq *request) xmlClose(indent int, elem string) {
	fmt.Fprintf(&rq.out, "%*s</%s%s>\n", indent, "", rq.h.cfg.NS, elem)
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// xmlEscape keeps the document well-formed. mod_jk relies on its '@'
// masking of the request instead, which leaves configured values (routes,
// hosts) unescaped.
func xmlEscape(s string) string { return xmlEscaper.Replace(s) }

// machineStart is what every response begins with: the xml declaration
// and the root element.
func (rq *request) machineStart() {
	if rq.mime != mimeXML {
		return
	}
	b := &rq.out
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n")
	if d := rq.h.cfg.Doctype; d != "" {
		b.WriteString(d + "\n")
	}
	rq.xmlStart(0, "status")
	if x := rq.h.cfg.XMLNS; x != "" {
		b.WriteString("  " + x)
	}
	rq.xmlStop(0, false)
}

// machineHead prints the server line and, for list, show, version and
// dump, the time and software lines.
func (rq *request) machineHead() {
	s := rq.serverRecord()
	rq.writeRecord(&s, 0, false)
	if !rq.cmd.showsHead() {
		return
	}
	t := rq.timeRecord(rq.now)
	rq.writeRecord(&t, 0, false)
	sw := rq.softwareRecord()
	rq.writeRecord(&sw, 0, false)
}

// machineResult ends the response with the result and, for xml, closes the
// root. A request with an unknown mime gets the prop form.
func (rq *request) machineResult(errMsg string) {
	typ, msg := "OK", msgOK
	if errMsg != "" {
		typ, msg = "ERROR", errMsg
	}
	switch rq.mime {
	case mimeXML:
		r := record{elem: "result", fields: []field{{key: "type", val: typ}, {key: "message", val: msg}}}
		rq.writeRecord(&r, 2, false)
		rq.xmlClose(0, "status")
	case mimeTXT:
		fmt.Fprintf(&rq.out, "Result: type=%s message=\"%s\"\n", typ, msg)
	default:
		rq.propLine("result", "type", typ)
		rq.propLine("result", "message", msg)
	}
}

// machineList is list_workers: the lbs, then the other workers, each group
// with its count unless hidden by opt.
func (rq *request) machineList() {
	lbs, ajps := rq.h.counts()
	if lbs > 0 && rq.opt&optNoLB == 0 {
		rq.machineGroup(true, lbs)
	}
	if ajps > 0 && rq.opt&optNoAJP == 0 {
		rq.machineGroup(false, ajps)
	}
}

func (rq *request) machineGroup(lbs bool, count int) {
	elem, label, key := "ajp_workers", "AJP Workers:", "ajp_count"
	if lbs {
		elem, label, key = "balancers", "Balancer Workers:", "lb_count"
	}
	switch rq.mime {
	case mimeXML:
		rq.xmlStart(0, elem)
		fmt.Fprintf(&rq.out, "  count=\"%d\"\n", count)
		rq.xmlStop(0, false)
	case mimeTXT:
		fmt.Fprintf(&rq.out, "%s count=%d\n", label, count)
	default:
		rq.propLine("", key, fmt.Sprint(count))
	}
	for i := range rq.h.spec.Workers {
		w := &rq.h.spec.Workers[i]
		if (w.LB != nil) == lbs {
			rq.machineWorker(w, "")
		}
	}
	if rq.mime == mimeXML {
		rq.xmlClose(0, elem)
	}
}

// machineWorker is display_worker: an lb with its members (all, or only
// sub) and maps, or a plain worker with its maps. Other types show nothing.
func (rq *request) machineWorker(w *Worker, sub string) {
	switch {
	case w.LB != nil:
		v := rq.lbView(w)
		r := rq.lbRecord(&v)
		rq.writeRecord(&r, 2, true)
		if rq.opt&optNoMembers == 0 {
			for i := range v.Members {
				if sub != "" && v.Members[i].Name != sub {
					continue
				}
				mr := rq.workerRecord(&v.Members[i], rq.mime == mimeXML)
				rq.writeRecord(&mr, 6, false)
			}
		}
		rq.machineDoctor(w.Name)
		rq.machineMaps(w.Name, v.Maps)
		if rq.mime == mimeXML {
			rq.xmlClose(2, "balancer")
		}
	case w.Member != nil:
		mv := rq.ajpView(w)
		r := rq.workerRecord(&mv, rq.mime == mimeXML)
		rq.writeRecord(&r, 2, false)
		rq.machineMaps(w.Name, mv.Maps)
	}
}

func (rq *request) machineMaps(owner string, maps []mapView) {
	if rq.opt&optNoMaps != 0 {
		return
	}
	for i := range maps {
		r := mapRecord(owner, &maps[i])
		rq.writeRecord(&r, 6, false)
	}
}

// machineDump is dump_config for txt, prop and xml.
func (rq *request) machineDump() {
	lines := rq.h.dumpLines()
	switch rq.mime {
	case mimeXML:
		r := record{elem: "configuration"}
		for _, l := range lines {
			r.add(l[0], l[1])
		}
		rq.writeRecord(&r, 2, false)
	case mimeTXT:
		rq.out.WriteString("Configuration:\n")
		fallthrough
	default:
		for _, l := range lines {
			rq.out.WriteString(l[0] + "=" + l[1] + "\n")
		}
	}
}

// counts is count_workers: lbs, and the workers served directly.
func (h *Handler) counts() (lbs, ajps int) {
	for _, w := range h.spec.Workers {
		switch {
		case w.LB != nil:
			lbs++
		case w.Member != nil:
			ajps++
		}
	}
	return lbs, ajps
}

// dumpLines are the resolved workers.properties lines dump prints. Like
// mod_jk it skips keys ending in ".secret"; jkbalancer also skips
// ".secretkey" and any line whose value is one of the secrets (a
// $(variable) holding one), so dump never shows a secret.
func (h *Handler) dumpLines() [][2]string {
	secrets := make(map[string]bool)
	for _, p := range h.spec.Properties {
		if isSecretKey(p.Key) && p.Value != "" {
			secrets[p.Value] = true
		}
	}
	var out [][2]string
	for _, p := range h.spec.Properties {
		if isSecretKey(p.Key) || secrets[p.Value] {
			continue
		}
		out = append(out, [2]string{p.Key, p.Value})
	}
	return out
}

func isSecretKey(k string) bool {
	return strings.HasSuffix(k, ".secret") || strings.HasSuffix(k, ".secretkey")
}
