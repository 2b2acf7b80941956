//go:build integration

// Differential test of what the client sees byte for byte that
// modjk_response_integration_test.go's parsed view hides: the status line
// (version and reason phrase), the spelling of header names, and repeated
// headers; and of the header names and values a member gets. The same
// bytes go through httpd + mod_jk and through jkbalancer.

package server

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// rawHeadPacket is SEND_HEADERS with status_msg msg (ajptest's
// SendHeaders always sends the digits, as Tomcat 9+ does).
func rawHeadPacket(status int, msg string, hs ...ajp.Header) []byte {
	str := func(p []byte, s string) []byte {
		p = append(p, byte(len(s)>>8), byte(len(s)))
		return append(append(p, s...), 0)
	}
	p := str([]byte{'A', 'B', 0, 0, 4, byte(status >> 8), byte(status)}, msg)
	p = append(p, byte(len(hs)>>8), byte(len(hs)))
	for _, h := range hs {
		if code := ajp.ResponseHeaderCode(h.Name); code != 0 {
			p = append(p, byte(code>>8), byte(code))
		} else {
			p = str(p, h.Name)
		}
		p = str(p, h.Value)
	}
	p[2], p[3] = byte((len(p)-4)>>8), byte(len(p)-4)
	return p
}

// okChunk is SEND_BODY_CHUNK "ok".
var okChunk = []byte{'A', 'B', 0, 6, 3, 0, 2, 'o', 'k', 0}

// headCases are the member's answers by path /h/<name>: status, status_msg
// and headers, then the body "ok".
var headCases = map[string]struct {
	status int
	msg    string
	hs     []ajp.Header
}{
	"tomcat":   {200, "200", nil},
	"fine":     {200, "Fine", nil},
	"empty":    {200, "", nil},
	"unknown":  {299, "", nil},
	"ctl":      {200, "Fi\x01ne", nil},
	"crlf":     {200, "A\r\nX-Injected: 1", nil},
	"del":      {404, "a\x7f", nil},
	"tab_utf8": {200, "a\tcaf\xc3\xa9", nil},
	"case": {401, "401", []ajp.Header{{Name: "WWW-Authenticate", Value: "Basic"}, {Name: "x-lower", Value: "1"},
		{Name: "X-UPPER", Value: "2"}, {Name: "X-Mixed-CASE", Value: "3"}, {Name: "content-type", Value: "Text/Plain; Charset=UTF-8"},
		{Name: "set-cookie", Value: "a=1"}}},
	"singletons": {200, "200", []ajp.Header{{Name: "Content-Type", Value: "text/a"}, {Name: "content-type", Value: "text/B"},
		{Name: "Location", Value: "/l1"}, {Name: "Location", Value: "/l2"},
		{Name: "Content-Language", Value: "ko"}, {Name: "Content-Language", Value: "en"},
		{Name: "ETag", Value: `"1"`}, {Name: "ETag", Value: `"2"`},
		{Name: "Date", Value: "Mon, 01 Jan 2024 00:00:00 GMT"},
		{Name: "Last-Modified", Value: "Tue, 02 Jan 2024 00:00:00 GMT"}, {Name: "Last-Modified", Value: "Mon, 01 Jan 2024 00:00:00 GMT"},
		{Name: "Expires", Value: "0"}, {Name: "Expires", Value: "1"}}},
}

// rawHeadView is the status line, the header lines that are not each
// front end's own (Date, Server, connection management, framing) sorted,
// and the body, of a response read to the end of the connection.
func rawHeadView(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, req)
	out, _ := io.ReadAll(c)
	head, body, _ := strings.Cut(string(out), "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	var fields []string
	for _, l := range lines[1:] {
		name, _, _ := strings.Cut(l, ":")
		switch strings.ToLower(name) {
		case "date", "server", "connection", "keep-alive", "content-length", "transfer-encoding":
			continue
		}
		fields = append(fields, l)
	}
	sort.Strings(fields)
	if strings.Contains(body, "<!DOCTYPE") {
		body = "(an error page)"
	}
	return fmt.Sprintf("%s\n%s\nbody %q", lines[0], strings.Join(fields, "\n"), body)
}

