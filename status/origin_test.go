package status

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// A change sent on another site's behalf is refused with 403 whatever its
// Accept and mime: a browser sends no Sec-Fetch-* to a plain HTTP origin,
// so the Referer or Origin is all that tells a forged <img> from curl.
func TestCrossSiteChangeRefused(t *testing.T) {
	cases := []struct {
		name, query string
		headers     []string
	}{
		// <img src="http://jk.example:8080/jk-status?cmd=update&..."> on evil.example.
		{"img tag", "cmd=update&w=lb&sw=t1&vwa=d", []string{"Accept: image/avif,image/webp,*/*", "Referer: http://evil.example/page.html"}},
		{"img tag mime=txt", "cmd=update&w=lb&sw=t1&vwa=d&mime=txt", []string{"Accept: image/*", "Referer: http://evil.example/"}},
		{"other port", "cmd=update&w=lb&sw=t1&vwa=d&mime=txt", []string{"Referer: http://jk.example:9090/jk-status"}},
		{"other scheme", "cmd=update&w=lb&sw=t1&vwa=d&mime=txt", []string{"Referer: https://jk.example:8080/jk-status"}},
		{"origin", "cmd=update&w=lb&sw=t1&vwa=d&mime=prop", []string{"Origin: http://evil.example"}},
		{"opaque origin", "cmd=update&w=lb&sw=t1&vwa=d&mime=xml", []string{"Origin: null"}},
		{"reset", "cmd=reset&w=lb&sw=t1&mime=txt", []string{"Accept: image/*", "Referer: http://evil.example/"}},
		{"recover", "cmd=recover&w=lb&sw=t1&mime=txt", []string{"Referer: http://evil.example/"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, fixtureOpts{})
			f.traffic()
			w := f.get(c.query, c.headers...)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "another site") {
				t.Fatalf("status %d, want 403 naming another site:\n%s", w.Code, w.Body)
			}
			if m := f.member("t1"); m.Activation != config.Active {
				t.Errorf("t1 is %v after a refused change", m.Activation)
			}
			if c := f.instances["t1"][0].Counters().Used(); c != 120 {
				t.Errorf("t1's counters were reset (used=%d)", c)
			}
			if n := strings.Count(f.log.String(), "level=WARN"); n != 1 || !strings.Contains(f.log.String(), "from another site") {
				t.Errorf("want one warning naming the refusal, log:\n%s", f.log)
			}
		})
	}
}

// Scripts (no Referer, no Origin) and the status page itself (same-origin
// Referer or Origin, default ports spelled or not) keep changing state.
func TestSameOriginAndScriptChangesWork(t *testing.T) {
	cases := []struct {
		name    string
		headers []string
	}{
		{"no headers", nil},
		{"curl", []string{"Accept: */*"}},
		{"same-origin referer", []string{"Referer: http://jk.example:8080/jk-status?cmd=show&w=lb"}},
		{"same-origin referer, host case", []string{"Referer: http://JK.example:8080/jk-status"}},
		{"same-origin origin", []string{"Origin: http://jk.example:8080"}},
		{"browser vouches same-origin", []string{"Origin: https://jk.example", "Sec-Fetch-Site: same-origin"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, fixtureOpts{})
			w := f.get("cmd=update&w=lb&sw=t1&vwa=d&mime=txt", c.headers...)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "type=OK") {
				t.Fatalf("status %d:\n%s", w.Code, w.Body)
			}
			if f.member("t1").Activation != config.Disabled {
				t.Error("t1 not disabled")
			}
		})
	}
}

// Default ports: http://host equals http://host:80, https://host
// https://host:443; the request's scheme comes from its connection.
func TestSameOriginPorts(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	r := httptest.NewRequest(http.MethodGet, "https://jk.example/jk-status?cmd=update&w=lb&sw=t1&vwa=d&mime=txt", nil)
	r.Header.Set("Referer", "https://jk.example:443/jk-status")
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || f.member("t1").Activation != config.Disabled {
		t.Fatalf("https same-origin refused: %d %s", w.Code, w.Body)
	}
	for _, c := range []struct {
		u, scheme, host string
		same            bool
	}{
		{"http://h/x", "http", "h:80", true},
		{"http://h:80", "http", "h", true},
		{"http://[::1]:8080/", "http", "[::1]:8080", true},
		{"http://h.:8080/", "http", "h:8080", true},
		{"http://h:8081/", "http", "h:8080", false},
		{"http://h/", "https", "h", false},
		{"http://user@h/", "http", "h", false},
		{"null", "http", "h", false},
		{"%zz", "http", "h", false},
		{"/relative", "http", "h", false},
	} {
		if got := sameOrigin(c.u, c.scheme, c.host); got != c.same {
			t.Errorf("sameOrigin(%q, %s, %s) = %v", c.u, c.scheme, c.host, got)
		}
	}
}
