//go:build integration

// Integration tests of http members (type=http) against the HTTP
// connectors of the two real Tomcat 10 instances: the same application
// behind an lb whose members speak HTTP/1.1 instead of AJP.

package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"testing"
)

// tcHTTPWorkers is an lb of two http members on the Tomcats' HTTP
// connectors; the member names are the Tomcats' jvmRoutes.
func tcHTTPWorkers(tcs []*itTomcat) string {
	return fmt.Sprintf(`worker.list=lb
worker.template.type=http
worker.template.host=127.0.0.1
worker.template.probe_uri=/hits.jsp
worker.template.recovery_options=1
worker.template.connection_pool_timeout=15
worker.template.reply_timeout=30000
worker.tc1.reference=worker.template
worker.tc1.port=%d
worker.tc2.reference=worker.template
worker.tc2.port=%d
worker.lb.type=lb
worker.lb.balance_workers=tc1,tc2
`, tcs[0].httpPort, tcs[1].httpPort)
}

func TestTomcatHTTPMembers(t *testing.T) {
	tcs := itTomcats(t)
	j := itStartJKB(t, itSpec{workers: tcHTTPWorkers(tcs), jkMounts: []string{"/* lb"}}, "")
	c := newTCClient(t, j.addr, nil)
	defer func() {
		if t.Failed() {
			t.Logf("jkbalancer log:\n%s", j.logs())
		}
	}()

	t.Run("sticky_session_counter", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		jc := newTCClient(t, j.addr, jar)
		var node, session string
		for i := 1; i <= 20; i++ {
			resp, body := jc.do("GET", "/session.jsp?echo=x", nil)
			tcWantStatus(t, "session.jsp", resp, body, 200)
			m := tcFields(string(body))
			if i == 1 {
				node, session = m["node"], m["session"]
				if !strings.HasSuffix(session, "."+node) {
					t.Fatalf("session %q does not end in the jvmRoute .%s", session, node)
				}
			}
			tcWantKV(t, fmt.Sprintf("request %d", i), m, map[string]string{"count": strconv.Itoa(i), "node": node,
				"session": session, "uri": "/session.jsp", "query": "echo=x", "remote": "127.0.0.1"})
			if t.Failed() {
				return
			}
		}
	})

	t.Run("forwarded_headers_and_host", func(t *testing.T) {
		c := c.with(t)
		resp, body := c.do("GET", "/headers.jsp?h=Host&h=X-Forwarded-For&h=X-Forwarded-Proto&h=X-Forwarded-Host&h=X-SSL-Cipher",
			nil, "X-SSL-Cipher", "forged", "X-Forwarded-Proto", "https")
		tcWantStatus(t, "headers.jsp", resp, body, 200)
		tcWantKV(t, "headers.jsp", tcKV(string(body)), map[string]string{"Host": j.addr, "X-Forwarded-For": "127.0.0.1",
			"X-Forwarded-Proto": "http", "X-Forwarded-Host": j.addr, "X-SSL-Cipher": "<null>"})
	})

	t.Run("form_POST", func(t *testing.T) {
		c := c.with(t)
		form := "a=1&b=%C3%A9&a=2&sp=x+y&amp=%26"
		resp, body := c.do("POST", "/params.jsp?q=%20x", strings.NewReader(form),
			"Content-Type", "application/x-www-form-urlencoded")
		tcWantStatus(t, "POST /params.jsp", resp, body, 200)
		if want := "method=POST\nquery=q=%20x\na=1|2\namp=&\nb=é\nq= x\nsp=x y\n"; string(body) != want {
			t.Errorf("params.jsp:\n%s\nwant:\n%s", body, want)
		}
	})

	t.Run("upload_10MiB", func(t *testing.T) { tcUpload10MiB(t, c.with(t)) })

	t.Run("chunked_upload", func(t *testing.T) {
		c := c.with(t)
		data := bytes.Repeat([]byte("0123456789abcdef"), 20000)
		req, _ := http.NewRequest("POST", c.base+"/echo.jsp", struct{ *bytes.Reader }{bytes.NewReader(data)})
		req.ContentLength = -1
		resp, err := c.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		sum := sha256.Sum256(data)
		tcWantKV(t, "chunked echo.jsp", tcKV(body.String()), map[string]string{"len": strconv.Itoa(len(data)),
			"cl": "-1", "sha256": hex.EncodeToString(sum[:])})
	})

	t.Run("download_10MiB", func(t *testing.T) { tcDownload10MiB(t, c.with(t)) })

	t.Run("HEAD", func(t *testing.T) {
		for _, path := range []string{"/big.jsp?size=1000&cl=1", "/status.jsp?code=200&body=1"} {
			r, rest := itRawExchange(t, j.addr, "HEAD", path)
			if r.StatusCode != 200 || len(rest) != 0 {
				t.Errorf("HEAD %s: status %d, %d bytes after the head", path, r.StatusCode, len(rest))
			}
		}
		if r, _ := itRawExchange(t, j.addr, "HEAD", "/big.jsp?size=1000&cl=1"); r.Header.Get("Content-Length") != "1000" {
			t.Errorf("HEAD with the length set: Content-Length %q, want 1000", r.Header.Get("Content-Length"))
		}
	})

	t.Run("204_304", func(t *testing.T) {
		for _, code := range []int{204, 304} {
			for _, b := range []string{"", "&body=1"} {
				path := fmt.Sprintf("/status.jsp?code=%d%s", code, b)
				r, rest := itRawExchange(t, j.addr, "GET", path)
				if r.StatusCode != code || len(rest) != 0 || r.Header.Get("X-Node") == "" {
					t.Errorf("GET %s: status %d, %d bytes after the head, X-Node %q", path, r.StatusCode, len(rest), r.Header.Get("X-Node"))
				}
				if _, ok := r.Header["Transfer-Encoding"]; ok && code == 204 {
					t.Errorf("GET %s: 204 with Transfer-Encoding", path)
				}
			}
		}
		for _, code := range []int{404, 500, 503} {
			resp, body := c.with(t).do("GET", fmt.Sprintf("/status.jsp?code=%d&body=1", code), nil)
			if resp.StatusCode != code || string(body) != fmt.Sprintf("status body %d", code) {
				t.Errorf("status.jsp code %d: got %d %q", code, resp.StatusCode, body)
			}
		}
	})

	t.Run("several_Set-Cookie", func(t *testing.T) {
		resp, body := c.with(t).do("GET", "/cookies.jsp", nil)
		tcWantStatus(t, "cookies.jsp", resp, body, 200)
		want := []string{"a=1; Path=/", "b=2; Path=/x; HttpOnly", "c=3, d=4; Max-Age=60"}
		if got := resp.Header.Values("Set-Cookie"); !itEqual(got, want) {
			t.Errorf("Set-Cookie headers %q, want %q", got, want)
		}
	})
}
