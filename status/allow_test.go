package status

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// worker.NAME.allow: the TCP peer decides, before the login is asked.
func TestAllowByClientAddress(t *testing.T) {
	files := map[string]string{"users": "alice:{SHA}AsWT/Zr4JUuFnUJqdrbNQoR/vsE=\n"}
	f := newFixture(t, fixtureOpts{files: files, extra: "worker.jkstatus.user_file=users\n" +
		"worker.jkstatus.allow=127.0.0.1 10.1.0.0/16\nworker.jkstatus.allow=fd00::/8,::1\n"})
	do := func(remote, xff string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "http://jk.example/jk-status?mime=txt", nil)
		r.RemoteAddr = remote
		r.SetBasicAuth("alice", "pw1")
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		return w
	}
	for _, c := range []struct {
		remote string
		want   int
	}{
		{"127.0.0.1:5000", 200},
		{"127.0.0.2:5000", 403},
		{"10.1.0.0:1", 200},          // first address of the block
		{"10.1.255.255:1", 200},      // last
		{"10.0.255.255:1", 403},      // one below
		{"10.2.0.0:1", 403},          // one above
		{"[::1]:5000", 200},          // IPv6 loopback
		{"[::2]:5000", 403},          // its neighbour
		{"[fd12:3::4]:80", 200},      // in fd00::/8
		{"[fe80::1%lo]:80", 403},     // link-local, zone stripped, not listed
		{"[::ffff:10.1.2.3]:1", 200}, // IPv4-mapped: compared as 10.1.2.3
		{"[::ffff:10.3.2.3]:1", 403},
		{"10.1.2.3", 200}, // no port
		{"@", 403},        // a Unix socket peer
		{"", 403},
	} {
		if w := do(c.remote, ""); w.Code != c.want {
			t.Errorf("client %q: %d, want %d", c.remote, w.Code, c.want)
		}
	}
	// X-Forwarded-For is written by the client: it never admits anyone.
	if w := do("192.0.2.9:1", "127.0.0.1"); w.Code != 403 {
		t.Errorf("X-Forwarded-For admitted a client: %d", w.Code)
	}
	if n := strings.Count(f.log.String(), "outside worker.jkstatus.allow"); n != 9 {
		t.Errorf("%d refusal log lines, want one per refusal (9):\n%s", n, f.log.String())
	}
	// Refused before authentication: no login is asked for.
	r := httptest.NewRequest(http.MethodGet, "http://jk.example/jk-status", nil)
	r.RemoteAddr = "192.0.2.9:1"
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != 403 || w.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("refused client was asked to log in: %d %v", w.Code, w.Header())
	}
}

// Without allow everyone reaches the worker, as in mod_jk.
func TestAllowUnsetAdmitsEveryone(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	r := httptest.NewRequest(http.MethodGet, "http://jk.example/jk-status?mime=txt", nil)
	r.RemoteAddr = "192.0.2.9:1"
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("%d", w.Code)
	}
}

func BenchmarkAllowCheck(b *testing.B) {
	f := newFixture(b, fixtureOpts{extra: "worker.jkstatus.allow=10.0.0.0/8 192.168.0.0/16 ::1\n"})
	r := httptest.NewRequest(http.MethodGet, "http://jk.example/jk-status", nil)
	r.RemoteAddr = "[::1]:4000"
	b.ReportAllocs()
	for b.Loop() {
		if !f.h.admitted(nil, r) {
			b.Fatal("refused")
		}
	}
}
