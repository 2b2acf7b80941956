package worker

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// headRecorder is a ResponseRecorder with the front end's headWriter
// methods, behind a wrapper that only offers Unwrap (like the access log
// writer).
type headRecorder struct {
	*httptest.ResponseRecorder
	reasons []string
	names   map[string]string
	order   []string // the keys in the order they were named
}

func (h *headRecorder) SetReason(reason string) { h.reasons = append(h.reasons, reason) }
func (h *headRecorder) SetFieldName(key, name string) {
	if _, ok := h.names[key]; !ok {
		h.names[key] = name
		h.order = append(h.order, key)
	}
}

type unwrapOnly struct{ http.ResponseWriter }

func (u unwrapOnly) Unwrap() http.ResponseWriter { return u.ResponseWriter }

func newHeadRecorder() *headRecorder {
	return &headRecorder{ResponseRecorder: httptest.NewRecorder(), names: map[string]string{}}
}

// rawHead is SEND_HEADERS with status_msg msg, as a non-Tomcat container
// (or an old Tomcat with a custom message) sends it.
func rawHead(status int, msg string, hs ...ajp.Header) []byte {
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

// TestAJPReasonAndSpellingReachTheFrontEnd: mod_jk hands httpd the
// member's status_msg as the reason phrase ("Unknown Reason" when empty
// for a status httpd has no phrase for), and httpd writes header names as
// the member spelled them.
func TestAJPReasonAndSpellingReachTheFrontEnd(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		switch r.URI {
		case "/fine":
			w.Raw(rawHead(200, "Fine", ajp.Header{Name: "WWW-Authenticate", Value: "Basic"},
				ajp.Header{Name: "x-lower", Value: "1"}, ajp.Header{Name: "X-Upper", Value: "2"},
				ajp.Header{Name: "content-length", Value: "0"}))
		case "/299":
			w.Raw(rawHead(299, "", ajp.Header{Name: "Content-Length", Value: "0"}))
		case "/299ctl":
			w.Raw(rawHead(299, "a\x01b", ajp.Header{Name: "Content-Length", Value: "0"}))
		case "/ctl":
			w.Raw(rawHead(200, "a\rb", ajp.Header{Name: "Content-Length", Value: "0"}))
		case "/empty":
			w.Raw(rawHead(200, "", ajp.Header{Name: "Content-Length", Value: "0"}))
		default:
			w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "0"}) // Tomcat: msg "200"
		}
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr()))
	for _, c := range []struct{ path, reason string }{{"/fine", "Fine"}, {"/299", "Unknown Reason"}, {"/tomcat", "200"},
		{"/299ctl", "Unknown Reason"}, {"/ctl", "OK"}, {"/empty", "OK"}} {
		rec := newHeadRecorder()
		if _, err := m.Forward(unwrapOnly{rec}, newReq("GET", c.path, ""), &Attempt{}); err != nil {
			t.Fatal(err)
		}
		if len(rec.reasons) != 1 || rec.reasons[0] != c.reason {
			t.Errorf("%s: reasons %q, want [%q]", c.path, rec.reasons, c.reason)
		}
		if c.path != "/fine" {
			continue
		}
		want := map[string]string{"Www-Authenticate": "WWW-Authenticate", "X-Lower": "x-lower"}
		for k, v := range want {
			if rec.names[k] != v || rec.Header().Get(k) == "" {
				t.Errorf("%s: spelled %q, want %q (names %q, header %v)", k, rec.names[k], v, rec.names, rec.Header())
			}
		}
		// httpd writes Content-Length itself, so in its own spelling,
		// in the member's place; every field keeps its place.
		if rec.names["X-Upper"] != "X-Upper" || rec.names["Content-Length"] != "Content-Length" {
			t.Errorf("a name httpd does not keep was respelled: %q", rec.names)
		}
		if got := strings.Join(rec.order, ","); got != "Www-Authenticate,X-Lower,X-Upper,Content-Length" {
			t.Errorf("fields named in the order %s, want the member's", got)
		}
	}
}

