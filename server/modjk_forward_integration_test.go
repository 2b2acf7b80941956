//go:build integration

// Differential test of the FORWARD_REQUEST itself (docs/compat.md#forwarding-a-request):
// the same client bytes sent through httpd + mod_jk and through
// jkbalancer must reach the member as the same AJP request: method,
// protocol, URI, addresses, server name and port, headers in order, query,
// route and the request attributes, and the body.

package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// fwdDump renders everything a member learns from one forward request,
// one field per line.
func fwdDump(r *ajptest.Request, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "method %q\nprotocol %q\nuri %q\nremote_addr %q\nremote_host %q\nserver_name %q\nserver_port %d\nis_ssl %v\n",
		r.Method, r.Protocol, r.URI, r.RemoteAddr, r.RemoteHost, r.ServerName, r.ServerPort, r.IsSSL)
	// Headers by name. The order of different names is not compared (Go's
	// server does not keep it, and it carries no meaning); repeated
	// headers are compared comma-joined, which HTTP defines as equivalent
	// (RFC 9110 5.3; both merge them into one: modjk_head_integration_test.go
	// compares the exact names, values and order).
	// Hop-by-hop headers are left out: jkbalancer drops them on purpose
	// (RFC 9110 7.6.1), mod_jk forwards what httpd kept.
	var names []string
	vals := map[string][]string{}
	for _, h := range r.Headers {
		n := strings.ToLower(h.Name)
		if fwdHopByHop[n] {
			continue
		}
		if vals[n] == nil {
			names = append(names, n)
		}
		vals[n] = append(vals[n], h.Value)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "header %q: %q\n", n, strings.Join(vals[n], ", "))
	}
	fmt.Fprintf(&b, "query %q (sent=%v)\nroute %q\nsecret %q\nremote_user %q\nauth_type %q\n",
		r.QueryString, r.HasQuery, r.Route, r.Secret, r.RemoteUser, r.AuthType)
	port := "absent"
	if r.RemotePort != "" {
		if _, err := strconv.Atoi(r.RemotePort); err == nil {
			port = "<a port number>"
		} else {
			port = strconv.Quote(r.RemotePort)
		}
	}
	fmt.Fprintf(&b, "AJP_REMOTE_PORT %s\nAJP_LOCAL_ADDR %q\nJK_LB_ACTIVATION %q\nssl_key_size %d\n",
		port, r.LocalAddr, r.Activation, r.SSLKeySize)
	for _, a := range r.Attributes {
		fmt.Fprintf(&b, "attribute %q=%q\n", a.Name, a.Value)
	}
	sum := sha256.Sum256(body)
	fmt.Fprintf(&b, "body %d bytes sha256 %s\n", len(body), hex.EncodeToString(sum[:8]))
	return b.String()
}

// fwdHopByHop leaves Transfer-Encoding in the comparison: over AJP it is
// not hop-by-hop, Tomcat needs "chunked" to read a form of unknown length.
var fwdHopByHop = map[string]bool{"connection": true, "keep-alive": true, "proxy-connection": true, "te": true,
	"trailer": true, "upgrade": true}

