//go:build integration

// Differential tests: the same workers.properties and mounts run through
// real httpd + mod_jk 1.2.48 and through jkbalancer, in front of the same
// in-process AJP members, and every request of a script must give the same
// status and be answered by the same member on both. mod_jk is the
// reference: where it surprises, the expectation is still "equal to
// mod_jk".
//
// The configurations are testdata/diff/*.properties (workers) and
// *.uriworkermap (mount files); @t1@.. are replaced by the members' AJP
// ports and @NAME@ by per-case values. Each case gets a fresh httpd (one
// child process: mod_jk keeps lb state per child) and a fresh jkbalancer,
// so no state leaks between cases. The requests of a script are sent
// alternately to both proxies, and member kills and restarts happen
// between steps, so both see the same members at every step.

package server

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// diffMember is one in-process AJP member. It answers 200 with headers
// telling who answered and what arrived (X-Member, X-Uri, X-Route-Attr,
// X-Activation, X-Query), and sets JSESSIONID=<n>.<name> on first contact
// (no JSESSIONID cookie). n counts per proxy (told apart by the AJP
// server_port), so both proxies see the same cookie values.
type diffMember struct {
	name string
	srv  *ajptest.Server
	mu   sync.Mutex
	seq  map[int]int
}

func newDiffMember(t *testing.T, name string) *diffMember {
	m := &diffMember{name: name, seq: map[int]int{}}
	m.srv = ajptest.NewServer(m.serve)
	t.Cleanup(m.srv.Close)
	return m
}

func (m *diffMember) serve(w *ajptest.ResponseWriter, r *ajptest.Request) {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		w.CloseConn()
		return
	}
	hs := []ajp.Header{
		{Name: "Content-Type", Value: "text/plain"},
		{Name: "X-Member", Value: m.name},
		// Quoted: the values come from the proxy and may hold any byte
		// (mod_jk sends undefined bytes as the route after domain
		// routing); httpd refuses non-printable response headers.
		{Name: "X-Uri", Value: strconv.QuoteToASCII(r.URI)},
		{Name: "X-Route-Attr", Value: strconv.QuoteToASCII(r.Route)},
		{Name: "X-Activation", Value: strconv.QuoteToASCII(r.Activation)},
		{Name: "X-Query", Value: strconv.QuoteToASCII(r.QueryString)},
	}
	if !diffHasCookie(r.Request, "JSESSIONID") {
		m.mu.Lock()
		m.seq[r.ServerPort]++
		n := m.seq[r.ServerPort]
		m.mu.Unlock()
		hs = append(hs, ajp.Header{Name: "Set-Cookie", Value: fmt.Sprintf("JSESSIONID=%06d.%s; Path=/", n, m.name)})
	}
	body := "member=" + m.name + "\n"
	hs = append(hs, ajp.Header{Name: "Content-Length", Value: fmt.Sprint(len(body))})
	w.SendHeaders(m.status(r.URI), hs...)
	w.Write([]byte(body))
	w.End(true)
}

// status is 200, or N for a URI /code/<member>/<N> naming this member
// (fail_on_status cases).
func (m *diffMember) status(uri string) int {
	rest, ok := strings.CutPrefix(uri, "/code/"+m.name+"/")
	if !ok {
		return 200
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 100 || n > 599 {
		return 200
	}
	return n
}

func diffHasCookie(r *ajp.Request, name string) bool {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, "cookie") && strings.Contains(h.Value, name+"=") {
			return true
		}
	}
	return false
}

// diffStep is one request of a script, or an action on the members.
type diffStep struct {
	target string // request target, sent byte for byte
	cookie string // Cookie header value; jarCookie = the last JSESSIONID this proxy set
	n      int    // how many times (default 1)

	what   string
	action func(ms map[string]*diffMember)
}

const diffJar = "@jar"

func diffGet(target string, n int) diffStep { return diffStep{target: target, n: n} }
func diffGetC(target, cookie string, n int) diffStep {
	return diffStep{target: target, cookie: cookie, n: n}
}
func diffKill(names ...string) diffStep {
	return diffMemberAction("kill", names, (*ajptest.Server).Close)
}
func diffRevive(names ...string) diffStep {
	return diffMemberAction("revive", names, diffRestartMember)
}
func diffRestartMember(s *ajptest.Server) { s.Restart() }
func diffHang(names ...string) diffStep {
	return diffMemberAction("hang", names, (*ajptest.Server).Hang)
}
func diffResume(names ...string) diffStep {
	return diffMemberAction("resume", names, (*ajptest.Server).Resume)
}
func diffAct(what string, f func(map[string]*diffMember)) diffStep {
	return diffStep{what: what, action: f}
}