func TestModJKResponseHead(t *testing.T) {
	itRequireDeps(t, "httpd")
	m := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		c, ok := headCases[strings.TrimPrefix(r.URI, "/h/")]
		if !ok {
			w.SendHeaders(400)
			w.End(true)
			return
		}
		w.Raw(rawHeadPacket(c.status, c.msg, c.hs...))
		if r.Method != "HEAD" {
			w.Raw(okChunk)
		}
		w.End(true)
	})
	t.Cleanup(m.Close)
	h, j := itStartPair(t, m.Addr(), "")
	// known lists the deliberate differences (docs/differences.md), by
	// case: what mod_jk's client sees, then jkbalancer's.
	known := map[string][2]string{
		// httpd drops the reason, then finds no phrase for 299 and writes
		// "500 Internal Server Error" in the status line of a 299.
		"unknown_ctl": {"HTTP/1.1 500 Internal Server Error", "HTTP/1.1 299 Unknown Reason"},
	}
	headCases["unknown_ctl"] = struct {
		status int
		msg    string
		hs     []ajp.Header
	}{299, "a\x01", nil}
	var names []string
	for n := range headCases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, v := range []string{"GET /h/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "GET /h/%s HTTP/1.0\r\n\r\n",
			"HEAD /h/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"} {
			req := fmt.Sprintf(v, n)
			name := strings.Fields(req)[0] + "_" + n
			if strings.Contains(req, "HTTP/1.0") {
				name += "_http10"
			}
			t.Run(name, func(t *testing.T) {
				want, got := rawHeadView(t, h.addr, req), rawHeadView(t, j.addr, req)
				if k, ok := known[n]; ok {
					if !strings.HasPrefix(want, k[0]) {
						t.Errorf("the known difference %q is gone: drop it from the known list", k[0])
					}
					want = strings.Replace(want, k[0], k[1], 1)
				}
				if want != got {
					t.Errorf("%q:\nmod_jk:\n%s\njkbalancer:\n%s", req, want, got)
				}
			})
		}
	}
}

// TestModJKForwardedHead: the header fields a member gets (names as
// spelled, values, order), the server_name and port, or the refusal, for
// requests whose header fields httpd rewrites.
func TestModJKForwardedHead(t *testing.T) {
	itRequireDeps(t, "httpd")
	m := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s server_name %q port %d\n", r.Method, r.URI, r.ServerName, r.ServerPort)
		for _, h := range r.Headers {
			if !fwdHopByHop[strings.ToLower(h.Name)] {
				fmt.Fprintf(&b, "%q: %q\n", h.Name, h.Value)
			}
		}
		w.SendHeaders(200, ajp.Header{Name: "Content-Type", Value: "text/plain"})
		w.Write([]byte(b.String()))
		w.End(true)
	})
	t.Cleanup(m.Close)
	h, j := itStartPair(t, m.Addr(), "server_name: localhost\n")
	reqs := map[string]string{
		"repeated and cased fields": "GET /f HTTP/1.1\r\nhost: x\r\nx-lower: 1\r\nX-UPPER: 2\r\nX-Rep: a\r\nX-Rep: b\r\n" +
			"x-rep: c\r\nCookie: a=1\r\nCookie: b=2\r\nAccept: a\r\naccept: b\r\nX-E:\r\nX-E: z\r\nUser-Agent: u1\r\n" +
			"User-Agent: u2\r\nSet-Cookie: s\r\nSet-Cookie: t\r\nConnection: close\r\n\r\n",
		"Host with capitals and a dot": "GET /f HTTP/1.1\r\nHost: EXAMPLE.com.\r\nConnection: close\r\n\r\n",
		"Host with a port":             "GET /f HTTP/1.1\r\nHost: EXAMPLE.com.:8080\r\nConnection: close\r\n\r\n",
		"IPv6 Host":                    "GET /f HTTP/1.1\r\nHost: [::A]\r\nConnection: close\r\n\r\n",
		"IP Host with a dot":           "GET /f HTTP/1.1\r\nHost: 10.0.0.1.\r\nConnection: close\r\n\r\n",
		"Host with an empty label":     "GET /f HTTP/1.1\r\nHost: a..b\r\nConnection: close\r\n\r\n",
		"Host with an empty port":      "GET /f HTTP/1.1\r\nHost: a.b.:\r\nConnection: close\r\n\r\n",
		"Host of a dot":                "GET /f HTTP/1.1\r\nHost: .\r\nConnection: close\r\n\r\n",
		"absolute-form target":         "GET http://Abs.Example.:8080/f HTTP/1.1\r\nHost: other:9\r\nConnection: close\r\n\r\n",
		"absolute-form without a port": "GET http://Abs.Example/f HTTP/1.1\r\nHost: other:9\r\nConnection: close\r\n\r\n",
		"absolute-form bad name":       "GET http://a..b/f HTTP/1.1\r\nHost: other:9\r\nConnection: close\r\n\r\n",
		"two Content-Lengths":          "GET /f HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		"a field without a colon":      "GET /f HTTP/1.1\r\nHost: x\r\nBroken\r\nConnection: close\r\n\r\n",
		"CONNECT with a path":          "CONNECT /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"CONNECT *":                    "CONNECT * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"HTTP/1.0 without Host":        "GET /f HTTP/1.0\r\nUser-Agent: old\r\n\r\n",
	}
	// The status line only: the member's answer is its reason "200".
	port := regexp.MustCompile(`:\d+\b`)
	for name, req := range reqs {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			var views [2]string
			for i, addr := range []string{h.addr, j.addr} {
				v := rawHeadView(t, addr, req)
				views[i] = port.ReplaceAllString(strings.ReplaceAll(v, addr, "<proxy>"), ":<port>")
			}
			if views[0] != views[1] {
				t.Errorf("%q:\nmod_jk:\n%s\njkbalancer:\n%s", req, views[0], views[1])
			}
		})
	}
}
