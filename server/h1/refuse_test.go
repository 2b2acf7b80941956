package h1

import (
	"net/http"
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
