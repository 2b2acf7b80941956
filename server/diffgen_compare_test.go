//go:build integration

// The comparison of the generated differential harness: both sides'
// results flattened into named fields after normalising what
// legitimately differs between two front ends, then every field that
// differs becomes a genDiff to be explained by a rule.

package server

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// genSide is one proxy's result for a case: what its client saw and what
// the member received (one dump per request that reached it).
type genSide struct {
	client genClientResult
	recs   []string
}

// genDiff is one difference: a field and both sides' values ("" when a
// side has no such value, e.g. a dump line only one side's member got).
type genDiff struct{ field, mk, jk string }

func (d genDiff) String() string {
	return fmt.Sprintf("%s: mod_jk %q, jkbalancer %q", d.field, d.mk, d.jk)
}

// genIgnoredHeaders differ between any two front ends and carry nothing
// about the proxied exchange: dates, the server's name, connection
// management (each proxy manages its own client connection).
var genIgnoredHeaders = map[string]bool{"date": true, "server": true, "keep-alive": true, "connection": true}

var (
	genRemotePortRE = regexp.MustCompile(`(attr AJP_REMOTE_PORT) "\d+"`)
)

// genNormalise replaces the proxy's own port (it differs per proxy) with
// a placeholder, as whole numbers only.
func genNormalise(s, port string) string {
	return regexp.MustCompile(`\b`+regexp.QuoteMeta(port)+`\b`).ReplaceAllString(s, "<proxy-port>")
}

// genLooksErrorPage: an HTML document a proxy made itself (httpd's
// "<!DOCTYPE HTML PUBLIC ..." pages and jkbalancer's copies of them).
// An answer to HEAD has no body: there it is an error status with
// httpd's error page type.
func genLooksErrorPage(c genClientResult, head bool) bool {
	if head {
		ct, _ := c.header("Content-Type")
		return c.status >= 400 && len(c.body) == 0 && ct == "text/html; charset=iso-8859-1"
	}
	return c.status >= 400 && strings.HasPrefix(string(c.body), "<!DOCTYPE HTML PUBLIC")
}

