package status

import (
	"net/http"
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
)

// Access control (docs/status-worker.md#access-control). First the client
// address must be in worker.NAME.allow when that is set. mod_jk reads the user httpd
// authenticated (r->user) and compares it with worker.NAME.user; without
// httpd, jkbalancer authenticates itself: with worker.NAME.user_file set,
// every request needs an HTTP basic-auth login from that file (401
// otherwise, as httpd's AuthType Basic would answer). The user list then
// restricts which of those users may use the worker; an empty list lets
// every user of the file in. A user list without a user file denies
// everything ("Access denied.", as mod_jk does for a request without a
// user).

// admitted checks the client's address against worker.NAME.allow before
// anything else (no login is asked of a refused client): the TCP peer,
// never X-Forwarded-For, which any client can write. Outside the list it
// answers 403 with one log line.
func (h *Handler) admitted(w http.ResponseWriter, r *http.Request) bool {
	if h.cfg.Allow == nil || config.AllowsAddr(h.cfg.Allow, r.RemoteAddr) {
		return true
	}
	h.log.Warn("status worker refused a client outside worker."+h.spec.Name+".allow", "client", r.RemoteAddr)
	http.Error(w, "Forbidden", http.StatusForbidden)
	return false
}

// realm is the basic-auth realm browsers show.
const realm = "JK Status Manager"

// authenticate returns the logged-in user ("" when no user file is
// configured). When the login is missing or wrong it answers 401 and
// returns false.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	if h.users == nil {
		return "", true
	}
	user, pass, ok := r.BasicAuth()
	if ok && h.users.Check(user, pass) {
		return user, true
	}
	if ok {
		h.log.Warn("status worker login failed", "user", user, "client", r.RemoteAddr, "err", errNoAuth)
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
	http.Error(w, "Authentication required", http.StatusUnauthorized)
	return "", false
}

// allowed is mod_jk's user check: with a user list, the user must be in
// it (compared case-insensitively with user_case_insensitive).
func (h *Handler) allowed(user string) bool {
	if len(h.cfg.User) == 0 {
		return true
	}
	if user == "" {
		return false
	}
	for _, u := range h.cfg.User {
		if u == user || h.cfg.UserCaseInsensitive && strings.EqualFold(u, user) {
			return true
		}
	}
	return false
}
