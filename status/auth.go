package status

import (
	"net/http"
	"strings"
)

// Access control (docs/status-worker.md#access-control). mod_jk reads the user httpd
// authenticated (r->user) and compares it with worker.NAME.user; without
// httpd, jkbalancer authenticates itself: with worker.NAME.user_file set,
// every request needs an HTTP basic-auth login from that file (401
// otherwise, as httpd's AuthType Basic would answer). The user list then
// restricts which of those users may use the worker; an empty list lets
// every user of the file in. A user list without a user file denies
// everything ("Access denied.", as mod_jk does for a request without a
// user).

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
