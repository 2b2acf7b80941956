package status

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// Cross-site request forgery. mod_jk changes state on a plain GET URL, so
// any page a logged-in operator visits can drain a member with an <img>.
// jkbalancer splits the callers:
//
//   - A browser changes state only through the status page's own forms:
//     a POST carrying a token that is an HMAC, under a key drawn once per
//     process, of the form's command, worker, member, attribute, user and
//     issue time. A request counts as a browser's when it asks for HTML
//     (mime=html, the default, with text/html in Accept).
//   - A change whose Referer, Origin or Sec-Fetch-Site shows another site
//     sent it is refused with 403 before any of this (origin.go).
//   - Everything else (curl, wget, monitoring scripts: mime=txt, prop or
//     xml, or no HTML in Accept) keeps mod_jk's GET update API unchanged.
//
// worker.NAME.csrf=strict requires the form's POST and token for every
// change; scripts then read a token from the edit form first.

// tokenTTL is how long a form stays usable.
const tokenTTL = 8 * time.Hour

// Messages of a refused change.
const (
	msgNeedsForm  = "Refused: a change from a browser needs the status page's form (POST with its CSRF token); use the buttons on the page"
	msgBadToken   = "Refused: the form's CSRF token is missing, wrong or expired; reload the status page and try again"
	msgNeedsStrct = "Refused: this status worker (csrf=strict) accepts changes only from its forms (POST with a CSRF token)"
)

type csrfKey []byte

func newCSRFKey(k []byte) (csrfKey, error) {
	if len(k) > 0 {
		return csrfKey(k), nil
	}
	k = make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("status worker: CSRF key: %w", err)
	}
	return csrfKey(k), nil
}

// binding is what a token is bound to.
type binding struct {
	user string
	cmd  command
	w    string
	sw   string
	att  string
}

func (k csrfKey) mac(b binding, ts string) []byte {
	m := hmac.New(sha256.New, k)
	for _, s := range []string{ts, b.user, b.cmd.String(), b.w, b.sw, b.att} {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// token issues a token for a form.
func (k csrfKey) token(b binding, now time.Time) string {
	ts := strconv.FormatInt(now.Unix(), 36)
	return ts + "." + base64.RawURLEncoding.EncodeToString(k.mac(b, ts))
}

// valid checks a token against the form it must have come from.
func (k csrfKey) valid(tok string, b binding, now time.Time) bool {
	ts, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return false
	}
	sec, err := strconv.ParseInt(ts, 36, 64)
	if err != nil {
		return false
	}
	age := now.Sub(time.Unix(sec, 0))
	if age > tokenTTL || age < -time.Minute {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, k.mac(b, ts)) == 1
}

// binding returns what this request's token must be bound to.
func (rq *request) binding() binding {
	b := binding{user: rq.user, cmd: rq.cmd, w: rq.p.str(argWorker), sw: rq.p.str(argSubWorker)}
	if rq.cmd == cmdUpdate && b.sw == "" {
		b.att = rq.p.str(argAttribute)
	}
	return b
}

// formToken issues the token of a form that will send cmd for w, sw, att.
func (rq *request) formToken(cmd command, w, sw, att string) string {
	return rq.h.csrf.token(binding{user: rq.user, cmd: cmd, w: w, sw: sw, att: att}, rq.now)
}

// checkCSRF decides whether a state change may proceed; it returns the
// refusal message or "".
func (rq *request) checkCSRF() string {
	tok, hasTok := rq.p.get(argToken)
	post := rq.r.Method == http.MethodPost
	if post && hasTok && rq.h.csrf.valid(tok, rq.binding(), rq.now) {
		return ""
	}
	switch {
	case rq.h.cfg.CSRF == config.CSRFStrict && !hasTok:
		return msgNeedsStrct
	case rq.h.cfg.CSRF == config.CSRFStrict, hasTok:
		return msgBadToken
	case rq.fromBrowser() && post:
		return msgBadToken
	case rq.fromBrowser():
		return msgNeedsForm
	}
	return ""
}

// fromBrowser reports a request that a browser sent for a page (it wants
// HTML); one sent on behalf of another site was refused before
// (checkCrossSite).
func (rq *request) fromBrowser() bool {
	return rq.mime == mimeHTML && strings.Contains(strings.ToLower(rq.r.Header.Get("Accept")), "text/html")
}
