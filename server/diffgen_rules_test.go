//go:build integration

// The rules that explain differences between mod_jk and jkbalancer in the
// generated differential harness. genDeliberate is the written list of
// deliberate differences (mirrored for operators in docs/differences.md);
// what a comparison of two front ends cannot see is left out in
// diffgen_compare_test.go. Nothing else may differ.

package server

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	seen      func(mk, jk genClientResult) bool // what the clients got, if it matters
	pair      func(c genCase, d genDiff) bool   // the two values are the ones the difference makes
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

func (r *genRule) explains(c genCase, d genDiff, mk, jk genClientResult) bool {
	if r.seen != nil && !r.seen(mk, jk) {
		return false
	}
	if r.reFields != nil && !r.reFields.MatchString(d.field) {
		return false
	}
	if r.reMK != nil && !r.reMK.MatchString(d.mk) {
		return false
	}
	if r.reJ != nil && !r.reJ.MatchString(d.jk) {
		return false
	}
	return (r.when == nil || r.when(c)) && (r.pair == nil || r.pair(c, d))
}

// genExplain returns the rule explaining d, and whether it is a
// deliberate one; nil if none does.
func genExplain(c genCase, d genDiff, mk, jk genClientResult) (*genRule, bool) {
	genRulesOnce.Do(func() {
		for i := range genDeliberate {
			genDeliberate[i].compile()
		}
	})
	for i := range genDeliberate {
		if genDeliberate[i].explains(c, d, mk, jk) {
			return &genDeliberate[i], true
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
	{name: "obs-fold", field: ".*", when: func(c genCase) bool { return regexp.MustCompile(`\r\n[ \t]`).MatchString(genReqHead(c)) },
		why: "request smuggling hardening: a header continued on the next line (obs-fold) is refused (400); httpd joins the lines"},
	{name: "no resend once the member answered", field: "member.count",
		when: func(c genCase) bool { return c.beh.Mode == dumpmember.Truncate || c.beh.Mode == dumpmember.SecondHead },
		why:  "a request is never sent again once a byte of the member's answer reached the client (a flushed head, a body past the 8000 bytes kept back) or the member answered a refused status (1xx); mod_jk (recovery_options 0) sends it again"},
	{name: "CONNECT host:port", field: ".*", when: func(c genCase) bool { return genReqMethod(c) == "CONNECT" },
		why: "jkbalancer is no forward proxy: every CONNECT is 400 and reaches no member; httpd hands CONNECT host:port to a /* mount as a request for /"},
	{name: "TRACE", field: ".*", when: func(c genCase) bool { return genReqMethod(c) == "TRACE" },
		why: "TRACE is refused with 405 at the front (as httpd with TraceEnable off), against cross-site tracing; httpd (TraceEnable on, its default) echoes the request itself, or answers 413 when it has a body"},
	{name: "OPTIONS * answered without its body", field: `client\.(interim|keep-alive)`, mk: "HTTP/1.1 100 Continue|kept", jk: "|closed",
		when: func(c genCase) bool {
			return strings.HasPrefix(c.raw, "OPTIONS * ") && genReqHas(c, `(?im)^expect: *100-continue`)
		},
		why: "OPTIONS * with Expect: 100-continue is answered at once and the connection closed, without asking for a body nobody reads; httpd sends 100 Continue, reads the body away and keeps the connection"},
	{name: "NUL in a member header value", field: `client\.header .*`, pair: genNULBlank,
		why: "a NUL in a member's header value goes out as a blank; httpd cuts the value at the NUL, as C strings end there"},
	{name: "1xx status from an AJP member", field: `client\..*`, when: func(c genCase) bool { return c.beh.Status < 200 },
		why: "a 1xx in SEND_HEADERS is an invalid answer (500), as AJP has no interim responses; mod_jk passes the bare 1xx head on and then the body bytes, which no client can parse"},
	{name: "second SEND_HEADERS", field: `client\..*`, when: func(c genCase) bool { return c.beh.Mode == dumpmember.SecondHead },
		why: "a second SEND_HEADERS is an invalid answer (500 when nothing reached the client); mod_jk answers 502"},
	{name: "CR or LF in a member header value", field: `client\..*`,
		when: func(c genCase) bool { return genBehHas(c, "\r") || genBehHas(c, "\n") },
		why:  "a CR or LF in a member's header value goes out as a blank; httpd refuses the response (500)"},
	{name: "body longer or shorter than its Content-Length", field: `client\.(header content-length|framing|cut|extra|body|keep-alive)`,
		when: genBehCLWrong,
		why:  "a member body whose length does not match its Content-Length goes out, when held whole, with its real length (as httpd does for a body that arrived whole before the end of the response); a longer one held in part is cut at the announced length, a shorter one ends the connection"},
	{name: "reason phrase with a control byte", field: `client\.(status|reason)`,
		when: func(c genCase) bool {
			return strings.ContainsFunc(c.beh.Reason, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
		},
		why: "a member's reason phrase with a control byte is replaced by the standard one, or \"Unknown Reason\"; httpd's status line then reads 500 Internal Server Error for a status it has no phrase for"},
	{name: "one header name in two spellings", field: `client\.header-spelling .*`,
		pair: func(_ genCase, d genDiff) bool {
			first, _, two := strings.Cut(d.mk, " | ")
			return two && d.jk == first
		},
		why: "a header repeated with different spellings (X-A, x-a) goes out under its first spelling; httpd keeps each one's; names are case-insensitive"},
	{name: "Last-Modified passed as written", field: "client.header last-modified", pair: genLastModifiedAsSent,
		why: "the member's Last-Modified goes out as written; httpd re-formats it and moves a date in the future back to the time of the request"},
	{name: "member failing after its head", field: `client\..*`, when: func(c genCase) bool { return c.beh.Mode == dumpmember.Truncate },
		why: "a member that fails within the first 8000 body bytes gives the client a 502 error page, and one that fails later a cut response; mod_jk streams the head and the body, and then (recovery_options 0) sends the request again and appends the second answer or its own error page"},
	{name: "chunked body on a closing connection", pair: genChunkedVsEOF,
		field: `client\.(framing|header transfer-encoding|header-spelling transfer-encoding)`,
		why:   "a body of unknown length on a connection that ends after the response goes out chunked, so the client can tell a whole body from a cut one; httpd, closing the connection, ends it with the close"},
}

// genLastModifiedAsSent: jkbalancer's side is the member's last
// Last-Modified, as written.
func genLastModifiedAsSent(c genCase, d genDiff) bool {
	last := ""
	for _, h := range c.beh.Headers {
		if strings.EqualFold(h.Name, "last-modified") {
			last = h.Value
		}
	}
	return last != "" && d.jk == last
}

// genChunkedVsEOF: mod_jk's side ended a body with the close where
// jkbalancer's chunked it.
func genChunkedVsEOF(_ genCase, d genDiff) bool {
	switch d.field {
	case "client.framing":
		return d.mk == "eof" && d.jk == "chunked"
	case "client.header transfer-encoding":
		return d.mk == "" && d.jk == "chunked"
	}
	return d.mk == "" && d.jk == "Transfer-Encoding"
}

// genNULBlank: the header of d has a member value with a NUL, which
// mod_jk's side cut there and jkbalancer's side turned into a blank.
func genNULBlank(c genCase, d genDiff) bool {
	name := strings.TrimPrefix(d.field, "client.header ")
	var cut, blank []string
	for _, h := range c.beh.Headers {
		if strings.EqualFold(h.Name, name) {
			v, _, _ := strings.Cut(h.Value, "\x00")
			cut = append(cut, v)
			blank = append(blank, strings.ReplaceAll(h.Value, "\x00", " "))
		}
	}
	return slices.ContainsFunc(c.beh.Headers, func(h dumpmember.Header) bool {
		return strings.EqualFold(h.Name, name) && strings.Contains(h.Value, "\x00")
	}) && strings.Join(cut, " | ") == d.mk && strings.Join(blank, " | ") == d.jk
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
