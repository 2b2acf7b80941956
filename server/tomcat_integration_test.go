//go:build integration

// Integration tests against two real Tomcat 10 instances (tc1, tc2) over
// AJP with the secret, through an in-process jkbalancer. The webapp is
// testdata/tomcat/ROOT; every JSP echoes what the servlet API saw, so the
// assertions are about what really reached the application.

package server

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tcWorkers is the workers.properties of these tests (the seed's
// recommended setup, as in the brief).
func tcWorkers(tcs []*itTomcat, method string) string {
	return fmt.Sprintf(`worker.list=lb,status
worker.template.type=ajp13
worker.template.host=127.0.0.1
worker.template.secret=%s
worker.template.ping_mode=CI
worker.template.ping_timeout=1000
worker.tc1.reference=worker.template
worker.tc1.port=%d
worker.tc2.reference=worker.template
worker.tc2.port=%d
worker.lb.type=lb
worker.lb.method=%s
worker.lb.balance_workers=tc1,tc2
worker.status.type=status
`, itSecret, tcs[0].ajpPort, tcs[1].ajpPort, method)
}

var tcMounts = []string{"/* lb", "/jk-status status"}

// tcKV parses the "key=value" lines (or space-separated pairs) a JSP prints.
func tcKV(body string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(body, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[strings.TrimSpace(k)] = v
		}
	}
	return m
}

// tcFields parses session.jsp's single line "k=v k=v ...".
func tcFields(body string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(body) {
		if k, v, ok := strings.Cut(f, "="); ok {
			m[k] = v
		}
	}
	return m
}

type tcClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newTCClient(t *testing.T, addr string, jar http.CookieJar) *tcClient {
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return &tcClient{t: t, base: "http://" + addr, c: &http.Client{Transport: tr, Jar: jar, Timeout: 60 * time.Second}}
}

// with returns a copy of c that reports to t (each subtest its own).
func (c *tcClient) with(t *testing.T) *tcClient {
	d := *c
	d.t = t
	return &d
}

// do sends one request and returns the response with its body read.
func (c *tcClient) do(method, path string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, b
}

func tcWantStatus(t *testing.T, what string, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d, want %d; body:\n%.500s", what, resp.StatusCode, want, body)
	}
}

func tcWantKV(t *testing.T, what string, m map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s: %s=%q, want %q (all: %v)", what, k, got, v, m)
		}
	}
}

// TestTomcat runs the request-level checks through jkbalancer in front of
// tc1 and tc2, and the same checks through httpd + mod_jk with the same
// workers.properties: the mod_jk run proves that every expectation here is
// what the reference does (a failure only under mod_jk means the test's
// expectation is wrong, not jkbalancer).
func TestTomcat(t *testing.T) {
	tcs := itTomcats(t)
	spec := itSpec{workers: tcWorkers(tcs, "R"), jkMounts: tcMounts}
	t.Run("jkbalancer", func(t *testing.T) {
		j := itStartJKB(t, spec, "")
		tcChecks(t, tcs, j.addr, j.logs)
	})
	t.Run("mod_jk", func(t *testing.T) {
		h := itStartHTTPD(t, spec)
		tcChecks(t, tcs, h.addr, h.logs)
	})
}

