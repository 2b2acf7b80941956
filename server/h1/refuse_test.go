package h1

import (
	"net/http"
	"strings"
	"testing"
)

// TestFragmentInTargetIsRefused: httpd answers 400 to a request target
// with a # ("URI must not contain a fragment"); it never reaches mod_jk.
func TestFragmentInTargetIsRefused(t *testing.T) {
	reached := make(chan string, 8)
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached <- r.RequestURI }))
	for _, target := range []string{"/x#frag", "/x?q#f", "/#", "http://h/x#f"} {
		rs := responses(t, exchange(t, addr, "GET "+target+" HTTP/1.1\r\nHost: x\r\n\r\n"), "GET")
		if rs[0].StatusCode != http.StatusBadRequest || !rs[0].Close {
			t.Errorf("%s: %d (close %v), want 400 and close", target, rs[0].StatusCode, rs[0].Close)
		}
	}
	select {
	case uri := <-reached:
		t.Errorf("%s reached the handler", uri)
	default:
	}
}

// TestRefusedHEADHasNoBody: the front end's own error page for a HEAD
// request it refuses has a head only, as httpd's (r->header_only); body
// bytes would be read as the next response.
func TestRefusedHEADHasNoBody(t *testing.T) {
	addr, _ := start(t, echo)
	out := exchange(t, addr, "HEAD / HTTP/1.1\r\nX-LF: v\nHost: x\r\n\r\n")
	head, body, _ := strings.Cut(out, "\r\n\r\n")
	if !strings.HasPrefix(head, "HTTP/1.1 400 ") || body != "" {
		t.Errorf("HEAD refused: got\n%q", out)
	}
}
