package worker

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestRepeatedVaryIsMergedLikeHTTPD: httpd's header filter (fix_vary)
// folds a member's repeated Vary fields into one and drops repeated
// tokens, whatever their case.
func TestRepeatedVaryIsMergedLikeHTTPD(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200, ajp.Header{Name: "Vary", Value: "Accept-Encoding"},
			ajp.Header{Name: "Vary", Value: "accept-encoding, Cookie"},
			ajp.Header{Name: "Content-Length", Value: "0"})
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr()))
	rec := newHeadRecorder()
	if _, err := m.Forward(unwrapOnly{rec}, newReq("GET", "/", ""), &Attempt{}); err != nil {
		t.Fatal(err)
	}
	if got := rec.Header()["Vary"]; len(got) != 1 || got[0] != "Accept-Encoding,Cookie" {
		t.Errorf("Vary %q, want one field \"Accept-Encoding,Cookie\" as httpd sends", got)
	}
}

func TestMergeVary(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{nil, nil},
		{[]string{"Accept"}, []string{"Accept"}},
		{[]string{"Accept", "Accept"}, []string{"Accept"}},
		{[]string{"A, b", "B ,c,,"}, []string{"A,b,c"}},
		{[]string{" , ", ""}, []string{" , ", ""}}, // no token: httpd leaves them
		{[]string{"*", "Cookie"}, []string{"*,Cookie"}},
	} {
		h := http.Header{}
		if c.in != nil {
			h["Vary"] = c.in
		}
		mergeVary(h)
		if strings.Join(h["Vary"], "|") != strings.Join(c.want, "|") || len(h["Vary"]) != len(c.want) {
			t.Errorf("mergeVary(%q) = %q, want %q", c.in, h["Vary"], c.want)
		}
	}
	h := http.Header{"Vary": {"Accept-Encoding"}}
	if n := testing.AllocsPerRun(100, func() { mergeVary(h) }); n != 0 {
		t.Errorf("a single plain Vary allocates %v times", n)
	}
}

// TestHTTPMemberVaryIsMerged: mod_proxy_http's response goes through the
// same header filter, so an HTTP member's repeated Vary is merged too.
func TestHTTPMemberVaryIsMerged(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Vary"] = []string{"Cookie", "Accept-Encoding, cookie"}
		w.Header().Set("Content-Length", "0")
	}))
	defer be.Close()
	m := newHTTPMember(t, httpSpec(t, strings.TrimPrefix(be.URL, "http://")))
	rec := newHeadRecorder()
	if _, err := m.Forward(unwrapOnly{rec}, toRequest(t, httptest.NewRequest("GET", "/", nil), 0), &Attempt{}); err != nil {
		t.Fatal(err)
	}
	if got := rec.Header()["Vary"]; len(got) != 1 || got[0] != "Cookie,Accept-Encoding" {
		t.Errorf("Vary %q, want one field \"Cookie,Accept-Encoding\" as httpd sends", got)
	}
}
