package server

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
)

func rateConfig(rl config.RateLimit) *config.Config {
	cfg := &config.Config{}
	cfg.Server.Limits = config.DefaultLimits()
	cfg.Server.Limits.RateLimit = rl
	return cfg
}

// TestRateLimiterBuckets: a token bucket per client, refilled at the
// rate; a refused request costs no token; IPv6 clients count by /64;
// exempt networks are never limited; memory stays at max_clients.
func TestRateLimiterBuckets(t *testing.T) {
	l := newRateLimiter(rateConfig(config.RateLimit{RequestsPerSecond: 2, Burst: 3, MaxClients: 3,
		Exempt: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}))
	t0 := time.Unix(1000, 0)
	take := func(addr string, at time.Duration) (time.Duration, bool) { return l.allow(addr, t0.Add(at)) }
	for i := 0; i < 3; i++ {
		if _, ok := take("192.0.2.1:1000", 0); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	if wait, ok := take("192.0.2.1:1001", 0); ok || wait != 500*time.Millisecond {
		t.Fatalf("4th at once: ok=%v wait %v; want refused, 500ms", ok, wait)
	}
	if _, ok := take("192.0.2.1:1001", 100*time.Millisecond); ok {
		t.Fatal("allowed before a token was due")
	}
	// The refusals did not dig a hole: one token is due at 500 ms.
	if _, ok := take("192.0.2.1:1002", 500*time.Millisecond); !ok {
		t.Fatal("refused once a token was due")
	}
	if _, ok := take("192.0.2.2:1000", 0); !ok {
		t.Fatal("another client shares the bucket")
	}
	for i := 0; i < 10; i++ {
		if _, ok := take("10.9.8.7:1000", 0); !ok {
			t.Fatal("an exempt client was limited")
		}
	}
	// One IPv6 /64 is one client.
	for i, a := range []string{"[2001:db8::1]:1", "[2001:db8::2]:1", "[2001:db8::ffff:1]:1"} {
		if _, ok := take(a, 0); !ok {
			t.Fatalf("IPv6 request %d refused", i)
		}
	}
	if _, ok := take("[2001:db8::3]:1", 0); ok {
		t.Fatal("a fourth address of the same /64 got a token")
	}
	if _, ok := take("[2001:db8:0:1::1]:1", 0); !ok {
		t.Fatal("another /64 shares the bucket")
	}
	// max_clients 3: the least recently seen are forgotten.
	for i := 0; i < 50; i++ {
		take("198.51.100."+string(rune('0'+i%10))+":1", time.Second)
	}
	if n := l.size(); n != 3 {
		t.Fatalf("%d clients remembered, want max_clients 3", n)
	}
}

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
