package limits

import (
	"net/netip"
	"testing"
	"time"
)

// TestRateLimiterBuckets: a token bucket per client, refilled at the
// rate; a refused request costs no token; IPv6 clients count by /64;
// exempt networks are never limited; memory stays at max_clients.
func TestRateLimiterBuckets(t *testing.T) {
	l := NewRateLimiter(Rate{RequestsPerSecond: 2, Burst: 3, MaxClients: 3,
		Exempt: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	t0 := time.Unix(1000, 0)
	take := func(addr string, at time.Duration) (time.Duration, bool) { return l.Allow(addr, t0.Add(at)) }
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

// TestRateClientKeys: an IPv4-mapped IPv6 address is its IPv4 client; an
// address that does not parse is not limited (nothing to count it by).
func TestRateClientKeys(t *testing.T) {
	l := NewRateLimiter(Rate{RequestsPerSecond: 1, Burst: 1, MaxClients: 10})
	now := time.Unix(1000, 0)
	if _, ok := l.Allow("192.0.2.1:1", now); !ok {
		t.Fatal("first request refused")
	}
	if _, ok := l.Allow("[::ffff:192.0.2.1]:2", now); ok {
		t.Error("the IPv4-mapped address has a bucket of its own")
	}
	for i := 0; i < 3; i++ {
		if _, ok := l.Allow("@unix", now); !ok {
			t.Fatal("an address without ip:port was limited")
		}
	}
	if n := l.size(); n != 1 {
		t.Errorf("%d clients remembered, want 1", n)
	}
}

// TestRateEqual: a reload keeps the buckets only when nothing the limiter
// enforces changed.
func TestRateEqual(t *testing.T) {
	base := Rate{RequestsPerSecond: 5, Burst: 10, MaxClients: 100, Exempt: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	same := base
	same.Exempt = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	if !base.Equal(same) {
		t.Error("equal rates differ")
	}
	for name, change := range map[string]func(*Rate){
		"rate":        func(r *Rate) { r.RequestsPerSecond = 6 },
		"burst":       func(r *Rate) { r.Burst = 11 },
		"max_clients": func(r *Rate) { r.MaxClients = 99 },
		"exempt":      func(r *Rate) { r.Exempt = nil },
	} {
		other := base
		change(&other)
		if base.Equal(other) {
			t.Errorf("a changed %s is equal", name)
		}
	}
}