func TestModJKForwardRequest(t *testing.T) {
	itRequireDeps(t, "httpd")
	m := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.CloseConn()
			return
		}
		dump := fwdDump(r, body)
		w.SendHeaders(200, ajp.Header{Name: "Content-Type", Value: "text/plain"},
			ajp.Header{Name: "Content-Length", Value: strconv.Itoa(len(dump))})
		w.Write([]byte(dump))
		w.End(true)
	})
	t.Cleanup(m.Close)
	port := strings.TrimPrefix(m.Addr(), "127.0.0.1:")
	workers := fmt.Sprintf(`worker.list=lb
worker.t1.type=ajp13
worker.t1.host=127.0.0.1
worker.t1.port=%s
worker.t1.secret=s3cret
worker.lb.type=lb
worker.lb.balance_workers=t1
`, port)
	spec := itSpec{workers: workers}
	h := itStartHTTPD(t, spec)
	// httpd's ServerName is localhost: the name used without a Host header.
	j := itStartJKB(t, spec, "server_name: localhost\n")

	chunked := "POST /f/chunked HTTP/1.1\r\nHost: {{HOST}}\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n" +
		"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n"
	// known lists the deliberate differences from mod_jk, by case name: a
	// line only jkbalancer sends, with the reason it is accepted.
	// (Go's net/http used to add Cache-Control: no-cache to a request with
	// Pragma: no-cache alone; server/h1 forwards what the client sent.)
	known := map[string]string{}
	reqs := []struct{ name, raw string }{
		{"GET with query and headers", "GET /f/a?x=1&y=%20z&x=2 HTTP/1.1\r\nHost: {{HOST}}\r\nUser-Agent: probe/1\r\n" +
			"Accept: */*\r\nAccept-Language: en\r\nX-Custom: v1\r\nX-Custom: v2\r\nCookie: a=1\r\nCookie: b=2\r\n" +
			"Referer: http://x/\r\nX-Empty:\r\n\r\n"},
		{"header name case", "GET /f/case HTTP/1.1\r\nhost: {{HOST}}\r\nACCEPT-charset: utf-8\r\nx-lower: 1\r\nX-UPPER: 2\r\n" +
			"content-type: text/x\r\nAuthorization: Basic Zm9vOmJhcg==\r\n\r\n"},
		{"Pragma no-cache", "GET /f/pragma HTTP/1.1\r\nHost: {{HOST}}\r\nPragma: no-cache\r\n\r\n"},
		{"Expect 100-continue", "POST /f/expect HTTP/1.1\r\nHost: {{HOST}}\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody"},
		{"POST with Content-Length", "POST /f/p HTTP/1.1\r\nHost: {{HOST}}\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
			"Content-Length: 12\r\n\r\na=1&b=%C3%A9"},
		{"POST chunked", chunked},
		{"POST empty body", "POST /f/empty HTTP/1.1\r\nHost: {{HOST}}\r\nContent-Length: 0\r\n\r\n"},
		{"HEAD", "HEAD /f/h HTTP/1.1\r\nHost: {{HOST}}\r\n\r\n"},
		{"OPTIONS", "OPTIONS /f/o HTTP/1.1\r\nHost: {{HOST}}\r\n\r\n"},
		{"DELETE", "DELETE /f/d HTTP/1.1\r\nHost: {{HOST}}\r\n\r\n"},
		{"PATCH with body", "PATCH /f/patch HTTP/1.1\r\nHost: {{HOST}}\r\nContent-Length: 3\r\n\r\nabc"},
		{"PROPFIND", "PROPFIND /f/dav HTTP/1.1\r\nHost: {{HOST}}\r\nDepth: 1\r\n\r\n"},
		{"unknown method FOO", "FOO /f/foo HTTP/1.1\r\nHost: {{HOST}}\r\n\r\n"},
		{"encoded path", "GET /f/%7Euser/a%20b/%C3%A9/x+y/%25/a;p=1 HTTP/1.1\r\nHost: {{HOST}}\r\n\r\n"},
		{"reserved characters in the path", "GET /f/!$&'()*,;=:@/x HTTP/1.1\r\nHost: {{HOST}}\r\n\r\n"},
		{"jsessionid path parameter", "GET /f/s;jsessionid=ABC.t1?q=1 HTTP/1.1\r\nHost: {{HOST}}\r\n\r\n"},
		{"empty query", "GET /f/q? HTTP/1.1\r\nHost: {{HOST}}\r\n\r\n"},
		{"raw query bytes", "GET /f/q?a=%zz&b=\"x\"&c=<d> HTTP/1.1\r\nHost: {{HOST}}\r\n\r\n"},
		{"other Host name and port", "GET /f/vhost HTTP/1.1\r\nHost: www.example.com:8080\r\n\r\n"},
		{"Host without port", "GET /f/vhost HTTP/1.1\r\nHost: www.example.com\r\n\r\n"},
		{"HTTP/1.0 without Host", "GET /f/old HTTP/1.0\r\n\r\n"},
		{"absolute-form target", "GET http://www.example.com/f/abs?z=1 HTTP/1.1\r\nHost: www.example.com\r\n\r\n"},
	}
	for _, rq := range reqs {
		t.Run(strings.ReplaceAll(rq.name, " ", "_"), func(t *testing.T) {
			var dumps [2]string
			for i, addr := range []string{h.addr, j.addr} {
				raw := strings.ReplaceAll(rq.raw, "{{HOST}}", addr)
				r, err := itRawDo(addr, raw)
				if err != nil {
					t.Fatalf("%s: %v", addr, err)
				}
				_, p, _ := strings.Cut(addr, ":")
				d := fmt.Sprintf("status %d\n%s", r.status, r.body)
				// Whole numbers only: the port's digits can also occur
				// inside the body's hex digest.
				dumps[i] = regexp.MustCompile(`\b`+p+`\b`).ReplaceAllString(d, "<proxy port>")
			}
			if extra, ok := known[rq.name]; ok {
				without := strings.Replace(dumps[1], extra+"\n", "", 1)
				if without == dumps[1] {
					t.Errorf("the known difference %q is gone: drop it from the known list", extra)
				}
				dumps[1] = without
			}
			if dumps[0] != dumps[1] {
				t.Errorf("the forward request differs from mod_jk's:\n%s", lineDiff(dumps[0], dumps[1]))
			} else if testing.Verbose() {
				t.Logf("both:\n%s", dumps[0])
			}
		})
	}
}

// lineDiff shows two dumps as a line diff (longest common subsequence):
// "-" lines only mod_jk's request had, "+" lines only jkbalancer's.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	// lcs[i][j] = length of the LCS of al[i:] and bl[j:]
	lcs := make([][]int, len(al)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(bl)+1)
	}
	for i := len(al) - 1; i >= 0; i-- {
		for j := len(bl) - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var sb strings.Builder
	i, j := 0, 0
	for i < len(al) || j < len(bl) {
		switch {
		case i < len(al) && j < len(bl) && al[i] == bl[j]:
			fmt.Fprintf(&sb, "      %s\n", al[i])
			i, j = i+1, j+1
		case j < len(bl) && (i == len(al) || lcs[i][j+1] >= lcs[i+1][j]):
			fmt.Fprintf(&sb, "    + %s   (jkbalancer only)\n", bl[j])
			j++
		default:
			fmt.Fprintf(&sb, "    - %s   (mod_jk only)\n", al[i])
			i++
		}
	}
	return sb.String()
}
