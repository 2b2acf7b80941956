//go:build integration

// The security regressions of docs/hardening.md#known-mod_jk-weaknesses where what matters is
// what a real Tomcat 10 does with what the proxy sends it; the unit
// tests (hardening*_test.go) cover the rest with in-process members.
// Where httpd + mod_jk is the reference, the same requests go through it
// too.

package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tcHits is the number of requests headers.jsp served on both Tomcats.
func tcHits(t *testing.T, tcs []*itTomcat) int {
	t.Helper()
	total := 0
	for _, tc := range tcs {
		resp, err := http.Get(tc.httpURL("/hits.jsp"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("hits.jsp: %q", b)
		}
		total += n
	}
	return total
}

func mustRaw(t *testing.T, addr, req string) *itRawResp {
	t.Helper()
	r, err := itRawDo(addr, req)
	if err != nil {
		t.Fatalf("%s: %.60q: %v", addr, req, err)
	}
	return r
}

// TestTomcatHardeningDoubleDecoding (CVE-2007-1860): "%252e%252e" is a
// directory named "%2e%2e" to Tomcat, never "..": headers.jsp is not run
// through it, with jkbalancer as with mod_jk. The single-encoded form is
// normalised before matching and reaches headers.jsp, which shows the
// hit counter sees what gets through. With +ForwardURICompat (the
// decoded URI, mod_jk's unsafe pre-1.2.23 default) Tomcat decodes again.
func TestTomcatHardeningDoubleDecoding(t *testing.T) {
	tcs := itTomcats(t)
	spec := itSpec{workers: tcWorkers(tcs, "R"), jkMounts: tcMounts}
	h := itStartHTTPD(t, spec)
	j := itStartJKB(t, spec, "")
	for _, p := range []struct{ name, addr string }{{"mod_jk", h.addr}, {"jkbalancer", j.addr}} {
		before := tcHits(t, tcs)
		r := mustRaw(t, p.addr, "GET /x/%252e%252e/headers.jsp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if r.status == 200 || tcHits(t, tcs) != before {
			t.Errorf("%s: /x/%%252e%%252e/headers.jsp: status %d, headers.jsp ran %d times", p.name, r.status, tcHits(t, tcs)-before)
		}
		r = mustRaw(t, p.addr, "GET /x/%2e%2e/headers.jsp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if r.status != 200 || tcHits(t, tcs) != before+1 {
			t.Errorf("%s: /x/%%2e%%2e/headers.jsp: status %d, headers.jsp ran %d times; want 200, once", p.name, r.status, tcHits(t, tcs)-before)
		}
	}
	// The control: forwarding the decoded URI lets Tomcat decode again,
	// so the check above can see a double decoding when there is one.
	unsafe := itStartJKB(t, spec, "options: \"+ForwardURICompat\"\n")
	before := tcHits(t, tcs)
	r := mustRaw(t, unsafe.addr, "GET /x/%252e%252e/headers.jsp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if r.status != 200 || tcHits(t, tcs) != before+1 {
		t.Errorf("control, +ForwardURICompat: status %d, headers.jsp ran %d times; want 200, once (Tomcat decoding again)",
			r.status, tcHits(t, tcs)-before)
	}
}

// TestTomcatHardeningGhostcat (CVE-2020-1938): headers and a query named
// like request attributes stay headers and parameters; Tomcat (which
// refuses unknown attributes with 403 here) sees none of them as an
// attribute, and the real remote port.
func TestTomcatHardeningGhostcat(t *testing.T) {
	tcs := itTomcats(t)
	j := itStartJKB(t, itSpec{workers: tcWorkers(tcs, "R"), jkMounts: tcMounts}, "")
	names := []string{"javax.servlet.include.request_uri", "jakarta.servlet.include.request_uri",
		"jakarta.servlet.include.servlet_path", "javax.servlet.include.path_info", "AJP_REMOTE_PORT", "SITE"}
	var req strings.Builder
	req.WriteString("GET /attrs.jsp?")
	for _, n := range names {
		fmt.Fprintf(&req, "a=%s&%s=/WEB-INF/web.xml&", n, n)
	}
	req.WriteString(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n")
	for _, n := range names {
		fmt.Fprintf(&req, "%s: /WEB-INF/web.xml\r\n", n)
	}
	req.WriteString("\r\n")
	r := mustRaw(t, j.addr, req.String())
	kv := tcKV(string(r.body))
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	for _, n := range names {
		if v := kv["attr."+n]; v != "null" {
			t.Errorf("attribute %s = %q: a client turned a header or parameter into a request attribute", n, v)
		}
	}
	if p := kv["remotePort"]; p == "" || p == "0" || strings.Contains(p, "WEB-INF") {
		t.Errorf("remotePort %q", p)
	}
	if r := mustRaw(t, j.addr, "GET /WEB-INF/web.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); r.status != 404 {
		t.Errorf("/WEB-INF/web.xml: %d", r.status)
	}
}

// TestTomcatHardeningHalfBodyNeverMixes (CVE-2008-5519): with a pool of
// one connection per member, clients that announce 20000 bytes and send
// 9000 (then close, or stall past read_body_timeout) alternate with
// clients that send their whole body. Every whole body reaches Tomcat
// intact and alone: the connection that carried half a request is never
// used again.
func TestTomcatHardeningHalfBodyNeverMixes(t *testing.T) {
	tcs := itTomcats(t)
	workers := fmt.Sprintf("worker.list=tc1\nworker.tc1.type=ajp13\nworker.tc1.host=127.0.0.1\nworker.tc1.port=%d\n"+
		"worker.tc1.secret=%s\nworker.tc1.connection_pool_size=1\nworker.tc1.ping_mode=CI\n", tcs[0].ajpPort, itSecret)
	j := itStartJKB(t, itSpec{workers: workers, jkMounts: []string{"/* tc1"}}, "limits: {read_body_timeout: 500ms}\n")
	for i := 0; i < 6; i++ {
		stall := i%2 == 1
		c, err := net.DialTimeout("tcp", j.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		fmt.Fprintf(c, "POST /echo.jsp HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n%s", strings.Repeat("A", 9000))
		if !stall {
			c.(*net.TCPConn).CloseWrite()
		}
		res := readResponses(c)
		c.Close()
		if len(res.statuses) > 1 || len(res.statuses) == 1 && res.statuses[0] != 400 {
			t.Errorf("half body %d (stall %v): %v, want 400 or a close", i, stall, res.statuses)
		}
		body := fmt.Sprintf("whole-body-%d", i)
		r := mustRaw(t, j.addr, fmt.Sprintf("POST /echo.jsp?body HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body))
		kv := tcKV(string(r.body))
		if r.status != 200 || kv["len"] != strconv.Itoa(len(body)) || kv["body"] != body {
			t.Fatalf("whole body %d after a half one: status %d, Tomcat read %q bytes: %q", i, r.status, kv["len"], kv["body"])
		}
	}
}

// TestTomcatHardeningSmuggling: the request hidden behind Content-Length
// with Transfer-Encoding never runs on Tomcat.
func TestTomcatHardeningSmuggling(t *testing.T) {
	tcs := itTomcats(t)
	j := itStartJKB(t, itSpec{workers: tcWorkers(tcs, "R"), jkMounts: tcMounts}, "")
	before := tcHits(t, tcs)
	c, err := net.DialTimeout("tcp", j.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, "POST /echo.jsp HTTP/1.1\r\nHost: x\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"+
		"GET /headers.jsp HTTP/1.1\r\nHost: x\r\n\r\n")
	res := readResponses(c)
	if len(res.statuses) != 1 || res.statuses[0] != 400 || !res.closed || tcHits(t, tcs) != before {
		t.Errorf("responses %v closed %v, headers.jsp ran %d times", res.statuses, res.closed, tcHits(t, tcs)-before)
	}
}

// TestModJKHardeningURIStatuses: long URIs get mod_jk's statuses (in
// front of the same Tomcats): 414 over httpd's LimitRequestLine, 413 when
// the AJP request would not fit max_packet_size. A path over 4095 bytes
// is not mapped by either (mod_jk's CVE-2007-0774 bound): Tomcat never
// sees it; httpd then answers from its document root (403 or 404 by the
// file system), jkbalancer, which has none, 404.
func TestModJKHardeningURIStatuses(t *testing.T) {
	tcs := itTomcats(t)
	spec := itSpec{workers: tcWorkers(tcs, "R"), jkMounts: tcMounts}
	h := itStartHTTPD(t, spec)
	j := itStartJKB(t, spec, "")
	seg := strings.Repeat("abcdefgh/", 1000)
	for _, c := range []struct {
		name, target string
		modjk, jkb   int // 0: any status but 200
	}{
		{"request line over 8190", "/" + seg[:8190], 414, 414},
		{"query past the AJP packet", "/headers.jsp?" + strings.Repeat("q", 8100), 413, 413},
		{"path over 4095: not mapped", "/" + seg[:4194] + "headers.jsp", 0, 404},
		{"path of 4000: mapped", "/" + seg[:3996] + "headers.jsp", 404, 404},
	} {
		req := "GET " + c.target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
		before := tcHits(t, tcs)
		rm, rj := mustRaw(t, h.addr, req), mustRaw(t, j.addr, req)
		okM := rm.status == c.modjk || c.modjk == 0 && rm.status != 200
		if !okM || rj.status != c.jkb || tcHits(t, tcs) != before {
			t.Errorf("%s: mod_jk %d, jkbalancer %d (want %d), headers.jsp ran %d times", c.name, rm.status, rj.status, c.jkb,
				tcHits(t, tcs)-before)
		}
	}
}