func tcChecks(t *testing.T, tcs []*itTomcat, addr string, logs func() string) {
	c := newTCClient(t, addr, nil)
	defer func() {
		if t.Failed() {
			t.Logf("proxy log:\n%s\n%s\n%s", logs(),
				itTail(tcs[0].base+"/logs/catalina.out", 15), itTail(tcs[1].base+"/logs/catalina.out", 15))
		}
	}()

	t.Run("GET", func(t *testing.T) {
		c := c.with(t)
		resp, body := c.do("GET", "/session.jsp?echo=hello", nil)
		tcWantStatus(t, "GET /session.jsp", resp, body, 200)
		m := tcFields(string(body))
		// len=0: like mod_jk, a request without a body is forwarded with
		// "content-length: 0" (docs/compat.md#forwarding-a-request).
		tcWantKV(t, "session.jsp", m, map[string]string{"count": "1", "method": "GET", "uri": "/session.jsp",
			"query": "echo=hello", "remote": "127.0.0.1", "secure": "false", "len": "0", "echo": "hello"})
		if m["node"] != "tc1" && m["node"] != "tc2" {
			t.Errorf("node=%q, want tc1 or tc2", m["node"])
		}
		if !strings.HasSuffix(m["session"], "."+m["node"]) {
			t.Errorf("session id %q does not end in the jvmRoute .%s", m["session"], m["node"])
		}
		if sc := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(sc, "JSESSIONID="+m["session"]+";") {
			t.Errorf("Set-Cookie %q, want JSESSIONID=%s; ...", sc, m["session"])
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type %q", ct)
		}
	})

	t.Run("form_POST", func(t *testing.T) {
		c := c.with(t)
		form := "a=1&b=%C3%A9&a=2&sp=x+y&amp=%26"
		resp, body := c.do("POST", "/params.jsp?q=%20x", strings.NewReader(form),
			"Content-Type", "application/x-www-form-urlencoded")
		tcWantStatus(t, "POST /params.jsp", resp, body, 200)
		want := "method=POST\nquery=q=%20x\na=1|2\namp=&\nb=é\nq= x\nsp=x y\n"
		if string(body) != want {
			t.Errorf("params.jsp:\n%s\nwant:\n%s", body, want)
		}
	})

	t.Run("chunked_upload", func(t *testing.T) {
		c := c.with(t)
		data := make([]byte, 300_000)
		rand.Read(data)
		for i := range data { // printable, so the echoed body compares as text
			data[i] = 'a' + data[i]%26
		}
		pr, pw := io.Pipe()
		go func() {
			for off := 0; off < len(data); off += 7000 { // many chunks of odd sizes
				pw.Write(data[off:min(off+7000, len(data))])
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", c.base+"/echo.jsp?body", pr)
		req.ContentLength = -1 // Transfer-Encoding: chunked
		resp, err := c.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tcWantStatus(t, "chunked POST /echo.jsp", resp, body, 200)
		m := tcKV(string(body))
		sum := sha256.Sum256(data)
		tcWantKV(t, "echo.jsp", m, map[string]string{"method": "POST", "len": strconv.Itoa(len(data)), "cl": "-1",
			"sha256": hex.EncodeToString(sum[:])})
		if m["body"] != string(data) {
			t.Errorf("echoed body differs (got %d bytes, sent %d)", len(m["body"]), len(data))
		}
	})

	t.Run("upload_10MiB", func(t *testing.T) { tcUpload10MiB(t, c.with(t)) })

	t.Run("download_10MiB", func(t *testing.T) { tcDownload10MiB(t, c.with(t)) })

	t.Run("HEAD", func(t *testing.T) {
		c := c.with(t)
		for _, path := range []string{"/big.jsp?size=1000&cl=1", "/cookies.jsp", "/status.jsp?code=200&body=1"} {
			_, getBody := c.do("GET", path, nil)
			r, rest := itRawExchange(t, addr, "HEAD", path)
			if r.StatusCode != 200 {
				t.Errorf("HEAD %s: status %d", path, r.StatusCode)
			}
			// Tomcat sends the length of the body it swallowed.
			if got, want := r.Header.Get("Content-Length"), strconv.Itoa(len(getBody)); got != want {
				t.Errorf("HEAD %s: Content-Length %q, want %q (the GET body's length)", path, got, want)
			}
			if len(rest) != 0 {
				t.Errorf("HEAD %s: %d body bytes after the header: %q", path, len(rest), rest)
			}
		}
	})

	t.Run("204_304_and_errors", func(t *testing.T) {
		c := c.with(t)
		for _, code := range []int{204, 304} {
			for _, b := range []string{"", "&body=1"} {
				path := fmt.Sprintf("/status.jsp?code=%d%s", code, b)
				r, rest := itRawExchange(t, addr, "GET", path)
				if r.StatusCode != code {
					t.Errorf("GET %s: status %d, want %d", path, r.StatusCode, code)
				}
				if len(rest) != 0 {
					t.Errorf("GET %s: %d bytes after the header: %q", path, len(rest), rest)
				}
				if code == 204 {
					if v, ok := r.Header["Content-Length"]; ok {
						t.Errorf("GET %s: 204 with Content-Length %q", path, v)
					}
					if v, ok := r.Header["Transfer-Encoding"]; ok {
						t.Errorf("GET %s: 204 with Transfer-Encoding %q", path, v)
					}
				}
				if r.Header.Get("X-Node") == "" {
					t.Errorf("GET %s: X-Node header of the app missing", path)
				}
			}
		}
		for _, code := range []int{404, 500, 503} {
			resp, body := c.do("GET", fmt.Sprintf("/status.jsp?code=%d&body=1", code), nil)
			if resp.StatusCode != code || string(body) != fmt.Sprintf("status body %d", code) {
				t.Errorf("status.jsp code %d with body: got %d %q", code, resp.StatusCode, body)
			}
			if resp.Header.Get("X-Node") == "" {
				t.Errorf("status.jsp code %d: the app's X-Node header is missing", code)
			}
		}
	})

	t.Run("encoded_query", func(t *testing.T) {
		c := c.with(t)
		r, err := itRawGet(addr, "/params.jsp?a=%20b&c=%C3%A9&d=%2B+&e")
		if err != nil {
			t.Fatal(err)
		}
		want := "method=GET\nquery=a=%20b&c=%C3%A9&d=%2B+&e\na= b\nc=é\nd=+ \ne=\n"
		if r.status != 200 || string(r.body) != want {
			t.Errorf("params.jsp: %d\n%s\nwant:\n%s", r.status, r.body, want)
		}
		resp, body := c.do("GET", "/session.jsp?x=%41%2F%3F", nil)
		if m := tcFields(string(body)); resp.StatusCode != 200 || m["query"] != "x=%41%2F%3F" {
			t.Errorf("session.jsp query: %d %q, want the raw x=%%41%%2F%%3F", resp.StatusCode, m["query"])
		}
	})

	t.Run("jsessionid_path_parameter_routes_to_tc2", func(t *testing.T) {
		c := c.with(t)
		// Get a real session on tc2 (method R alternates; bounded).
		var id string
		for i := 0; i < 6 && id == ""; i++ {
			_, body := c.do("GET", "/session.jsp", nil)
			if m := tcFields(string(body)); m["node"] == "tc2" {
				id = m["session"]
			}
		}
		if id == "" {
			t.Fatal("no response from tc2 in 6 requests")
		}
		for i := 2; i <= 4; i++ {
			resp, body := c.do("GET", "/session.jsp;jsessionid="+id, nil)
			m := tcFields(string(body))
			tcWantStatus(t, "GET ;jsessionid", resp, body, 200)
			tcWantKV(t, ";jsessionid="+id, m, map[string]string{"node": "tc2", "session": id, "count": strconv.Itoa(i),
				"uri": "/session.jsp;jsessionid=" + id})
		}
		// A made-up id with route tc2 still goes to tc2 (new session there).
		_, body := c.do("GET", "/session.jsp;jsessionid=0123456789ABCDEF.tc2", nil)
		tcWantKV(t, "made-up id .tc2", tcFields(string(body)), map[string]string{"node": "tc2", "count": "1"})
	})

	t.Run("several_Set-Cookie", func(t *testing.T) {
		c := c.with(t)
		resp, body := c.do("GET", "/cookies.jsp", nil)
		tcWantStatus(t, "cookies.jsp", resp, body, 200)
		want := []string{"a=1; Path=/", "b=2; Path=/x; HttpOnly", "c=3, d=4; Max-Age=60"}
		if got := resp.Header.Values("Set-Cookie"); !itEqual(got, want) {
			t.Errorf("Set-Cookie headers %q, want %q (each separately, in order)", got, want)
		}
	})

	t.Run("unknown_methods", func(t *testing.T) {
		c := c.with(t)
		for _, m := range []string{"PATCH", "FOO", "PROPFIND", "MKCOL"} {
			resp, body := c.do(m, "/echo.jsp?header=X-Test", strings.NewReader("payload-"+m), "X-Test", "v-"+m)
			tcWantStatus(t, m+" /echo.jsp", resp, body, 200)
			tcWantKV(t, m, tcKV(string(body)), map[string]string{"method": m, "len": strconv.Itoa(len("payload-" + m)),
				"header": "v-" + m})
		}
	})

	t.Run("sticky_session_counter", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		jc := newTCClient(t, addr, jar)
		var node, session string
		for i := 1; i <= 20; i++ {
			resp, body := jc.do("GET", "/session.jsp", nil)
			tcWantStatus(t, "session.jsp", resp, body, 200)
			m := tcFields(string(body))
			if i == 1 {
				node, session = m["node"], m["session"]
			}
			tcWantKV(t, fmt.Sprintf("request %d", i), m, map[string]string{"count": strconv.Itoa(i), "node": node,
				"session": session})
			if t.Failed() {
				return
			}
		}
	})

	t.Run("attributes", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		clientPort := conn.LocalAddr().(*net.TCPAddr).Port
		_, jport, _ := net.SplitHostPort(addr)
		fmt.Fprintf(conn, "GET /attrs.jsp?a=JK_LB_ACTIVATION&a=SITE HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr)
		raw, _ := io.ReadAll(conn)
		_, body, _ := strings.Cut(string(raw), "\r\n\r\n")
		if !strings.HasPrefix(string(raw), "HTTP/1.1 200") {
			t.Fatalf("attrs.jsp: %.300s", raw)
		}
		m := tcKV(tcUnchunk(body))
		tcWantKV(t, "attrs.jsp", m, map[string]string{"remotePort": strconv.Itoa(clientPort), "remoteAddr": "127.0.0.1",
			"localAddr": "127.0.0.1", "secure": "false", "scheme": "http", "serverName": "127.0.0.1", "serverPort": jport,
			"JK_LB_ACTIVATION": "ACT", "attr.SITE": "null"})
	})

	t.Run("client_header_never_becomes_an_attribute", func(t *testing.T) {
		c := c.with(t)
		const evil = "javax.servlet.include.request_uri"
		for _, name := range []string{evil, "jakarta.servlet.include.request_uri", "AJP_REMOTE_PORT", "JK_LB_ACTIVATION"} {
			resp, body := c.do("GET", "/attrs.jsp?a="+url.QueryEscape(name)+"&a=jakarta.servlet.include.servlet_path", nil,
				name, "/WEB-INF/web.xml")
			// Sent as an AJP attribute, Tomcat would answer 403.
			tcWantStatus(t, "attrs.jsp with a "+name+" header", resp, body, 200)
			m := tcKV(string(body))
			want := map[string]string{"attr." + name: "null", "attr.jakarta.servlet.include.servlet_path": "null"}
			if name == "JK_LB_ACTIVATION" {
				want = map[string]string{"attr.JK_LB_ACTIVATION": "ACT"}
			}
			if name == "AJP_REMOTE_PORT" {
				want["remotePort"] = m["remotePort"]
				if m["remotePort"] == "/WEB-INF/web.xml" || m["remotePort"] == "-1" {
					t.Errorf("remote port %q taken from the client's header", m["remotePort"])
				}
			}
			tcWantKV(t, "attrs.jsp with header "+name, m, want)
			resp, body = c.do("GET", "/headers.jsp?h="+url.QueryEscape(name), nil, name, "/WEB-INF/web.xml")
			tcWantStatus(t, "headers.jsp", resp, body, 200)
			tcWantKV(t, "headers.jsp", tcKV(string(body)), map[string]string{name: "/WEB-INF/web.xml"})
		}
	})

	t.Run("status_worker_mounted", func(t *testing.T) {
		c := c.with(t)
		resp, body := c.do("GET", "/jk-status?mime=txt", nil)
		tcWantStatus(t, "/jk-status", resp, body, 200)
		for _, w := range []string{"name=lb", "name=tc1", "name=tc2"} {
			if !strings.Contains(string(body), w) {
				t.Errorf("/jk-status?mime=txt has no %q:\n%.800s", w, body)
			}
		}
	})
}

// itRawExchange sends "METHOD path" with Connection: close and returns the
// parsed head and every byte that followed it on the connection (for
// HEAD, 204 and 304 there must be none).
func itRawExchange(t *testing.T, addr, method, path string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", method, path, addr)
	raw, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	head, rest, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("%s %s: no complete header in %q", method, path, raw)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(append(head, "\r\n\r\n"...))), &http.Request{Method: "HEAD"})
	if err != nil {
		t.Fatalf("%s %s: %v in %q", method, path, err, head)
	}
	resp.Body.Close()
	return resp, rest
}