func diffMemberAction(verb string, names []string, f func(*ajptest.Server)) diffStep {
	return diffAct(verb+" "+strings.Join(names, ","), func(ms map[string]*diffMember) {
		for _, n := range names {
			f(ms[n].srv)
		}
	})
}

// diffCase is one differential test.
type diffCase struct {
	name      string
	workers   string            // file in testdata/diff
	vars      map[string]string // @NAME@ replacements
	members   []string          // member worker names (t1, t2, t3)
	jkMounts  []string          // "PATTERN WORKER"; nil = "/* lb" unless mountFile is set
	mountFile string            // file in testdata/diff
	script    []diffStep
	// want, if set, pins the "status member" sequence mod_jk and
	// jkbalancer must both produce.
	want []string
	// cookies also compares every Set-Cookie header, in order.
	cookies bool
	// wantCookies, if set, pins the Set-Cookie headers of the first
	// request (mod_jk and jkbalancer both).
	wantCookies []string
}

// diffObs is what one request observed.
type diffObs struct {
	status  int
	member  string
	uri     string
	route   string
	act     string
	cookies []string
}

func (o diffObs) key() string { return fmt.Sprintf("%d %s", o.status, o.member) }

func (o diffObs) detail() string {
	return fmt.Sprintf("uri=%s route=%s activation=%s", o.uri, o.route, o.act)
}