// TestHTTPMemberReasonReachesTheFrontEnd: mod_proxy_http passes the
// member's reason phrase on too, httpd keeps its header spelling, and
// only the first Content-Type goes out.
func TestHTTPMemberReasonReachesTheFrontEnd(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					line := map[string]string{"/fine": "HTTP/1.1 200 Fine", "/std": "HTTP/1.1 404 Not Found",
						"/none": "HTTP/1.1 200", "/ctl": "HTTP/1.1 200 a\x01b"}[req.URL.Path]
					c.Write([]byte(line + "\r\ncontent-length: 0\r\nWWW-Authenticate: B\r\nContent-Type: text/a\r\nContent-Type: text/B\r\nx-lower: 1\r\nX-Upper: 2\r\n\r\n"))
				}
			}()
		}
	}()
	m := newHTTPMember(t, httpSpec(t, ln.Addr().String()))
	for _, c := range []struct{ path, reason string }{{"/fine", "Fine"}, {"/std", "Not Found"}, {"/none", ""},
		{"/ctl", "OK"}} {
		rec := newHeadRecorder()
		if _, err := m.Forward(unwrapOnly{rec}, toRequest(t, httptest.NewRequest("GET", c.path, nil), 0), &Attempt{}); err != nil {
			t.Fatal(err)
		}
		if len(rec.reasons) != 1 || rec.reasons[0] != c.reason {
			t.Errorf("%s: reasons %q, want [%q]", c.path, rec.reasons, c.reason)
		}
		if rec.names["Www-Authenticate"] != "WWW-Authenticate" || rec.names["X-Lower"] != "x-lower" ||
			rec.names["X-Upper"] != "X-Upper" || rec.names["Content-Length"] != "Content-Length" {
			t.Errorf("%s: spellings %q", c.path, rec.names)
		}
		// The member's order, Content-Type in its place too, as
		// mod_proxy_http copies it with the others.
		if got := strings.Join(rec.order, ","); got != "Content-Length,Www-Authenticate,Content-Type,X-Lower,X-Upper" {
			t.Errorf("%s: fields named in the order %s, want the member's", c.path, got)
		}
		if ct := rec.Header()["Content-Type"]; len(ct) != 1 || ct[0] != "text/a" {
			t.Errorf("%s: Content-Type %q, want the first one only, as through mod_proxy_http", c.path, ct)
		}
	}
	if !strings.HasPrefix(statusReason([]byte("HTTP/1.1 404 Not Found"), 404), "Not") {
		t.Error("statusReason")
	}
}

// TestAJPSingletonHeadersLikeModJK: mod_jk sets Content-Type, Location
// and Content-Length (the last one wins; the media type lowercased by
// ap_content_type_tolower), Last-Modified keeps the latest date, and
// httpd writes its own Date; other repeated headers all pass.
func TestAJPSingletonHeadersLikeModJK(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200, ajp.Header{Name: "Content-Type", Value: "text/a"},
			ajp.Header{Name: "content-type", Value: "Text/B; Charset=UTF-8"},
			ajp.Header{Name: "Location", Value: "/l1"}, ajp.Header{Name: "Location", Value: "/l2"},
			ajp.Header{Name: "Last-Modified", Value: "Tue, 02 Jan 2024 00:00:00 GMT"},
			ajp.Header{Name: "Last-Modified", Value: "Mon, 01 Jan 2024 00:00:00 GMT"},
			ajp.Header{Name: "Last-Modified", Value: "garbage"},
			ajp.Header{Name: "Date", Value: "Mon, 01 Jan 2024 00:00:00 GMT"},
			ajp.Header{Name: "ETag", Value: `"1"`}, ajp.Header{Name: "ETag", Value: `"2"`},
			ajp.Header{Name: "Content-Length", Value: "9"}, ajp.Header{Name: "Content-Length", Value: "2"})
		w.Write([]byte("ok"))
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr()))
	rec := newHeadRecorder()
	if _, err := m.Forward(unwrapOnly{rec}, newReq("GET", "/", ""), &Attempt{}); err != nil {
		t.Fatal(err)
	}
	h := rec.Header()
	for k, want := range map[string]string{"Content-Type": "text/b; Charset=UTF-8", "Location": "/l2",
		"Last-Modified": "Tue, 02 Jan 2024 00:00:00 GMT", "Etag": `"1" | "2"`, "Content-Length": "2", "Date": ""} {
		if got := strings.Join(h[k], " | "); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if rec.names["Content-Type"] != "" {
		t.Errorf("Content-Type respelled %q: httpd writes it itself", rec.names["Content-Type"])
	}
	if n := testing.AllocsPerRun(100, func() { lowerMediaType("text/html; charset=UTF-8") }); n != 0 {
		t.Errorf("a lowercase media type allocates %v times", n)
	}
}
