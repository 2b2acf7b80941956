package worker

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// A member whose AJP connector refuses the secret (Tomcat: 403, then
// END_RESPONSE reuse=0) is logged once, naming the worker and the secret
// property, however many requests it refuses; an application's own 403
// (reuse=1) is not.
func TestSecretRefusalLoggedOncePerMember(t *testing.T) {
	appForbidden := func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(403, ajp.Header{Name: "Content-Type", Value: "text/plain"})
		w.Write([]byte("no"))
	}
	for _, c := range []struct {
		name, secret, backend string
		h                     ajptest.Handler
		logged                bool
	}{
		{"wrong secret", "wrong", "s3cret", ajptest.EchoHandler("t1"), true},
		{"no secret", "", "s3cret", ajptest.EchoHandler("t1"), true},
		// Tomcat 10.1: the Host's error page, then END_RESPONSE reuse=0.
		{"tomcat 10.1 page", "", "", func(w *ajptest.ResponseWriter, r *ajptest.Request) {
			w.SendHeaders(403, ajp.Header{Name: "Content-Type", Value: "text/html;charset=utf-8"}, ajp.Header{Name: "Content-Language", Value: "en"})
			w.Write([]byte("<!doctype html><html><h1>HTTP Status 403 – Forbidden</h1></html>"))
			w.End(false)
		}, true},
		{"right secret", "s3cret", "s3cret", ajptest.EchoHandler("t1"), false},
		{"application 403", "s3cret", "s3cret", appForbidden, false},
		{"application 403, bare", "", "", func(w *ajptest.ResponseWriter, r *ajptest.Request) { w.SendHeaders(403) }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			be := ajptest.NewServer(c.h, ajptest.WithSecret(c.backend))
			defer be.Close()
			var log strings.Builder
			props := []string{}
			if c.secret != "" {
				props = append(props, "secret="+c.secret)
			}
			m, _ := newTestMember(t, ajpSpec(t, be.Addr(), props...), func(o *Options) {
				o.Logger = slog.New(slog.NewTextHandler(&log, nil))
			})
			for range 3 {
				rec := httptest.NewRecorder()
				if _, err := m.Forward(rec, newReq("GET", "/x", ""), &Attempt{}); err != nil {
					t.Fatal(err)
				}
				if want := map[bool]int{true: 403, false: rec.Code}[c.logged]; rec.Code != want {
					t.Fatalf("status %d, want %d", rec.Code, want)
				}
			}
			n := strings.Count(log.String(), "AJP secret refused")
			if m.SecretRefused() != c.logged || n != map[bool]int{true: 1, false: 0}[c.logged] {
				t.Fatalf("refused=%v, %d log lines, want %v once:\n%s", m.SecretRefused(), n, c.logged, log.String())
			}
			if c.logged && strings.Contains(m.SecretProblem(), "allowedRequestAttributesPattern") {
				t.Errorf("no attribute was sent, yet the problem names them: %s", m.SecretProblem())
			}
			if c.logged && !strings.Contains(log.String(), "property=worker.w.secret") {
				t.Errorf("the log line does not name the property:\n%s", log.String())
			}
		})
	}
}

// Tomcat refuses an arbitrary request attribute its
// allowedRequestAttributesPattern does not allow with the same 403: when
// the request carried some (JkEnvVar), the problem says so too.
func TestSecretRefusalWithAttributesNamesThem(t *testing.T) {
	be := ajptest.NewServer(ajptest.EchoHandler("t1"), ajptest.WithSecret("s3cret"))
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "secret=s3cret-not"))
	req := newReq("GET", "/x", "")
	req.Forward.Attributes = []ajp.Header{{Name: "SITE", Value: "blue"}}
	if _, err := m.Forward(httptest.NewRecorder(), req, &Attempt{}); err != nil {
		t.Fatal(err)
	}
	if p := m.SecretProblem(); !m.SecretRefused() || !strings.Contains(p, "worker.w.secret") ||
		!strings.Contains(p, "allowedRequestAttributesPattern") || !strings.Contains(p, "SITE") {
		t.Errorf("refused=%v problem %q", m.SecretRefused(), p)
	}
}