// tcUnchunk decodes a chunked body if it is one (a best effort for the
// small bodies of attrs.jsp read off a raw connection).
func tcUnchunk(s string) string {
	var out strings.Builder
	for {
		line, rest, ok := strings.Cut(s, "\r\n")
		if !ok {
			return s
		}
		n, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
		if err != nil || int64(len(rest)) < n {
			return s
		}
		if n == 0 {
			return out.String()
		}
		out.WriteString(rest[:n])
		s = strings.TrimPrefix(rest[n:], "\r\n")
	}
}

// TestTomcatSecret proves the connector requires the secret: a worker
// without it (or with a wrong one) gets Tomcat's 403, the same Tomcat with
// it answers 200. httpd + mod_jk gives the same statuses.
func TestTomcatSecret(t *testing.T) {
	tcs := itTomcats(t)
	for _, tc := range []struct {
		name, secret string
		want         int
	}{
		{"without", "", 403},
		{"wrong", "worker.w.secret=wrong\n", 403},
		{"with", "worker.w.secret=" + itSecret + "\n", 200},
	} {
		workers := fmt.Sprintf("worker.list=w\nworker.w.type=ajp13\nworker.w.host=127.0.0.1\nworker.w.port=%d\n%s",
			tcs[0].ajpPort, tc.secret)
		spec := itSpec{workers: workers, jkMounts: []string{"/* w"}}
		for _, proxy := range []string{"jkbalancer", "mod_jk"} {
			t.Run(tc.name+"/"+proxy, func(t *testing.T) {
				var addr string
				var logs func() string
				if proxy == "mod_jk" {
					h := itStartHTTPD(t, spec)
					addr, logs = h.addr, h.logs
				} else {
					j := itStartJKB(t, spec, "")
					addr, logs = j.addr, j.logs
				}
				r, err := itRawGet(addr, "/session.jsp")
				if err != nil {
					t.Fatal(err)
				}
				if r.status != tc.want {
					t.Errorf("%s secret: status %d, want %d; body %.200q\n%s", tc.name, r.status, tc.want, r.body, logs())
				}
				if tc.want == 200 && !strings.Contains(string(r.body), "node=tc1") {
					t.Errorf("with the secret: body %q", r.body)
				}
			})
		}
	}
}

