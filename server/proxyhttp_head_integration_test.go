//go:build integration

// Differential test of the head details of an HTTP member's exchange:
// httpd + mod_proxy_http (ProxyPreserveHost On) and jkbalancer, with the
// configuration imported from the same httpd.conf, in front of the same
// raw HTTP member. The client must see the same status line and header
// lines, and the member the same request fields.

package server

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
)

// headMember answers /dup with a response whose reason phrase, header
// spelling and repeated headers a proxy may rewrite, and anything else
// with the request head it got (minus what each proxy adds of its own).
func headMember(t *testing.T) string {
	own := regexp.MustCompile(`(?i)^(x-forwarded-[a-z]+|connection): `)
	return rawHeadServer(t, func(c net.Conn, raw string) {
		var head strings.Builder
		for _, line := range strings.SplitAfter(raw, "\n") {
			if line != "\r\n" && !own.MatchString(line) {
				head.WriteString(line)
			}
		}
		for name, line := range map[string]string{"299": "HTTP/1.1 299", "299_": "HTTP/1.1 299 ", "200_": "HTTP/1.1 200 ",
			"200": "HTTP/1.1 200", "ctl": "HTTP/1.1 200 a\x01b", "299ctl": "HTTP/1.1 299 a\x01b", "tab": "HTTP/1.1 200 a\tb"} {
			if strings.HasPrefix(head.String(), "GET /status/"+name+" ") {
				fmt.Fprint(c, line+"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
				return
			}
		}
		if strings.HasPrefix(head.String(), "GET /dup ") {
			fmt.Fprint(c, "HTTP/1.1 200 Fine\r\nContent-Type: text/a\r\ncontent-type: Text/B\r\nLocation: /l1\r\n"+
				"Location: /l2\r\nx-lower: 1\r\nWWW-Authenticate: B\r\nX-Rep: 1\r\nX-Rep: 2\r\n"+
				"Content-Length: 2\r\nConnection: close\r\n\r\nok")
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", head.Len(), head.String())
	})
}

func TestProxyHTTPHead(t *testing.T) {
	addr := headMember(t)
	h, conf := pbStartHTTPD(t, "ProxyPass / http://"+addr+"/\nProxyPreserveHost On\n")
	j := pbStartJKB(t, conf)
	// known: the deliberate differences (docs/differences.md), what
	// mod_proxy_http's client sees and then jkbalancer's.
	known := map[string][2]string{
		"299 with a control byte": {"HTTP/1.1 500 Internal Server Error", "HTTP/1.1 299 Unknown Reason"},
	}
	for name, req := range map[string]string{
		"response head":             "GET /dup HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"response head to HTTP/1.0": "GET /dup HTTP/1.0\r\n\r\n",
		"299 without a reason":      "GET /status/299 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"299 with an empty reason":  "GET /status/299_ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"200 with an empty reason":  "GET /status/200_ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"200 without a reason":      "GET /status/200 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"299 with a control byte":   "GET /status/299ctl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"200 with a tab":            "GET /status/tab HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"200 with a control byte":   "GET /status/ctl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"request fields": "GET /echo HTTP/1.1\r\nhost: x\r\nx-lower: 1\r\nX-Rep: a\r\nx-rep: b\r\nCookie: a=1\r\n" +
			"Cookie: b=2\r\nX-E:\r\nX-E: z\r\nConnection: close\r\n\r\n",
	} {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			want, got := rawHeadView(t, h.addr, req), rawHeadView(t, j.addr, req)
			if k, ok := known[name]; ok {
				if !strings.HasPrefix(want, k[0]) {
					t.Errorf("the known difference %q is gone: drop it from the known list", k[0])
				}
				want = strings.Replace(want, k[0], k[1], 1)
			}
			if want != got {
				t.Errorf("%q:\nmod_proxy_http:\n%s\njkbalancer:\n%s", req, want, got)
			}
		})
	}
}
