//go:build integration

package server

import (
	"bufio"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestModJKResponseHeadOrder: the fields of a response head, in order,
// through httpd + mod_jk and through jkbalancer (with idle_timeout 5s,
// httpd's KeepAliveTimeout): Date first, the member's fields in the
// member's order, Keep-Alive and Connection for a client that asked for
// keep-alive (HTTP/1.0 or 1.1), Content-Type last. httpd's own Server
// field is left out (docs/differences.md), and Date's value. A repeated
// field's occurrences are adjacent here: jkbalancer writes them together
// at the first one's place, where httpd keeps an interleaved field's
// occurrences apart (X-A, Set-Cookie, X-B, Set-Cookie).
func TestModJKResponseHeadOrder(t *testing.T) {
	itRequireDeps(t, "httpd")
	m := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		w.SendHeaders(200, ajp.Header{Name: "X-B", Value: "1"}, ajp.Header{Name: "Content-Type", Value: "text/plain"},
			ajp.Header{Name: "Content-Length", Value: "2"}, ajp.Header{Name: "X-A", Value: "2"},
			ajp.Header{Name: "Set-Cookie", Value: "a=1"}, ajp.Header{Name: "Set-Cookie", Value: "b=2"},
			ajp.Header{Name: "X-C", Value: "3"})
		w.Write([]byte("ok"))
		w.End(true)
	})
	t.Cleanup(m.Close)
	h, j := itStartPair(t, m.Addr(), "limits:\n  idle_timeout: 5s\n")
	reqs := []string{
		"GET /a HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
		"GET /b HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
		"GET /c HTTP/1.1\r\nHost: x\r\n\r\n",
	}
	want, got := itHeadFields(t, h.addr, reqs), itHeadFields(t, j.addr, reqs)
	for i := range reqs {
		if want[i] != got[i] {
			t.Errorf("%q:\n  httpd + mod_jk: %s\n  jkbalancer:     %s", reqs[i], want[i], got[i])
		}
	}
}

// itHeadFields sends reqs on one connection (each answered with a
// 2-byte body) and returns each response's fields as one line, Server
// left out and Date's value blanked.
func itHeadFields(t *testing.T, addr string, reqs []string) []string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	var out []string
	for _, r := range reqs {
		io.WriteString(c, r)
		var fields []string
		for range 100 {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v", addr, err)
			}
			l = strings.TrimRight(l, "\r\n")
			if l == "" {
				break
			}
			switch {
			case strings.HasPrefix(l, "Server:"):
			case strings.HasPrefix(l, "Date:"):
				fields = append(fields, "Date")
			default:
				fields = append(fields, l)
			}
		}
		if _, err := io.CopyN(io.Discard, br, 2); err != nil {
			t.Fatalf("%s: body: %v", addr, err)
		}
		out = append(out, strings.Join(fields, " | "))
	}
	return out
}

// TestProxyHTTPResponseHeadOrder: the same through httpd +
// mod_proxy_http for an HTTP member (headMember's /dup: repeated fields,
// spellings, a second Content-Type), where Content-Type keeps the
// member's place. Keep-Alive's value is left out: this httpd has
// MaxKeepAliveRequests 100 (max=) and the import does not carry
// KeepAliveTimeout over to idle_timeout.
func TestProxyHTTPResponseHeadOrder(t *testing.T) {
	addr := headMember(t)
	h, conf := pbStartHTTPD(t, "ProxyPass / http://"+addr+"/\nProxyPreserveHost On\n")
	j := pbStartJKB(t, conf)
	reqs := []string{"GET /dup HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"}
	want, got := itHeadFields(t, h.addr, reqs), itHeadFields(t, j.addr, reqs)
	ka := regexp.MustCompile(`Keep-Alive: [^|]*`)
	want[0], got[0] = ka.ReplaceAllString(want[0], "Keep-Alive "), ka.ReplaceAllString(got[0], "Keep-Alive ")
	if want[0] != got[0] {
		t.Errorf("mod_proxy_http: %s\njkbalancer:     %s", want[0], got[0])
	}
}
