//go:build integration

// Differential test of the response side (docs/compat.md#status-codes,
// docs/ajp13.md#framing): the same AJP response from a member must reach the
// client
// through jkbalancer as it does through httpd + mod_jk: status, the
// backend's headers, framing-independent body, and httpd's own error page
// where httpd replaces a bodiless error response.

package server

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// respScenario is one answer of the member: status, headers and body
// chunks (each chunk is followed by a flush packet when streamed).
type respScenario struct {
	status   int
	headers  []ajp.Header
	body     []string
	streamed bool
}

// respScenarios are the member's answers, selected by the request path
// /r/<name>.
var respScenarios = map[string]respScenario{
	"ok": {200, []ajp.Header{{Name: "Content-Type", Value: "text/plain;charset=UTF-8"},
		{Name: "Content-Length", Value: "6"}, {Name: "X-App", Value: "1"}}, []string{"hello\n"}, false},
	"streamed": {200, []ajp.Header{{Name: "Content-Type", Value: "text/plain"}},
		[]string{strings.Repeat("0", 5000), strings.Repeat("1", 5000), strings.Repeat("2", 5000)}, true},
	// Tomcat sends the length of the body it swallowed (docs/ajp13.md#edge-cases).
	"204_with_length": {204, []ajp.Header{{Name: "Content-Length", Value: "506"}, {Name: "X-App", Value: "1"}}, nil, false},
	"304_with_length": {304, []ajp.Header{{Name: "Content-Length", Value: "506"}, {Name: "ETag", Value: `"v1"`}}, nil, false},
	"302": {302, []ajp.Header{{Name: "Location", Value: "http://127.0.0.1/elsewhere"},
		{Name: "Content-Length", Value: "0"}}, nil, false},
	"404_empty": {404, []ajp.Header{{Name: "Content-Type", Value: "text/html"}, {Name: "X-App", Value: "1"},
		{Name: "Content-Length", Value: "0"}}, nil, false},
	"404_body": {404, []ajp.Header{{Name: "Content-Type", Value: "text/plain"}, {Name: "X-App", Value: "1"}},
		[]string{"app says not found\n"}, false},
	"500_empty":       {500, []ajp.Header{{Name: "X-App", Value: "1"}}, nil, false},
	"503_retry_after": {503, []ajp.Header{{Name: "Retry-After", Value: "120"}}, nil, false},
	"401_challenge": {401, []ajp.Header{{Name: "WWW-Authenticate", Value: `Basic realm="x"`},
		{Name: "X-App", Value: "1"}}, nil, false},
	"cookies_and_duplicates": {200, []ajp.Header{{Name: "Content-Type", Value: "text/plain"},
		{Name: "Set-Cookie", Value: "a=1; Path=/"}, {Name: "Set-Cookie", Value: "b=2"},
		{Name: "X-Dup", Value: "x"}, {Name: "X-Dup", Value: "y"},
		{Name: "Cache-Control", Value: "no-store"}, {Name: "Content-Language", Value: "ko"}}, []string{"ok"}, false},
	// A servlet that writes bytes without setContentType.
	"no_content_type": {200, []ajp.Header{{Name: "Content-Length", Value: "14"}}, []string{"<html>x</html>"}, false},
}

// serve answers like Tomcat: for HEAD no body chunks, but the length of
// a buffered body the app wrote.
func (sc respScenario) serve(w *ajptest.ResponseWriter, head bool) {
	hs := sc.headers
	n := 0
	for _, b := range sc.body {
		n += len(b)
	}
	hasCL := false
	for _, h := range hs {
		hasCL = hasCL || strings.EqualFold(h.Name, "Content-Length")
	}
	if head && !hasCL && !sc.streamed && n > 0 {
		hs = append(hs[:len(hs):len(hs)], ajp.Header{Name: "Content-Length", Value: strconv.Itoa(n)})
	}
	w.SendHeaders(sc.status, hs...)
	if head {
		return
	}
	for _, b := range sc.body {
		w.Write([]byte(b))
		if sc.streamed {
			w.Flush()
		}
	}
}

// respView is what a client can tell about one response, minus what
// legitimately differs between two front ends (Date, Server, connection
// management, and the framing: Content-Length vs chunked when the
// backend sent no length).
type respView struct {
	status  int
	headers string
	body    string
}

var respIgnored = map[string]bool{"Date": true, "Server": true, "Connection": true, "Keep-Alive": true,
	"Transfer-Encoding": true}

func viewResponse(r *itRawResp, errorPage bool) respView {
	var names []string
	for n := range r.header {
		if !respIgnored[n] && !(errorPage && (n == "Content-Length" || n == "Content-Type")) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var hs strings.Builder
	for _, n := range names {
		fmt.Fprintf(&hs, "%s: %s\n", n, strings.Join(r.header[n], " | "))
	}
	body := string(r.body)
	if errorPage {
		// The proxy's own error document: its exact text is each
		// front end's own.
		body = "(the proxy's error page)"
	}
	return respView{status: r.status, headers: hs.String(), body: body}
}

func isErrorPage(r *itRawResp) bool {
	return strings.HasPrefix(string(r.body), "<!DOCTYPE HTML PUBLIC") &&
		strings.Contains(string(r.body), "<title>"+strconv.Itoa(r.status)+" ")
}

func TestModJKResponse(t *testing.T) {
	itRequireDeps(t, "httpd")
	m := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		if sc, ok := respScenarios[strings.TrimPrefix(r.URI, "/r/")]; ok {
			sc.serve(w, r.Method == "HEAD")
		} else {
			w.SendHeaders(400)
		}
		w.End(true)
	})
	t.Cleanup(m.Close)
	h, j := itStartPair(t, m.Addr(), "")

	var names []string
	for n := range respScenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, method := range []string{"GET", "HEAD"} {
			t.Run(method+"_"+n, func(t *testing.T) {
				var views [2]respView
				var raw [2]*itRawResp
				for i, addr := range []string{h.addr, j.addr} {
					req := fmt.Sprintf("%s /r/%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", method, n, addr)
					r, err := itRawDo(addr, req)
					if err != nil {
						t.Fatalf("%s: %v", addr, err)
					}
					raw[i] = r
				}
				// mod_jk decides whether the answer is the proxy's error
				// page; jkbalancer must then answer with one too.
				ep := isErrorPage(raw[0])
				for i := range raw {
					views[i] = viewResponse(raw[i], ep && isErrorPage(raw[i]))
				}
				if ep && !isErrorPage(raw[1]) {
					views[1].body = "(not an error page) " + views[1].body
				}
				if views[0] != views[1] {
					t.Errorf("%s /r/%s: the client sees a different response than through mod_jk:\n"+
						"mod_jk:     %d\n%s%q\njkbalancer: %d\n%s%q", method, n,
						views[0].status, respIndent(views[0].headers), views[0].body,
						views[1].status, respIndent(views[1].headers), views[1].body)
				}
				if testing.Verbose() {
					t.Logf("mod_jk %d %q %q\njkbalancer %d %q %q", raw[0].status, raw[0].header, raw[0].body,
						raw[1].status, raw[1].header, raw[1].body)
				}
				if http.StatusText(raw[0].status) == "" {
					t.Errorf("odd status %d", raw[0].status)
				}
			})
		}
	}
}

func respIndent(s string) string {
	if s == "" {
		return "            (no compared headers)\n"
	}
	return "            " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n            ") + "\n"
}
