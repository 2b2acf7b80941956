//go:build integration

// The rules that explain differences between mod_jk and jkbalancer in the
// generated differential harness. genDeliberate is the written list of
// deliberate differences (mirrored for operators in docs/differences.md);
// genKnownOpen is TEMPORARY: differences being fixed right now, listed so
// that the suite stays green meanwhile. Delete an entry when its fix is
// merged; the harness then holds the fix.

package server

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jkbalancer/jkbalancer/internal/dumpmember"
)

// genRule explains a difference: its field matches field, and mk and jk
// (when not empty) match the two sides' values, and when (if set) holds
// for the case. All patterns are anchored regular expressions.
type genRule struct {
	name      string
	field     string
	mk, jk    string
	when      func(c genCase) bool
	why       string
	reFields  *regexp.Regexp
	reMK, reJ *regexp.Regexp
}

var genRulesOnce sync.Once

func (r *genRule) compile() {
	anch := func(s string) *regexp.Regexp {
		if s == "" {
			return nil
		}
		return regexp.MustCompile(`^(?s:` + s + `)$`)
	}
	r.reFields, r.reMK, r.reJ = anch(r.field), anch(r.mk), anch(r.jk)
}

func (r *genRule) explains(c genCase, d genDiff) bool {
	if r.reFields != nil && !r.reFields.MatchString(d.field) {
		return false
	}
	if r.reMK != nil && !r.reMK.MatchString(d.mk) {
		return false
	}
	if r.reJ != nil && !r.reJ.MatchString(d.jk) {
		return false
	}
	return r.when == nil || r.when(c)
}

// genExplain returns the rule explaining d, and whether it is a
// deliberate one; nil if none does.
func genExplain(c genCase, d genDiff) (*genRule, bool) {
	genRulesOnce.Do(func() {
		for i := range genDeliberate {
			genDeliberate[i].compile()
		}
		for i := range genKnownOpen {
			genKnownOpen[i].compile()
		}
	})
	for i := range genDeliberate {
		if genDeliberate[i].explains(c, d) {
			return &genDeliberate[i], true
		}
	}
	for i := range genKnownOpen {
		if genKnownOpen[i].explains(c, d) {
			return &genKnownOpen[i], false
		}
	}
	return nil, false
}

// genReqMethod is the request's method.
func genReqMethod(c genCase) string {
	m, _, _ := strings.Cut(c.raw, " ")
	return m
}

// genReqHead is the request's head (request line and header lines).
func genReqHead(c genCase) string {
	h, _, _ := strings.Cut(c.raw, "\r\n\r\n")
	return h
}

func genReqHas(c genCase, re string) bool {
	return regexp.MustCompile(re).MatchString(genReqHead(c))
}

// genDeliberate: differences jkbalancer keeps on purpose. Mirrored in
// docs/differences.md.
var genDeliberate = []genRule{
	{name: "hop-by-hop request headers", field: "member", jk: "",
		mk:  `(coded|string) "(?i:connection|keep-alive|te|trailer|transfer-encoding|upgrade|proxy-connection|expect)": .*`,
		why: "jkbalancer does not forward hop-by-hop request headers (RFC 9110 7.6.1) nor Expect (it answers 100-continue itself); httpd hands them to mod_jk"},
	{name: "Transfer-Encoding in HTTP/1.0", field: ".*",
		when: func(c genCase) bool { return genReqProto(c) == "HTTP/1.0" && genReqHas(c, `(?im)^transfer-encoding:`) },
		why:  "request smuggling hardening: Transfer-Encoding in an HTTP/1.0 request is refused (400); httpd accepts it"},
	{name: "path above / once ;parameters are stripped", field: ".*", when: genPathClimbs,
		why: "crafted-path hardening: ;parameters are stripped from every segment before dot segments are resolved (as Tomcat does), so /;x/.. climbs above / and is refused (400); httpd resolves the .. against the ;x segment and forwards /"},
	{name: "encoded slash or NUL in the path", field: ".*",
		when: func(c genCase) bool { return regexp.MustCompile(`(?i)%2f|%00`).MatchString(genReqPath(c)) },
		why:  "crafted-path hardening: an encoded / or NUL anywhere in the path is 404; httpd first resolves dot segments, so /a%2Fb/.. reaches the member as /"},
	{name: "no resend once the member answered", field: "member.count",
		when: func(c genCase) bool { return c.beh.Mode == dumpmember.Truncate || c.beh.Mode == dumpmember.SecondHead },
		why:  "a request is never sent again once the member sent a head; mod_jk (recovery_options 0) sends it again"},
}

