package status

import (
	"testing"
)

func TestParseParams(t *testing.T) {
	p := parseParams(`cmd=show&w=lb&&noval&=x&w=lb2&v=a+b%2Fc&x=<script>&q=%22%3F`)
	for k, want := range map[string]string{"cmd": "show", "w": "lb2", "v": "a b/c", "x": "@script@", "q": "@@"} {
		if got, ok := p.get(k); !ok || got != want {
			t.Errorf("%s = %q, %v; want %q", k, got, ok, want)
		}
	}
	for _, k := range []string{"noval", ""} {
		if _, ok := p.get(k); ok {
			t.Errorf("%q should be dropped", k)
		}
	}
	if p.raw != `cmd=show&w=lb&&noval&=x&w=lb2&v=a+b%2Fc&x=@script@&q=%22%3F` {
		t.Errorf("raw = %q: < > ? \" must become @ in the raw query", p.raw)
	}
	if p.bad {
		t.Error("bad set")
	}
	for _, q := range []string{"a=%zz", "a=%4", "a=%00", "a=1&b=%"} {
		if p := parseParams(q); !p.bad {
			t.Errorf("%q: want a parse error", q)
		}
	}
	p = parseParams("a=1&b=%zz&c=3")
	if p.str("a") != "1" || p.str("c") != "" {
		t.Errorf("parsing must stop at the bad value, keeping what came before: %v", p.vals)
	}
}

func TestWildMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{{"t*", "t1", true}, {"t?", "t12", false}, {"*", "", true}, {"a*b*c", "axxbyyc", true},
		{"a*b", "ab", true}, {"T*", "t1", false}, {"*2", "t2", true}, {"?1", "t1", true}, {"t1", "t1", true}} {
		if got := wildMatch(c.p, c.s); got != c.want {
			t.Errorf("wildMatch(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func TestStrfsize(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 ", 972: "972 ", 973: "1.0K", 20480: "20K", 3 << 20: "3.0M",
		9 * 1024: "9.0K", 10 * 1024: "10K", 1536: "1.5K"} {
		if got := strfsize(n); got != want {
			t.Errorf("strfsize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRatingMasks(t *testing.T) {
	if m := ratingMask([]string{"a.o", "a.i", "a.b", "a.r"}, 0); m != maskGoodDefault {
		t.Errorf("default good = %08x", m)
	}
	if m := ratingMask([]string{"s", "e"}, 0); m != maskBadDefault {
		t.Errorf("default bad = %08x", m)
	}
	if m := ratingMask([]string{" .d.n"}, 0); m != maskDisabled&maskIdle {
		t.Errorf("d.n = %08x", m)
	}
}