// TestTomcatJkEnvVar: a JkEnvVar from jkbalancer.yaml reaches the app as a
// request attribute (Tomcat allows the name SITE by
// allowedRequestAttributesPattern).
func TestTomcatJkEnvVar(t *testing.T) {
	tcs := itTomcats(t)
	j := itStartJKB(t, itSpec{workers: tcWorkers(tcs, "R"), jkMounts: tcMounts}, "env_vars:\n  SITE: blue\n")
	c := newTCClient(t, j.addr, nil)
	for i := 0; i < 2; i++ { // both members
		resp, body := c.do("GET", "/attrs.jsp?a=SITE", nil)
		tcWantStatus(t, "attrs.jsp", resp, body, 200)
		tcWantKV(t, "attrs.jsp", tcKV(string(body)), map[string]string{"attr.SITE": "blue", "JK_LB_ACTIVATION": "ACT"})
	}
}

// TestTomcatHeaderLimit: request headers that just fit the 8192-byte AJP
// packet reach Tomcat; one byte more gets 413 from the proxy and Tomcat
// never sees the request. The boundary must be the same byte count as
// mod_jk's in front of the same Tomcats.
func TestTomcatHeaderLimit(t *testing.T) {
	tcs := itTomcats(t)
	spec := itSpec{workers: tcWorkers(tcs, "R"), jkMounts: tcMounts}
	h := itStartHTTPD(t, spec)
	j := itStartJKB(t, spec, "")

	hits := func() int { return tcHits(t, tcs) }
	// No Connection header: jkbalancer drops hop-by-hop headers and
	// mod_jk forwards them, which would shift the boundary for reasons
	// that have nothing to do with the limit.
	send := func(addr string, n int) *itRawResp {
		req := fmt.Sprintf("GET /headers.jsp?h=X-Big HTTP/1.1\r\nHost: %s\r\nX-Big: %s\r\n\r\n", addr, strings.Repeat("a", n))
		r, err := itRawDo(addr, req)
		if err != nil {
			t.Fatalf("%s: X-Big of %d bytes: %v", addr, n, err)
		}
		return r
	}
	boundary := func(name, addr string) int {
		// 200 at lo, 413 at hi; hi stays below httpd's
		// LimitRequestFieldSize (8190 bytes per header line).
		lo, hi := 7000, 8180
		if r := send(addr, lo); r.status != 200 {
			t.Fatalf("%s: X-Big of %d bytes: status %d, want 200", name, lo, r.status)
		}
		if r := send(addr, hi); r.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("%s: X-Big of %d bytes: status %d, want 413", name, hi, r.status)
		}
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			switch r := send(addr, mid); r.status {
			case 200:
				lo = mid
			case http.StatusRequestEntityTooLarge:
				hi = mid
			default:
				t.Fatalf("%s: X-Big of %d bytes: status %d", name, mid, r.status)
			}
		}
		return lo
	}
	nm := boundary("mod_jk", h.addr)
	nj := boundary("jkbalancer", j.addr)
	t.Logf("largest X-Big that fits: mod_jk %d bytes, jkbalancer %d bytes", nm, nj)
	if nm != nj {
		t.Errorf("the 413 boundary differs from mod_jk's: mod_jk forwards an X-Big header of up to %d bytes, "+
			"jkbalancer up to %d; for the same request Tomcat sees header bytes (names+values) mod_jk %s, jkbalancer %s",
			nm, nj, tcKV(string(send(h.addr, 10).body))["total"], tcKV(string(send(j.addr, 10).body))["total"])
	}
	r := send(j.addr, nj)
	tcWantKV(t, "just under the limit", tcKV(string(r.body)), map[string]string{"len(X-Big)": strconv.Itoa(nj)})
	if r.status != 200 {
		t.Errorf("just under the limit: status %d", r.status)
	}
	before := hits()
	r = send(j.addr, nj+1)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("just over the limit: status %d, want 413", r.status)
	}
	if after := hits(); after != before {
		t.Errorf("Tomcat saw the oversized request: headers.jsp hits %d -> %d", before, after)
	}
	// The member is not blamed: the next normal request works.
	if r := send(j.addr, 10); r.status != 200 {
		t.Errorf("after the 413: status %d", r.status)
	}
}