func diffCases() []diffCase {
	var cs []diffCase
	two := []string{"t1", "t2"}
	three := []string{"t1", "t2", "t3"}

	// Methods and lbfactor mixes, no session: the pick sequence itself.
	for _, m := range []string{"R", "S", "N", "T", "B"} {
		for _, f := range [][2]string{{"1", "1"}, {"1", "5"}, {"2", "3"}} {
			c := diffCase{
				name:    fmt.Sprintf("method_%s_%s_%s", m, f[0], f[1]),
				workers: "methods.properties", vars: map[string]string{"METHOD": m, "F1": f[0], "F2": f[1]},
				members: two, script: []diffStep{diffGet("/m", 12)},
			}
			if m == "R" && f == [2]string{"1", "5"} {
				// docs/compat.md#load-values-and-methods [verified]: mults 5:1, ties by rotation.
				c.want = diffRepeat([]string{"200 t1", "200 t2", "200 t2", "200 t2", "200 t2", "200 t2"}, 12)
			}
			cs = append(cs, c)
		}
	}
	// Sessions and balanced traffic mixed: R counts sticky requests, S and
	// N count only new sessions, B counts in-flight ones.
	for _, m := range []string{"R", "S", "N", "B"} {
		cs = append(cs, diffCase{
			name:    "method_" + m + "_with_sessions",
			workers: "methods.properties", vars: map[string]string{"METHOD": m, "F1": "1", "F2": "1"},
			members: two, script: []diffStep{
				diffGet("/m", 1), diffGetC("/m", "JSESSIONID=x.t1", 3), diffGet("/m", 4), diffGetC("/m", "JSESSIONID=x.t2", 5),
				diffGet("/m", 4), diffGetC("/m", diffJar, 2), diffGet("/m", 2),
			},
		})
	}
	cs = append(cs,
		diffCase{name: "sticky_cookie", workers: "two.properties", members: two, script: []diffStep{
			diffGet("/s", 1), diffGetC("/s", "JSESSIONID=x.t2", 4), diffGet("/s", 2), diffGetC("/s", "JSESSIONID=x.t1", 2),
			diffGet("/s", 1), diffGetC("/s", diffJar, 3),
		}},
		diffCase{name: "cookie_route_matches_no_member", workers: "two.properties", members: two, script: []diffStep{
			diffGetC("/s", "JSESSIONID=x.t9", 4), diffGetC("/s", "JSESSIONID=x.", 2), diffGetC("/s", "JSESSIONID=", 2),
			diffGetC("/s", "JSESSIONID=nodot", 2),
		}},
		diffCase{name: "first_dot_rule", workers: "two.properties", members: two, script: []diffStep{
			// route of a.b.t2 is b.t2 (after the first dot): no member.
			diffGetC("/s", "JSESSIONID=a.b.t2", 4), diffGetC("/s", "JSESSIONID=a.t2.b", 2), diffGetC("/s", "JSESSIONID=a.t2", 2),
		}},
		diffCase{name: "cookie_forms", workers: "two.properties", members: two, script: []diffStep{
			diffGetC("/s", "other=1; JSESSIONID=x.t2", 2), diffGetC("/s", `JSESSIONID="x.t2"`, 2),
			diffGetC("/s", "JSESSIONID = x.t2", 2), diffGetC("/s", "XJSESSIONID=x.t2", 2),
			diffGetC("/s", "JSESSIONID=x.t9; JSESSIONID=y.t2", 2), diffGetC("/s", "jsessionid=x.t2", 2),
		}},
		diffCase{name: "path_parameter", workers: "two.properties", members: two, script: []diffStep{
			diffGet("/s;jsessionid=x.t1", 3), diffGet("/s;jsessionid=x.t2?q=1", 2),
			// the path parameter wins over the cookie
			diffGetC("/s;jsessionid=x.t1", "JSESSIONID=y.t2", 2),
			diffGet("/a;jsessionid=x.t2/b", 2), diffGet("/s;JSESSIONID=x.t2", 2), diffGet("/s;jsessionid=x.t9", 2),
		}},
		diffCase{name: "session_cookie_ROUTEID", workers: "routeid.properties", members: two, script: []diffStep{
			diffGet("/s;jsessionid=x.t2", 3), diffGetC("/s", "ROUTEID=.t2", 3), diffGetC("/s", "JSESSIONID=x.t2", 3),
			diffGet("/s;ROUTEID=.t2", 2), diffGet("/s;jsessionid=x.t1", 2),
		}},
		diffCase{name: "activation_disabled", workers: "activation.properties", vars: map[string]string{"ACT": "D"},
			members: three, script: []diffStep{
				diffGet("/s", 4), diffGetC("/s", "JSESSIONID=x.t2", 3), diffGet("/s", 2), diffGetC("/s", "JSESSIONID=x.t3", 1),
				diffKill("t2"), diffGetC("/s", "JSESSIONID=x.t2", 2),
			}},
		diffCase{name: "activation_stopped", workers: "activation.properties", vars: map[string]string{"ACT": "S"},
			members: three, script: []diffStep{
				diffGet("/s", 4), diffGetC("/s", "JSESSIONID=x.t2", 3), diffGet("/s", 2), diffGet("/s;jsessionid=x.t2", 2),
			}},
		diffCase{name: "sticky_force_stopped", workers: "force.properties", vars: map[string]string{"ACT": "S"},
			members: two, script: []diffStep{
				diffGet("/s", 2), diffGetC("/s", "JSESSIONID=x.t2", 2), diffGetC("/s", "JSESSIONID=nodot", 2),
				diffGetC("/s", "JSESSIONID=x.t9", 2), diffGetC("/s", "JSESSIONID=x.t1", 2),
			}},
		diffCase{name: "sticky_force_dead", workers: "force.properties", vars: map[string]string{"ACT": "A"},
			members: two, script: []diffStep{
				diffGetC("/s", "JSESSIONID=x.t2", 2), diffKill("t2"), diffGetC("/s", "JSESSIONID=x.t2", 2), diffGet("/s", 3),
				diffGetC("/s", "JSESSIONID=x.t1", 1),
			}},
		diffCase{name: "distance_tiers", workers: "distance.properties", members: three, script: []diffStep{
			diffGet("/s", 4), diffGetC("/s", "JSESSIONID=x.t1", 2), diffKill("t2"), diffGet("/s", 3), diffKill("t3"), diffGet("/s", 3),
			diffRevive("t2", "t3"), diffGet("/s", 2),
		}},
		diffCase{name: "redirect", workers: "redirect.properties", members: three, script: []diffStep{
			diffGet("/s", 3), diffKill("t1"), diffGetC("/s", "JSESSIONID=x.t1", 3), diffGet("/s", 3),
		}},
		diffCase{name: "hot_standby", workers: "standby.properties", members: three, script: []diffStep{
			diffGet("/s", 4), diffKill("t1"), diffGet("/s", 2), diffKill("t2"), diffGet("/s", 3), diffGetC("/s", "JSESSIONID=x.t3", 1),
		}},
		diffCase{name: "domain", workers: "domain.properties", members: three, script: []diffStep{
			diffGetC("/s", "JSESSIONID=x.d2", 3), diffGetC("/s", "JSESSIONID=x.d1", 4), diffKill("t1"),
			diffGetC("/s", "JSESSIONID=x.t1", 3), diffGetC("/s", "JSESSIONID=x.d1", 2), diffKill("t3"),
			diffGetC("/s", "JSESSIONID=x.t3", 2), diffGetC("/s", "JSESSIONID=x.d2", 2),
		}},
		diffCase{name: "dead_members", workers: "two.properties", members: two, script: []diffStep{
			diffGet("/s", 2), diffKill("t1"), diffGet("/s", 4), diffGetC("/s", "JSESSIONID=x.t1", 2), diffKill("t2"), diffGet("/s", 2),
			diffGetC("/s", "JSESSIONID=x.t2", 1), diffRevive("t1", "t2"), diffGet("/s", 2),
		}},
		diffCase{name: "set_session_cookie", workers: "setcookie.properties", members: two, cookies: true,
			// docs/compat.md#sticky-sessions [verified]: appended after the member's own.
			wantCookies: []string{"JSESSIONID=000001.t1; Path=/", "JSESSIONID=.t1;PATH=/;HttpOnly"}, script: []diffStep{
				diffGet("/s", 2), diffGetC("/s", "JSESSIONID=x.t1", 2), diffGetC("/s", "JSESSIONID=x.t9", 1), diffGetC("/s", diffJar, 2),
				diffKill("t1"), diffGetC("/s", "JSESSIONID=x.t1", 2),
			}},
		diffCase{name: "rule_extensions", workers: "two.properties", members: two, mountFile: "extensions.uriworkermap",
			script: []diffStep{
				diffGetC("/ign/a", "JSESSIONID=x.t2", 4), diffGet("/stop/a", 2), diffGetC("/stop/a", "JSESSIONID=x.t1", 2),
				diffGet("/dis/a", 2), diffGetC("/dis/a", "JSESSIONID=x.t2", 2), diffGetC("/a", "JSESSIONID=x.t2", 1),
				diffGetC("/stl/a", "JSESSIONID=x.t1", 1), diffGet("/stl/a", 4),
			}},
		diffCase{name: "fail_on_status", workers: "failonstatus.properties", members: two, script: []diffStep{
			// 500 from t1: fatal, t1 goes to ERR and the request fails over.
			diffGet("/code/t1/500", 3), diffGet("/s", 2),
			// 404 from t2 with -404: fails over, t2 stays usable.
			diffGet("/code/t2/404", 3), diffGet("/s", 2),
			// a status not in the list passes through
			diffGet("/code/t2/503", 2),
		}},
		diffCase{name: "hung_member", workers: "hung.properties", members: two, script: []diffStep{
			// connects complete, the connect CPing is never answered
			diffGet("/s", 2), diffHang("t1"), diffGet("/s", 3), diffGetC("/s", "JSESSIONID=x.t1", 1), diffResume("t1"), diffGet("/s", 2),
		}},
		diffCase{name: "mount_exclusions", workers: "two.properties", members: two, mountFile: "exclusions.uriworkermap",
			script: []diffStep{
				diffGet("/index", 1), diffGet("/static/a.css", 1), diffGet("/static", 1), diffGet("/static/", 1), diffGet("/app/x", 1),
				diffGet("/app/img.gif", 1), diffGet("/img.gif", 1), diffGet("/static/../app/x", 1), diffGet("/app/..;/static/a", 1),
				diffGet("/Static/a", 1),
			}},
		diffCase{name: "unmapped_path", workers: "two.properties", members: two, mountFile: "unmapped.uriworkermap",
			script: []diffStep{diffGet("/other", 1), diffGet("/app", 1), diffGet("/app/", 1), diffGet("/app/x", 1), diffGet("/apps/x", 1)}},
		diffCase{name: "path_normalisation", workers: "direct.properties", members: two, mountFile: "paths.uriworkermap",
			script: []diffStep{
				diffGet("/app/x", 1), diffGet("/x", 1), diffGet("/app/..;/x", 1), diffGet("/a/%2e%2e/x", 1), diffGet("//x", 1),
				diffGet("/app/../x", 1), diffGet("/app/./../x", 1), diffGet("/x;p=1", 1), diffGet("/app;p=1/..;q=2/x", 1),
				diffGet("/app/%2E%2E/x", 1), diffGet("/.;/x", 1), diffGet("/a//../x", 1), diffGet("/app/x/..", 1),
			}},
		diffCase{name: "path_above_root", workers: "direct.properties", members: two, mountFile: "paths.uriworkermap",
			script: []diffStep{diffGet("/..", 1), diffGet("/../x", 1), diffGet("/app/../../x", 1), diffGet("/x", 1)}},
	)
	return cs
}

