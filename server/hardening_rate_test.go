package server

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestRateLimitAnswers429: over the rate a client gets 429 with
// Retry-After and the member does not see the request; exempt clients
// are not limited; a reload turns the limit off again.
func TestRateLimitAnswers429(t *testing.T) {
	m := newSeenMember(t, "m1")
	r := startReloadRig(t, map[string]string{
		"jkbalancer.yaml":    lbYAML("limits: {rate_limit: {requests_per_second: 0.01, burst: 2}}\n"),
		"workers.properties": lbWorkers([]*ajptest.Server{m.Server}, "")})
	var statuses []int
	var retry int
	for i := 0; i < 4; i++ {
		status, _, h := get(t, r.url("/r"))
		statuses = append(statuses, status)
		if status == http.StatusTooManyRequests {
			retry = retryAfterOf(h)
		}
	}
	if want := []int{200, 200, 429, 429}; !slices.Equal(statuses, want) || retry < 1 || len(mustSeen(m)) != 2 {
		t.Fatalf("statuses %v (want %v), Retry-After %d, member saw %d", statuses, want, retry, len(mustSeen(m)))
	}
	r.mustReload(map[string]string{"jkbalancer.yaml": lbYAML(
		"limits: {rate_limit: {requests_per_second: 0.01, burst: 2, exempt: [127.0.0.0/8]}}\n")})
	if status, _, _ := get(t, r.url("/r")); status != 200 {
		t.Errorf("exempt client after reload: %d", status)
	}
	r.mustReload(map[string]string{"jkbalancer.yaml": lbYAML("")})
	for i := 0; i < 5; i++ {
		if status, _, _ := get(t, r.url("/r")); status != 200 {
			t.Fatalf("rate limit off after reload: %d", status)
		}
	}
}

// TestOversizedHeaders: max_header_bytes is the limit of the request
// head (431), configurable; below it, an AJP member's packet size is the
// next limit (413).
func TestOversizedHeaders(t *testing.T) {
	m := newSeenMember(t, "m1")
	big := "X-Big: " + strings.Repeat("h", 12000)
	for _, c := range []struct {
		limits string
		status int
	}{
		{"", http.StatusRequestEntityTooLarge},                                         // 64 KiB head is fine; 8 KiB AJP packet is not
		{"limits: {max_header_bytes: 4096}\n", http.StatusRequestHeaderFieldsTooLarge}, // 12000 > 4096 + 4096 slack
	} {
		ts := hardServer(t, c.limits, oneMember(m.Server, ""), "/*=lb")
		res := rawSend(t, ts.addr(), "GET /h HTTP/1.1\r\nHost: x\r\n"+big+"\r\nConnection: close\r\n\r\n", false)
		if len(res.statuses) != 1 || res.statuses[0] != c.status {
			t.Errorf("%q: %v, want %d", c.limits, res.statuses, c.status)
		}
		if status, _, _ := get(t, ts.base+"/h", "X-Small", strings.Repeat("s", 2000)); status != 200 {
			t.Errorf("%q: a 2 KB header: %d", c.limits, status)
		}
	}
	if got := mustSeen(m); len(got) != 2 {
		t.Errorf("member saw %d requests, want the 2 small ones", len(got))
	}
}