// tcUpload10MiB PUTs 10 MiB of random bytes to echo.jsp, which must see
// them all: length, Content-Length and checksum.
func tcUpload10MiB(t *testing.T, c *tcClient) {
	data := make([]byte, 10<<20)
	rand.Read(data)
	sum := sha256.Sum256(data)
	resp, body := c.do("PUT", "/echo.jsp", bytes.NewReader(data), "Content-Type", "application/octet-stream")
	tcWantStatus(t, "PUT 10 MiB /echo.jsp", resp, body, 200)
	tcWantKV(t, "echo.jsp", tcKV(string(body)), map[string]string{"method": "PUT", "len": strconv.Itoa(len(data)),
		"cl": strconv.Itoa(len(data)), "sha256": hex.EncodeToString(sum[:])})
}

// tcDownload10MiB reads 10 MiB from big.jsp, streamed and with a
// Content-Length, and checks every byte.
func tcDownload10MiB(t *testing.T, c *tcClient) {
	const size = 10 << 20
	for _, q := range []string{"", "&cl=1"} {
		resp, body := c.do("GET", "/big.jsp?size="+strconv.Itoa(size)+q, nil)
		tcWantStatus(t, "GET /big.jsp"+q, resp, body, 200)
		if len(body) != size {
			t.Errorf("big.jsp%s: %d bytes, want %d", q, len(body), size)
			continue
		}
		for i, b := range body {
			if b != byte(i%251) {
				t.Errorf("big.jsp%s: byte %d is %d, want %d", q, i, b, byte(i%251))
				break
			}
		}
		if q != "" && resp.ContentLength != size {
			t.Errorf("big.jsp%s: Content-Length %d, want %d (Tomcat set it)", q, resp.ContentLength, size)
		}
	}
}