// genFields flattens one side. errorPage replaces the body and its
// Content-Length and Content-Type with a marker: each front end writes
// its own error document.
func genFields(s genSide, port string, errorPage bool) map[string]string {
	c := s.client
	f := map[string]string{
		"client.error":      c.err,
		"client.interim":    strings.Join(c.interim, " | "),
		"client.proto":      c.proto,
		"client.status":     strconv.Itoa(c.status),
		"client.reason":     c.reason,
		"client.framing":    c.framing,
		"client.cut":        strconv.FormatBool(c.cut),
		"client.extra":      string(c.extra),
		"client.body":       strings.TrimSuffix(dumpBodyLine(c.body), "\n"),
		"client.keep-alive": c.keepAlive,
		"member.count":      strconv.Itoa(len(s.recs)),
	}
	if errorPage {
		f["client.body"], f["client.framing"] = "(the proxy's error page)", "(error page)"
	}
	vals, spell := map[string][]string{}, map[string][]string{}
	for _, h := range c.headers {
		n := strings.ToLower(h[0])
		if genIgnoredHeaders[n] || errorPage && (n == "content-length" || n == "content-type") {
			continue
		}
		vals[n] = append(vals[n], genNormalise(h[1], port))
		if !containsStr(spell[n], h[0]) {
			spell[n] = append(spell[n], h[0])
		}
	}
	for n, v := range vals {
		f["client.header "+n] = strings.Join(v, " | ")
		f["client.header-spelling "+n] = strings.Join(spell[n], " | ")
	}
	return f
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func dumpBodyLine(b []byte) string {
	if len(b) <= 256 {
		return fmt.Sprintf("%d bytes %q", len(b), b)
	}
	return fmt.Sprintf("%d bytes %q ... %q", len(b), b[:64], b[len(b)-16:])
}

// genNormDump normalises a member dump: the proxy's port, and the
// client's ephemeral port in AJP_REMOTE_PORT.
func genNormDump(d, port string) []string {
	d = genRemotePortRE.ReplaceAllString(d, `$1 "<client-port>"`)
	return strings.Split(strings.TrimSuffix(genNormalise(d, port), "\n"), "\n")
}

// genCompare lists every difference between the two sides.
func genCompare(mk, jk genSide, mkPort, jkPort string, head bool) []genDiff {
	ep := mk.client.status == jk.client.status && genLooksErrorPage(mk.client, head) && genLooksErrorPage(jk.client, head)
	mf, jf := genFields(mk, mkPort, ep), genFields(jk, jkPort, ep)
	keys := map[string]bool{}
	for k := range mf {
		keys[k] = true
	}
	for k := range jf {
		keys[k] = true
	}
	var ks []string
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var out []genDiff
	for _, k := range ks {
		if mf[k] != jf[k] {
			out = append(out, genDiff{k, mf[k], jf[k]})
		}
	}
	// The first request each member got is compared line by line (a
	// retry shows up in member.count).
	if len(mk.recs) > 0 && len(jk.recs) > 0 {
		a, b := genNormDump(mk.recs[0], mkPort), genNormDump(jk.recs[0], jkPort)
		out = append(out, genGroupHeaders(genDumpDiff(a, b))...)
		if ao, bo := genHeaderOrder(a, b), genHeaderOrder(b, a); ao != bo {
			out = append(out, genDiff{"member.header-order", ao, bo})
		}
	}
	return out
}

var genHeaderLineRE = regexp.MustCompile(`^header (coded|string) "((?:[^"\\]|\\.)*)": (.*)$`)

// genGroupHeaders turns the dump lines of a header both members got, but
// differently, into one difference "member.header NAME (KINDS)": KINDS
// says how they differ, any of join (repeats sent as one comma-joined
// header or as several), case (the name's spelling), coding (a 0xA0xx
// code or a string) and value. Other lines stay as they are.
func genGroupHeaders(ds []genDiff) []genDiff {
	mk, jk := map[string][]genHL{}, map[string][]genHL{}
	var order []string
	var out []genDiff
	for _, d := range ds {
		line, side := d.mk, mk
		if line == "" {
			line, side = d.jk, jk
		}
		m := genHeaderLineRE.FindStringSubmatch(line)
		if m == nil {
			out = append(out, d)
			continue
		}
		n := strings.ToLower(m[2])
		if mk[n] == nil && jk[n] == nil {
			order = append(order, n)
		}
		side[n] = append(side[n], genHL{m[1], m[2], m[3]})
	}
	for _, n := range order {
		a, b := mk[n], jk[n]
		if a == nil || b == nil {
			for _, h := range a {
				out = append(out, genDiff{"member", genRenderHL([]genHL{h}), ""})
			}
			for _, h := range b {
				out = append(out, genDiff{"member", "", genRenderHL([]genHL{h})})
			}
			continue
		}
		if kinds := genHeaderKinds(a, b); kinds != "" {
			out = append(out, genDiff{"member.header " + n + " (" + kinds + ")", genRenderHL(a), genRenderHL(b)})
		}
		// else the same lines, moved: genHeaderOrder judges the order
	}
	return out
}

// genHL is one header line of a dump: AJP coding, name, quoted value.
type genHL struct{ coding, name, value string }

func genRenderHL(hs []genHL) string {
	var parts []string
	for _, h := range hs {
		parts = append(parts, h.coding+" "+strconv.Quote(h.name)+": "+h.value)
	}
	return strings.Join(parts, " | ")
}

// genHeaderKinds says how two sides' lines of one header differ: join,
// case, coding, value, "+"-separated; "" when they do not.
func genHeaderKinds(a, b []genHL) string {
	joined := func(hs []genHL) (vals, names, codings string) {
		var v, ns, cs []string
		for _, h := range hs {
			uq, _ := strconv.Unquote(h.value)
			v, ns, cs = append(v, uq), append(ns, h.name), append(cs, h.coding)
		}
		return strings.Join(v, ", "), strings.Join(ns, ","), strings.Join(cs, ",")
	}
	var kinds []string
	av, an, ac := joined(a)
	bv, bn, bc := joined(b)
	if len(a) != len(b) {
		kinds = append(kinds, "join")
		// Compare the first lines only: one side joined the repeats.
		an, bn, ac, bc = a[0].name, b[0].name, a[0].coding, b[0].coding
	}
	if an != bn {
		kinds = append(kinds, "case")
	}
	if ac != bc {
		kinds = append(kinds, "coding")
	}
	if av != bv {
		kinds = append(kinds, "value")
	}
	return strings.Join(kinds, "+")
}

// genHeaderOrder lists the header names of dump a (lower case, first
// occurrence) that dump b has too, in a's order: whether the headers both
// members got came in the same order.
func genHeaderOrder(a, b []string) string {
	names := func(d []string) []string {
		var ns []string
		seen := map[string]bool{}
		for _, l := range d {
			if m := genHeaderLineRE.FindStringSubmatch(l); m != nil && !seen[strings.ToLower(m[2])] {
				seen[strings.ToLower(m[2])] = true
				ns = append(ns, strings.ToLower(m[2]))
			}
		}
		return ns
	}
	inB := map[string]bool{}
	for _, n := range names(b) {
		inB[n] = true
	}
	var out []string
	for _, n := range names(a) {
		if inB[n] {
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}

// genDumpDiff is a line diff (longest common subsequence) of two dumps:
// each line only one side has is one genDiff with field "member".
func genDumpDiff(a, b []string) []genDiff {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []genDiff
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			out = append(out, genDiff{"member", "", b[j]})
			j++
		default:
			out = append(out, genDiff{"member", a[i], ""})
			i++
		}
	}
	return out
}