func diffRepeat(cycle []string, n int) []string {
	var out []string
	for len(out) < n {
		out = append(out, cycle[:min(len(cycle), n-len(out))]...)
	}
	return out
}

// TestModJKDifferential runs every case through mod_jk and jkbalancer and
// compares, request by request, status and answering member (and the
// forwarded URI, route and activation attributes; and Set-Cookie where the
// case asks for it).
func TestModJKDifferential(t *testing.T) {
	itRequireDeps(t, "httpd")
	for _, c := range diffCases() {
		t.Run(c.name, func(t *testing.T) { runDiffCase(t, c) })
	}
}

func runDiffCase(t *testing.T, c diffCase) {
	ms := map[string]*diffMember{}
	vars := map[string]string{}
	for k, v := range c.vars {
		vars["@"+k+"@"] = v
	}
	for _, n := range c.members {
		m := newDiffMember(t, n)
		ms[n] = m
		vars["@"+n+"@"] = strings.TrimPrefix(m.srv.Addr(), "127.0.0.1:")
	}
	spec := itSpec{workers: readDiffFile(t, c.workers, vars), jkMounts: c.jkMounts}
	if c.mountFile != "" {
		spec.mountFile = readDiffFile(t, c.mountFile, vars)
	}
	h := itStartHTTPD(t, spec)
	j := itStartJKB(t, spec, "")

	type proxy struct {
		name string
		addr string
		jar  string
		seq  []diffObs
	}
	px := []*proxy{{name: "mod_jk", addr: h.addr}, {name: "jkbalancer", addr: j.addr}}
	var script []string // what each index of seq was, for messages
	for _, s := range c.script {
		if s.action != nil {
			s.action(ms)
			continue
		}
		for range max(s.n, 1) {
			script = append(script, diffDescribe(s))
			for _, p := range px {
				cookie := s.cookie
				if cookie == diffJar {
					cookie = p.jar
				}
				o, err := diffRequest(p.addr, s.target, cookie)
				if err != nil {
					t.Fatalf("%s: request %d (%s): %v\nmod_jk:\n%s\njkbalancer:\n%s", p.name, len(script), diffDescribe(s),
						err, h.logs(), j.logs())
				}
				if jc := diffJarCookie(o.cookies); jc != "" {
					p.jar = jc
				}
				p.seq = append(p.seq, o)
			}
		}
	}
	mk, jk := px[0].seq, px[1].seq
	keys := func(seq []diffObs, f func(diffObs) string) []string {
		out := make([]string, len(seq))
		for i, o := range seq {
			out[i] = f(o)
		}
		return out
	}
	mkKeys, jkKeys := keys(mk, diffObs.key), keys(jk, diffObs.key)
	if c.want != nil && !itEqual(mkKeys, c.want) {
		t.Errorf("mod_jk itself does not produce the pinned sequence (the test's expectation is wrong):\n%s",
			diffSideBySide(script, c.want, mkKeys, "pinned", "mod_jk"))
	}
	if c.want != nil && !itEqual(jkKeys, c.want) {
		t.Errorf("jkbalancer does not produce the pinned sequence:\n%s", diffSideBySide(script, c.want, jkKeys, "pinned", "jkbalancer"))
	}
	if c.wantCookies != nil {
		for _, p := range px {
			if len(p.seq) == 0 || !itEqual(p.seq[0].cookies, c.wantCookies) {
				got := []string(nil)
				if len(p.seq) > 0 {
					got = p.seq[0].cookies
				}
				t.Errorf("%s: Set-Cookie of request 1 = %q, want %q", p.name, got, c.wantCookies)
			}
		}
	}
	if !itEqual(mkKeys, jkKeys) {
		t.Errorf("status/member sequences differ from mod_jk:\n%s\n--- mod_jk log\n%s\n--- jkbalancer log\n%s",
			diffSideBySide(script, mkKeys, jkKeys, "mod_jk", "jkbalancer"), h.logs(), j.logs())
	}
	var undefined []string
	for i := range min(len(mk), len(jk)) {
		// After domain routing mod_jk 1.2.48 sends undefined bytes as
		// the route attribute (a dangling pointer; seen as "\x11\x7f"):
		// nothing to reproduce, so that field is not compared there.
		if strings.Contains(mk[i].route, `\x`) {
			undefined = append(undefined, fmt.Sprintf("#%d mod_jk %s jkbalancer %s", i+1, mk[i].route, jk[i].route))
			mk[i].route, jk[i].route = "(undefined)", "(undefined)"
		}
	}
	if undefined != nil {
		t.Logf("mod_jk sent undefined bytes as the route attribute (not compared): %s", strings.Join(undefined, "; "))
	}
	if md, jd := keys(mk, diffObs.detail), keys(jk, diffObs.detail); !itEqual(md, jd) {
		t.Errorf("forwarded URI / route / activation differ from mod_jk:\n%s", diffSideBySide(script, md, jd, "mod_jk", "jkbalancer"))
	}
	if c.cookies {
		cj := func(o diffObs) string { return strings.Join(o.cookies, " | ") }
		if mc, jc := keys(mk, cj), keys(jk, cj); !itEqual(mc, jc) {
			t.Errorf("Set-Cookie headers differ from mod_jk:\n%s", diffSideBySide(script, mc, jc, "mod_jk", "jkbalancer"))
		}
	}
	if testing.Verbose() {
		t.Logf("sequence:\n%s", diffSideBySide(script, mkKeys, jkKeys, "mod_jk", "jkbalancer"))
	}
}