// genKnownOpen: TEMPORARY, the differences other work is fixing now.
var genKnownOpen = []genRule{
	{name: "open: CONNECT", field: ".*", when: func(c genCase) bool { return genReqMethod(c) == "CONNECT" },
		why: "CONNECT: httpd refuses it (400), or for its own host:port hands it to mod_jk as a request for /; jkbalancer answers or forwards it differently"},
	{name: "open: HTTP/1.0 status line", field: "client.proto", mk: "HTTP/1.1", jk: "HTTP/1.0",
		why: "HTTP/1.0 clients get an HTTP/1.0 status line from jkbalancer; httpd always answers HTTP/1.1"},
	{name: "open: reason phrase", field: "client.reason",
		why: "jkbalancer replaces the member's reason phrase with the standard one (200 Fine -> 200 OK); httpd passes it on"},
	{name: "open: response header name case", field: "client.header-spelling .*",
		why: "jkbalancer canonicalises response header names (x-lower -> X-Lower, ETag -> Etag); httpd keeps the member's spelling"},
	{name: "open: request header name case", field: `member\.header .* \((join\+)?case(\+coding)?\)`,
		why: "jkbalancer canonicalises request header names (X-UPPER -> X-Upper); httpd keeps the client's spelling"},
	{name: "open: repeated request headers", field: `member\.header .* \(join(\+case)?(\+coding)?\)`,
		why: "httpd joins repeated request headers into one with \", \"; jkbalancer sends each"},
	{name: "open: two Content-Type", field: "client.header content-type", jk: `.* \| .*`,
		why: "two Content-Type from a member both reach the client through jkbalancer; httpd keeps one"},
	{name: "open: NUL in member header values", field: "client.*",
		when: func(c genCase) bool { return genBehHas(c, "\x00") },
		why:  "a NUL in a member's header value: httpd cuts the value there, jkbalancer sends it on or drops the response"},
	{name: "open: 204/304 with a body", field: "client.*",
		when: func(c genCase) bool { return (c.beh.Status == 204 || c.beh.Status == 304) && len(c.beh.Body) > 0 },
		why:  "a 204 or 304 with body bytes from the member: httpd drops the body, jkbalancer sends nothing or the body"},
	{name: "open: chunked request body", field: "member.*",
		when: func(c genCase) bool { return genReqHas(c, `(?im)^transfer-encoding: *chunked`) },
		why:  "a chunked request body reaches the member without Transfer-Encoding through jkbalancer (Tomcat then loses form parameters)"},
	{name: "open: reply after a member failure past the head", field: "client.*",
		when: func(c genCase) bool { return c.beh.Mode == dumpmember.Truncate || c.beh.Mode == dumpmember.SecondHead },
		why:  "the member fails after the head (closes mid-body, sends a second head): the client gets a zero-byte or different reply"},
	{name: "open: Host with a trailing dot", field: "member.*",
		when: func(c genCase) bool { return genReqHas(c, `(?im)^host: *EXAMPLE\.com\.`) },
		why:  "Host EXAMPLE.com.: httpd lowercases the name and drops the trailing dot for server_name; jkbalancer keeps both"},
	{name: "open: POST replay", field: "member.count",
		when: func(c genCase) bool {
			return c.beh.Mode == dumpmember.CloseBeforeHead && genReqHas(c, `(?im)^(content-length: *[1-9]|transfer-encoding:)`)
		},
		why: "a request with a body whose member closed before the head is sent again by jkbalancer's stale-connection resend; mod_jk does not replay it"},
	// NEW, found by this harness; not yet assigned.
	{name: "NEW: repeated Location, Last-Modified, Content-Length from the member", jk: `.* \| .*`,
		field: "client.header (location|last-modified|content-length|transfer-encoding)",
		why:   "mod_jk sets these (apr_table_set, ap_set_content_length, ap_set_last_modified): the last one wins and the client gets one; jkbalancer passes every copy on (the Content-Type fix covers one of five)"},
	{name: "NEW: repeated Vary from the member", field: "client.header vary", jk: `.* \| .*`,
		why: "httpd merges every Vary header into one and drops repeated tokens (fix_vary in its header filter); jkbalancer passes each on"},
	{name: "NEW: HEAD answered with body bytes and no length", field: "client.header content-length", mk: "",
		when: func(c genCase) bool {
			return genReqMethod(c) == "HEAD" && len(c.beh.Body) > 0 && !genBehHasHeader(c, "content-length")
		},
		why: "a member that answers HEAD with body bytes and no Content-Length: jkbalancer sends a Content-Length counted from the bytes it drops; httpd sends none"},
	{name: "NEW: HTTP/1.1 request without Host", field: "client.*",
		when: func(c genCase) bool { return genReqProto(c) == "HTTP/1.1" && !genReqHas(c, `(?im)^host:`) },
		why:  "an HTTP/1.1 request without Host: both answer 400, httpd with its HTML error page (Content-Length, text/html), jkbalancer with a text/plain \"400 Bad Request\" and no length"},
	{name: "NEW: session path parameter before dot segments", field: "member", mk: `attr route ".*"`, jk: "",
		when: func(c genCase) bool { return genReqHas(c, `^\S+ \S*;jsessionid=\S*(\.\.|%2[eE]%2[eE])`) },
		why:  "a ;jsessionid path parameter followed by dot segments (/lb/;jsessionid=X.m1//%2e%2e): mod_jk still takes the session route from it (route attribute sent, sticky to m1); jkbalancer resolves the dot segments first and loses it"},
	{name: "NEW: unanswered 100-continue ends keep-alive", field: "client.(framing|header transfer-encoding|keep-alive)",
		mk: "eof||closed", jk: "chunked|kept",
		when: func(c genCase) bool { return genReqHas(c, `(?im)^expect: *100-continue`) },
		why:  "an Expect: 100-continue request whose body was never asked for (Content-Length: 0): httpd closes the client connection after the response (a length-less body goes unframed until the close); jkbalancer keeps it alive (and chunks such a body)"},
	{name: "NEW: error statuses end keep-alive", field: "client.keep-alive", mk: "closed", jk: "kept",
		when: func(c genCase) bool {
			switch c.beh.Status {
			case 400, 408, 411, 413, 414, 500, 501, 503:
				return true
			}
			return false
		},
		why: "after a member's 400, 408, 411, 413, 414, 500, 501 or 503 httpd closes the client connection (ap_status_drops_connection); jkbalancer keeps it alive"},
	{name: "NEW: 1xx as the member's final status", field: "client.*",
		when: func(c genCase) bool { return c.beh.Status < 200 },
		why:  "a member answering 103 (or any 1xx) with a body: httpd sends the 1xx head and then the body bytes raw (an invalid response); jkbalancer turns it into a 200"},
	{name: "NEW: request header order", field: `member\.header-order`,
		why: "jkbalancer does not keep the client's order of request headers with different names; mod_jk sends them in the client's order"},
	{name: "NEW: TRACE", field: ".*", when: func(c genCase) bool { return genReqMethod(c) == "TRACE" },
		why: "httpd answers TRACE itself (TraceEnable On, its default) and mod_jk never sees it; jkbalancer forwards it to the member"},
	{name: "NEW: wrong Content-Length from the member", field: "client.*", when: genBehCLWrong,
		why: "a member Content-Length that does not match the body: httpd sends the real length when the whole body arrived before the end; jkbalancer passes the member's value on and cuts or pads the connection"},
	{name: "NEW: attempts after a close before the head", field: "member.count", mk: "2", jk: "3",
		when: func(c genCase) bool { return c.beh.Mode == dumpmember.CloseBeforeHead },
		why:  "a member that closes before the head gets the request twice from mod_jk (retries=2) and three times from jkbalancer (its stale-connection resend comes on top)"},
}

