package status

import (
	"bytes"
	"net/http"
	"time"
)

// request is one status request being answered (jk_status.c service).
type request struct {
	h          *Handler
	r          *http.Request
	p          *params
	user       string
	now        time.Time
	serverName string
	serverPort int
	scheme     string // "http" or "https": the request's own origin
	uri        string // the status worker's path, for links and forms

	cmd      command
	mime     mimeType
	opt      int
	readOnly bool
	msg      string // mod_jk's p->msg: why a lookup or an update failed
	// updated says an update, reset or recover succeeded (HTML: refresh
	// back to the page it came from).
	updated bool
	// valParam is the parameter holding the current member's value in the
	// att form (val0, val1, ...).
	valParam string

	// code is the HTTP status of the answer: 200 like mod_jk, except a
	// change refused as cross-site (403).
	code int

	out bytes.Buffer
}

// run decides, acts and renders, in jk_status.c's order: access, read
// only, command and mime, the worker check, then the action.
func (rq *request) run() {
	h, p := rq.h, rq.p
	v, given := p.get(argCmd)
	rq.cmd = parseCommand(v, given)
	v, given = p.get(argMime)
	rq.mime = parseMime(v, given)
	rq.opt = p.int(argOptions, 0)
	rq.readOnly = h.cfg.ReadOnly || rq.opt&optReadOnly != 0

	var errMsg string
	if p.bad {
		errMsg = msgParse
	}
	if !h.allowed(rq.user) {
		errMsg = msgDenied
		h.log.Warn("status worker access denied", "user", rq.user, "client", rq.r.RemoteAddr)
	}
	if errMsg == "" && rq.cmd.changes() {
		errMsg = rq.checkCrossSite()
	}
	if errMsg == "" && rq.readOnly && rq.cmd.writes() {
		errMsg = msgReadOnly
	}
	if errMsg == "" {
		errMsg = rq.validate()
	}
	if errMsg == "" && rq.cmd.changes() {
		errMsg = rq.checkCSRF()
	}
	if errMsg == "" {
		errMsg = rq.act()
	}
	if errMsg != "" && rq.code != http.StatusForbidden {
		h.log.Warn("status worker request failed", "cmd", rq.cmd.String(), "err", errMsg)
	}
	rq.render(errMsg)
}

// validate checks the command, the mime and, for the commands that name a
// worker, the worker and sub worker (check_worker).
func (rq *request) validate() string {
	switch {
	case rq.cmd == cmdUnknown:
		return msgInvalidCmd
	case rq.mime == mimeUnknown:
		return msgInvalidMime
	case rq.cmd.checksWorker():
		if !rq.checkWorker(rq.cmd == cmdUpdate) {
			return rq.msg
		}
	}
	return ""
}

// act runs the state-changing commands; the others only render.
func (rq *request) act() string {
	var ok bool
	switch rq.cmd {
	case cmdUpdate:
		rq.h.editMu.Lock()
		ok = rq.update()
		rq.h.editMu.Unlock()
		if !ok {
			if rq.msg != "" && rq.msg != "OK" {
				return rq.msg
			}
			return msgUpdateFailed
		}
	case cmdReset:
		if ok = rq.reset(); !ok {
			return msgResetFailed
		}
	case cmdRecover:
		if ok = rq.recover(); !ok {
			return msgRecoverFailed
		}
	default:
		return ""
	}
	rq.updated = true
	return ""
}

// render writes the response for the mime.
func (rq *request) render(errMsg string) {
	if rq.mime == mimeHTML {
		rq.renderHTML(errMsg)
		return
	}
	rq.machineStart()
	if errMsg == "" && !rq.cmd.changes() {
		errMsg = rq.machineBody()
	}
	rq.machineResult(errMsg)
}

// machineBody is what list, show, edit, version and dump print before the
// result in the machine formats.
func (rq *request) machineBody() string {
	rq.machineHead()
	switch rq.cmd {
	case cmdList:
		rq.machineList()
	case cmdShow:
		w, sub := rq.target()
		rq.machineWorker(w, sub)
	case cmdDump:
		rq.machineDump()
	}
	return ""
}

// target returns the worker named by w (checked by validate) and sw.
func (rq *request) target() (*Worker, string) {
	return rq.h.byName[rq.p.str(argWorker)], rq.p.str(argSubWorker)
}