func diffDescribe(s diffStep) string {
	d := "GET " + s.target
	if s.cookie != "" {
		d += " [Cookie: " + s.cookie + "]"
	}
	return d
}

func readDiffFile(t *testing.T, name string, vars map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "diff", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	// Longest keys first so that @t1@ never eats part of another key.
	ks := make([]string, 0, len(vars))
	for k := range vars {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return len(ks[i]) > len(ks[j]) })
	for _, k := range ks {
		s = strings.ReplaceAll(s, k, vars[k])
	}
	if m := diffPlaceholderRE.FindString(s); m != "" {
		t.Fatalf("%s: placeholder %s has no value in the case table", name, m)
	}
	return s
}

var diffPlaceholderRE = regexp.MustCompile(`@[A-Za-z0-9]+@`)

func diffRequest(addr, target, cookie string) (diffObs, error) {
	var hs []string
	if cookie != "" {
		hs = append(hs, "Cookie: "+cookie)
	}
	r, err := itRawGet(addr, target, hs...)
	if err != nil {
		return diffObs{}, err
	}
	o := diffObs{status: r.status, member: r.header.Get("X-Member"), uri: r.header.Get("X-Uri"),
		route: r.header.Get("X-Route-Attr"), act: r.header.Get("X-Activation"), cookies: r.header.Values("Set-Cookie")}
	if o.member == "" {
		o.member = "-"
	}
	if o.status != http.StatusOK && o.member == "-" {
		o.uri, o.route, o.act = "", "", ""
	}
	return o, nil
}

// diffJarCookie returns "JSESSIONID=<value>" from the last Set-Cookie
// that sets JSESSIONID, as a browser would keep it.
func diffJarCookie(setCookies []string) string {
	out := ""
	for _, sc := range setCookies {
		nv, _, _ := strings.Cut(sc, ";")
		if name, _, ok := strings.Cut(nv, "="); ok && strings.TrimSpace(name) == "JSESSIONID" {
			out = strings.TrimSpace(nv)
		}
	}
	return out
}

func itEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func diffSideBySide(script, a, b []string, an, bn string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "  %-3s %-44s %-36s %-36s\n", "#", "request", an, bn)
	for i := range max(len(a), len(b)) {
		diffGet := func(s []string) string {
			if i < len(s) {
				return s[i]
			}
			return "(none)"
		}
		mark := " "
		if diffGet(a) != diffGet(b) {
			mark = "!"
		}
		fmt.Fprintf(&sb, "%s %-3d %-44s %-36s %-36s\n", mark, i+1, diffGet(script), diffGet(a), diffGet(b))
	}
	return sb.String()
}
