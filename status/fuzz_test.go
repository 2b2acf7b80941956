package status

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzQuery sends arbitrary query strings (and the same as a POSTed form)
// to the status worker: it must never panic and always answer 200 with a
// result, as mod_jk does.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"", "mime=txt", "cmd=update&w=lb&sw=t*&vwa=d&mime=prop", "cmd=show&w=lb&sw=%zz",
		"cmd=update&w=lb&att=vwa&val0=x&val9=1", "cmd=edit&w=lb&sw=t1", "cmd=dump&mime=xml", "opt=-1&re=-5",
		"cmd=update&w=lb&sw=t2&vahst=backend.example&vaprt=99999999999", "cmd=edit&w=lb&att=vamps", "w=&sw=&cmd=reset",
		"cmd=recover&w=lb&sw=t3&mime=bogus", "cmd=update&w=direct&vamps=-1&token=1.x"} {
		f.Add(s)
	}
	fx := newFixture(f, fixtureOpts{})
	f.Fuzz(func(t *testing.T, q string) {
		for _, r := range []*http.Request{
			httptest.NewRequest(http.MethodGet, "http://jk/jk-status", nil),
			httptest.NewRequest(http.MethodPost, "http://jk/jk-status", strings.NewReader(q)),
		} {
			r.URL.RawQuery = q
			w := httptest.NewRecorder()
			fx.h.ServeHTTP(w, r)
			b := w.Body.String()
			if w.Code != http.StatusOK || !strings.Contains(b, "esult") && !strings.Contains(b, "JK Status Manager") {
				t.Fatalf("%q: %d %.300s", q, w.Code, b)
			}
		}
	})
}