// genReqProto is the request's protocol.
func genReqProto(c genCase) string {
	line, _, _ := strings.Cut(c.raw, "\r\n")
	return line[strings.LastIndexByte(line, ' ')+1:]
}

// genReqPath is the path of the request target (no query).
func genReqPath(c genCase) string {
	line, _, _ := strings.Cut(c.raw, "\r\n")
	f := strings.Fields(line)
	if len(f) < 2 {
		return ""
	}
	p, _, _ := strings.Cut(f[1], "?")
	return p
}

// genPathClimbs: the path climbs above / once ;parameters are stripped
// from its segments and %2e is decoded (the crafted-path rule).
func genPathClimbs(c genCase) bool {
	depth := 0
	for _, seg := range strings.Split(strings.TrimPrefix(genReqPath(c), "/"), "/") {
		seg, _, _ = strings.Cut(seg, ";")
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "%2e", "."), "%2E", ".")
		switch seg {
		case "..":
			if depth == 0 {
				return true
			}
			depth--
		case ".", "":
		default:
			depth++
		}
	}
	return false
}

// genBehCLWrong: the member's Content-Length is not its body's length.
func genBehCLWrong(c genCase) bool {
	for _, h := range c.beh.Headers {
		if strings.EqualFold(h.Name, "content-length") && h.Value != strconv.Itoa(len(c.beh.Body)) {
			return true
		}
	}
	return false
}

// genBehHasHeader: the member's answer has a header named name.
func genBehHasHeader(c genCase, name string) bool {
	for _, h := range c.beh.Headers {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

// genBehHas reports whether a header value of the member's answer
// contains s.
func genBehHas(c genCase, s string) bool {
	for _, h := range c.beh.Headers {
		if strings.Contains(h.Value, s) {
			return true
		}
	}
	return false
}

// TestGenDeliberateDocumented: every deliberate difference is named in
// docs/differences.md, the operators' copy of genDeliberate.
func TestGenDeliberateDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "differences.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range genDeliberate {
		if !strings.Contains(string(b), "**"+r.name+"**") {
			t.Errorf("docs/differences.md does not list the deliberate difference %q (as **%s**)", r.name, r.name)
		}
	}
}
