package token

import (
	"net/textproto"
	"testing"
)

func TestIs(t *testing.T) {
	for s, want := range map[string]bool{"GET": true, "X-Custom_1": true, "": false, "a b": false, "a:b": false, "é": false, "a\x7f": false} {
		if Is(s) != want || Is([]byte(s)) != want {
			t.Errorf("Is(%q) = %v, want %v", s, !want, want)
		}
	}
}

func TestTrimOWS(t *testing.T) {
	for in, want := range map[string]string{" \t a b \t": "a b", "": "", "  ": "", "x": "x"} {
		if got := string(TrimOWS([]byte(in))); got != want {
			t.Errorf("TrimOWS(%q) = %q, want %q", in, got, want)
		}
	}
}

// AppendCanonical spells a token as net/textproto does.
func TestAppendCanonical(t *testing.T) {
	for _, k := range []string{"content-length", "X-FORWARDED-FOR", "sec-ch-ua", "te", "a--b", "-x"} {
		if got, want := string(AppendCanonical([]byte("p:"), []byte(k))), "p:"+textproto.CanonicalMIMEHeaderKey(k); got != want {
			t.Errorf("AppendCanonical(%q) = %q, want %q", k, got, want)
		}
	}
}
