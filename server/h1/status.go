package h1

import "net/http"

// statusText is the reason phrase of a status line jkbalancer writes for
// itself: httpd 2.4's (ap_get_status_line's table), which is Go's but for
// 414, where httpd writes "Request-URI Too Long" (Go: "Request URI Too
// Long"). 418 and 425, where the tables also differ, jkbalancer never
// answers itself; a member's status carries its own reason.
func statusText(code int) string {
	if code == http.StatusRequestURITooLong {
		return "Request-URI Too Long"
	}
	return http.StatusText(code)
}
