package status

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// The vectors were made with htpasswd (-s, -5, -2, -B, -5 -r 10000) and
// openssl passwd (-apr1, -5, -6).
func TestVerifyHashes(t *testing.T) {
	for _, c := range []struct {
		hash, pw string
	}{
		{"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!"},
		{"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "Hello world!"},
		{"$6$toolongsaltstrin$m5UCdGkMg16fnZB/afayhHcFYEQvnTRoKod8GIJKB0rGGl9IQGUPKeGHHw5xPOFVPjhTAcuzioT6ZcDqsMKJ80", "x"},
		{"$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/", "secret"},
		{"{SHA}AsWT/Zr4JUuFnUJqdrbNQoR/vsE=", "pw1"},
	} {
		if !verify(c.hash, c.pw) {
			t.Errorf("%s does not verify %q", c.hash, c.pw)
		}
		if verify(c.hash, c.pw+"x") {
			t.Errorf("%s verifies a wrong password", c.hash)
		}
	}
}

func TestLoadUsers(t *testing.T) {
	var log strings.Builder
	u, err := LoadUsers(filepath.Join("..", "testdata", "status", "htpasswd"), slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for user, pw := range map[string]string{"alice": "pw1", "bob": "pw2", "carol": "pw3", "erin": "pw5", "grace": "pw7"} {
		if !u.Check(user, pw) {
			t.Errorf("%s cannot log in", user)
		}
		if u.Check(user, "wrong") {
			t.Errorf("%s logs in with a wrong password", user)
		}
	}
	for _, user := range []string{"dave", "frank", "nobody"} {
		if u.Check(user, "pw4") || u.Check(user, "pw6") {
			t.Errorf("%s logged in", user)
		}
	}
	for _, want := range []string{"bcrypt hashes (htpasswd -B) are not supported", "plain text", "line is not name:hash"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("no warning %q in:\n%s", want, log.String())
		}
	}
}

func TestBasicAuthAndUserList(t *testing.T) {
	files := map[string]string{"users": "alice:{SHA}AsWT/Zr4JUuFnUJqdrbNQoR/vsE=\n" +
		"bob:$5$wbhhXpt4Oy12ahlO$gL0ZXJfh8sH5DprG.xLQD5jTIHXFtYbEQfAaEBS0Co/\n"}
	// carol's hash above is bob's here: password pw3.
	f := newFixture(t, fixtureOpts{files: files, extra: "worker.jkstatus.user_file=users\nworker.jkstatus.user=ALICE\nworker.jkstatus.user_case_insensitive=true\n"})
	req := func(user, pw string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "http://jk.example/jk-status?mime=txt", nil)
		if user != "" {
			r.SetBasicAuth(user, pw)
		}
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		return w
	}
	if w := req("", ""); w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), `Basic realm="JK Status Manager"`) {
		t.Errorf("no login: %d %v", w.Code, w.Header())
	}
	if w := req("alice", "nope"); w.Code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", w.Code)
	}
	if w := req("alice", "pw1"); w.Code != 200 || !strings.Contains(w.Body.String(), resultOK) {
		t.Errorf("alice (listed as ALICE, case-insensitive): %d %s", w.Code, w.Body.String())
	}
	if w := req("bob", "pw3"); w.Code != 200 || !strings.Contains(w.Body.String(), `message="Access denied."`) {
		t.Errorf("bob is in the file but not in the user list: %d %s", w.Code, w.Body.String())
	}
	// A user list without a file: mod_jk's "no user" case, always denied.
	g := newFixture(t, fixtureOpts{extra: "worker.jkstatus.user=alice\n"})
	if got := g.result("cmd=list"); got != `Result: type=ERROR message="Access denied."` {
		t.Errorf("user without user_file: %s", got)
	}
	if !strings.Contains(g.log.String(), "user_file") {
		t.Error("no warning about the missing user_file")
	}
}
