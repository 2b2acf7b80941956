//go:build integration

// Differential tests against real httpd + mod_proxy_balancer (Debian
// apache2): one httpd.conf with <Proxy balancer://...>, BalancerMember and
// ProxyPass runs in httpd, and the same file, imported with `jkbalancer
// import`, runs in jkbalancer, in front of the same in-process AJP
// members. Every request of a script goes to both and must be answered by
// the same member with the same status. Where the two products
// legitimately differ (docs/config.md#mod_proxy_balancer-configurations), the
// case says why and each product is held to its own pinned sequence.
//
// Run: go test -tags integration -count=1 -run TestProxyBalancer ./server/

package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/httpdimport"
)

// pbHTTPDConf is httpd with mod_proxy_balancer and one child process
// (the balancer state lives in shared memory, but one child keeps the
// pick order free of races between children).
const pbHTTPDConf = `ServerRoot /etc/apache2
ServerName localhost
Listen 127.0.0.1:{{PORT}}
PidFile {{DIR}}/httpd.pid
ErrorLog {{DIR}}/error.log
DefaultRuntimeDir {{DIR}}
Mutex file:{{DIR}} default
LogLevel warn
{{USER}}
LoadModule mpm_event_module {{MODS}}/mod_mpm_event.so
LoadModule authz_core_module {{MODS}}/mod_authz_core.so
LoadModule proxy_module {{MODS}}/mod_proxy.so
LoadModule proxy_ajp_module {{MODS}}/mod_proxy_ajp.so
LoadModule proxy_http_module {{MODS}}/mod_proxy_http.so
LoadModule proxy_balancer_module {{MODS}}/mod_proxy_balancer.so
LoadModule slotmem_shm_module {{MODS}}/mod_slotmem_shm.so
LoadModule lbmethod_byrequests_module {{MODS}}/mod_lbmethod_byrequests.so
StartServers 1
ServerLimit 1
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 64
MinSpareThreads 1
MaxSpareThreads 64
KeepAlive On
{{BODY}}
`

// pbProxyModules are the modules the configuration needs.
var pbProxyModules = []string{"mod_proxy.so", "mod_proxy_ajp.so", "mod_proxy_http.so", "mod_proxy_balancer.so",
	"mod_slotmem_shm.so", "mod_lbmethod_byrequests.so"}

// pbStartHTTPD starts httpd + mod_proxy_balancer with body and returns it
// with the path of its httpd.conf.
func pbStartHTTPD(t *testing.T, body string) (*itHTTPD, string) {
	t.Helper()
	itRequireDeps(t, "httpd")
	for _, m := range pbProxyModules {
		if _, err := os.Stat(filepath.Join(itApacheModules, m)); err != nil {
			if itInCI() {
				t.Fatalf("CI is set and %s is missing (package apache2)", m)
			}
			t.Skipf("%s not available (package apache2)", m)
		}
	}
	itHTTPDSeqMu.Lock()
	itHTTPDSeq++
	n := itHTTPDSeq
	itHTTPDSeqMu.Unlock()
	dir := filepath.Join(itBase, fmt.Sprintf("httpd-proxy-%d", n))
	os.MkdirAll(dir, 0o777)
	os.Chmod(dir, 0o777)
	user := ""
	if os.Geteuid() == 0 {
		user = "User www-data\nGroup www-data"
	}
	h := &itHTTPD{dir: dir, conf: filepath.Join(dir, "httpd.conf")}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := itFreePort(t)
		conf := strings.NewReplacer("{{PORT}}", strconv.Itoa(port), "{{DIR}}", dir, "{{USER}}", user,
			"{{MODS}}", itApacheModules, "{{BODY}}", body).Replace(pbHTTPDConf)
		if err := os.WriteFile(h.conf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		h.addr = fmt.Sprintf("127.0.0.1:%d", port)
		if lastErr = h.start(); lastErr == nil {
			t.Cleanup(func() { h.stop(t) })
			return h, h.conf
		}
		h.stop(t)
	}
	t.Fatalf("httpd + mod_proxy_balancer did not start: %v", lastErr)
	return nil, ""
}

// pbStartJKB imports conf and runs the result in-process on 127.0.0.1:0.
func pbStartJKB(t *testing.T, conf string) *itJKB {
	t.Helper()
	im, err := httpdimport.Import(conf, httpdimport.Options{})
	if err != nil {
		t.Fatalf("jkbalancer import %s: %v", conf, err)
	}
	dir := t.TempDir()
	yaml := filepath.Join(dir, "jkbalancer.yaml")
	if err := os.WriteFile(yaml, im.YAML, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{ConfigFile: yaml, Listen: []string{"127.0.0.1:0"}})
	if cfg == nil {
		t.Fatalf("the configuration imported from httpd.conf does not load:\n%v\n--- yaml\n%s", problems, im.YAML)
	}
	return itRunJKB(t, dir, cfg)
}

// pbCase is one differential case. body is the httpd.conf part with the
// balancer; @t1@.. are the members' AJP ports.
type pbCase struct {
	name    string
	members []string // AJP members, @NAME@ in body
	http    []string // HTTP members, @NAME@ in body; killed by pbKillHTTP
	body    string
	script  []diffStep
	// differs, when set, is why the products legitimately differ in this
	// case (docs/config.md); httpd and jkbalancer are then each held to their
	// pinned sequence instead of to each other.
	differs            string
	wantHTTPD, wantJKB []string
	wantBoth           []string // pinned, when both must give it
}

const pbTwo = `<Proxy balancer://c>
    BalancerMember ajp://127.0.0.1:@t1@ route=t1 @F1@
    BalancerMember ajp://127.0.0.1:@t2@ route=t2 @F2@
</Proxy>
ProxyPass / balancer://c/ @PARAMS@
`

func pbTwoBody(f1, f2, params string) string {
	return strings.NewReplacer("@F1@", f1, "@F2@", f2, "@PARAMS@", params).Replace(pbTwo)
}

func pbCases() []pbCase {
	two := []string{"t1", "t2"}
	three := []string{"t1", "t2", "t3"}
	sticky := "stickysession=JSESSIONID|jsessionid"
	return []pbCase{
		{
			name: "byrequests_1_5", members: two, body: pbTwoBody("loadfactor=1", "loadfactor=5", ""),
			script: []diffStep{diffGet("/m", 12)},
			differs: "byrequests is a weighted round robin in both, with the same counts over every 6 requests " +
				"but another order: mod_proxy lets the member with the largest lbstatus win, mod_jk's method R " +
				"starts with the lowest lb_value in configuration order (docs/config.md)",
			wantHTTPD: diffRepeat([]string{"200 t2", "200 t2", "200 t1", "200 t2", "200 t2", "200 t2"}, 12),
			wantJKB:   diffRepeat([]string{"200 t1", "200 t2", "200 t2", "200 t2", "200 t2", "200 t2"}, 12),
		},
		{
			name: "byrequests_1_1", members: two, body: pbTwoBody("", "", ""),
			script:   []diffStep{diffGet("/m", 6)},
			wantBoth: diffRepeat([]string{"200 t1", "200 t2"}, 6),
		},
		{
			name: "hot_standby", members: three, body: `<Proxy balancer://c>
    BalancerMember ajp://127.0.0.1:@t1@ route=t1
    BalancerMember ajp://127.0.0.1:@t2@ route=t2
    BalancerMember ajp://127.0.0.1:@t3@ route=t3 status=+H
</Proxy>
ProxyPass / balancer://c/ stickysession=JSESSIONID|jsessionid
`,
			script: []diffStep{diffGet("/s", 4), diffKill("t1"), diffGet("/s", 3), diffKill("t2"), diffGet("/s", 4),
				diffGetC("/s", "JSESSIONID=x.t3", 2), diffGetC("/s", "JSESSIONID=x.t1", 2)},
		},
		{
			name: "lbset_tiers", members: three, body: `<Proxy balancer://c>
    BalancerMember ajp://127.0.0.1:@t1@ route=t1 lbset=0
    BalancerMember ajp://127.0.0.1:@t2@ route=t2 lbset=1
    BalancerMember ajp://127.0.0.1:@t3@ route=t3 lbset=1
</Proxy>
ProxyPass / balancer://c/
`,
			script: []diffStep{diffGet("/s", 3), diffKill("t1"), diffGet("/s", 4), diffKill("t2"), diffGet("/s", 2)},
		},
		{
			name: "sticky_cookie", members: two, body: pbTwoBody("", "", sticky),
			script: []diffStep{diffGet("/s", 1), diffGetC("/s", "JSESSIONID=x.t2", 3), diffGet("/s", 2),
				diffGetC("/s", "JSESSIONID=x.t1", 2), diffGetC("/s", "JSESSIONID=x.t9", 2), diffGetC("/s", diffJar, 3),
				diffGetC("/s", "other=1; JSESSIONID=y.t2", 2), diffGetC("/s", "JSESSIONID=a.b.t2", 2)},
		},
		{
			name: "sticky_path", members: two, body: pbTwoBody("", "", sticky),
			script: []diffStep{diffGet("/s;jsessionid=x.t2", 3), diffGet("/s;jsessionid=x.t1?q=1", 2),
				diffGetC("/s;jsessionid=x.t1", "JSESSIONID=y.t2", 2), diffGet("/s;jsessionid=x.t9", 2)},
		},
		{
			name: "nofailover", members: two, body: pbTwoBody("", "", sticky+" nofailover=On"),
			script: []diffStep{diffGetC("/s", "JSESSIONID=x.t2", 2), diffKill("t2"), diffGetC("/s", "JSESSIONID=x.t2", 2),
				diffGet("/s", 2), diffGetC("/s", "JSESSIONID=x.t1", 1), diffGetC("/s", "JSESSIONID=x.t9", 1)},
			differs: "a session whose route names no member: mod_proxy balances it (the route is not a member's), " +
				"mod_jk's sticky_session_force answers 503 for any session it cannot place (docs/config.md)",
			wantHTTPD: []string{"200 t2", "200 t2", "503 -", "503 -", "200 t1", "200 t1", "200 t1", "200 t1"},
			wantJKB:   []string{"200 t2", "200 t2", "503 -", "503 -", "200 t1", "200 t1", "200 t1", "503 -"},
		},
		{
			name: "dead_member", members: two, body: pbTwoBody("", "", sticky),
			script: []diffStep{diffGet("/s", 2), diffKill("t1"), diffGet("/s", 4), diffGetC("/s", "JSESSIONID=x.t1", 2)},
		},
		{
			name: "all_dead", members: two, body: pbTwoBody("", "", sticky),
			script: []diffStep{diffGet("/s", 2), diffKill("t1", "t2"), diffGet("/s", 3), diffGetC("/s", "JSESSIONID=x.t1", 1)},
		},
		{
			name: "disabled_drain_stopped", members: []string{"t1", "t2", "t3", "t4"}, body: `<Proxy balancer://c>
    BalancerMember ajp://127.0.0.1:@t1@ route=t1 status=+D
    BalancerMember ajp://127.0.0.1:@t2@ route=t2 status=+N
    BalancerMember ajp://127.0.0.1:@t3@ route=t3 status=+S
    BalancerMember ajp://127.0.0.1:@t4@ route=t4
</Proxy>
ProxyPass / balancer://c/ stickysession=JSESSIONID|jsessionid
`,
			script: []diffStep{diffGet("/s", 3), diffGetC("/s", "JSESSIONID=x.t1", 2), diffGetC("/s", "JSESSIONID=x.t2", 2),
				diffGetC("/s", "JSESSIONID=x.t3", 2)},
		},
		{
			name: "redirect", members: three, body: `<Proxy balancer://c>
    BalancerMember ajp://127.0.0.1:@t1@ route=t1 redirect=t2
    BalancerMember ajp://127.0.0.1:@t2@ route=t2
    BalancerMember ajp://127.0.0.1:@t3@ route=t3
</Proxy>
ProxyPass / balancer://c/ stickysession=JSESSIONID|jsessionid
`,
			script: []diffStep{diffGetC("/s", "JSESSIONID=x.t1", 2), diffKill("t1"), diffGetC("/s", "JSESSIONID=x.t1", 3)},
		},
		{
			name: "maxattempts_0", members: two, body: pbTwoBody("", "", "maxattempts=0"),
			script: []diffStep{diffGet("/s", 2), diffKill("t1"), diffGet("/s", 3)},
		},
		{
			// Issue 4's Active/Active/Passive pattern.
			name: "active_active_passive", members: three, body: `<Proxy balancer://mycluster>
    BalancerMember ajp://127.0.0.1:@t1@ loadfactor=1 route=t1
    BalancerMember ajp://127.0.0.1:@t2@ loadfactor=5 route=t2
    BalancerMember ajp://127.0.0.1:@t3@ status=+H route=t3
</Proxy>
ProxyPass / balancer://mycluster/ stickysession=JSESSIONID|jsessionid
`,
			script: []diffStep{diffGet("/s", 12), diffGetC("/s", "JSESSIONID=x.t1", 2), diffKill("t1", "t2"),
				diffGet("/s", 4), diffGetC("/s", "JSESSIONID=x.t2", 2)},
			differs:   "the 1:5 order, as in byrequests_1_5; sessions and the standby's takeover are the same",
			wantHTTPD: pbSeq(diffRepeat([]string{"t2", "t2", "t1", "t2", "t2", "t2"}, 12), "t1 t1 t3 t3 t3 t3 t3 t3"),
			wantJKB:   pbSeq(diffRepeat([]string{"t1", "t2", "t2", "t2", "t2", "t2"}, 12), "t1 t1 t3 t3 t3 t3 t3 t3"),
		},
		{
			name: "hot_spare", members: three, body: `<Proxy balancer://c>
    BalancerMember ajp://127.0.0.1:@t1@ route=t1
    BalancerMember ajp://127.0.0.1:@t2@ route=t2
    BalancerMember ajp://127.0.0.1:@t3@ route=t3 status=+R
</Proxy>
ProxyPass / balancer://c/
`,
			script:    []diffStep{diffGet("/s", 4), diffKill("t1"), diffGet("/s", 6), diffKill("t2"), diffGet("/s", 2)},
			differs:   "mod_proxy puts a hot spare in for each unusable member at once; jkbalancer's spare is a distance tier used only when no regular member of its lbset is left (docs/config.md)",
			wantHTTPD: pbSeq(nil, "t1 t2 t1 t2 t2 t3 t2 t3 t2 t3 t3 t3"),
			wantJKB:   pbSeq(nil, "t1 t2 t1 t2 t2 t2 t2 t2 t2 t2 t3 t3"),
		},
		{
			name: "ignore_errors", members: two, body: pbTwoBody("status=+I", "", ""),
			script:    []diffStep{diffGet("/s", 2), diffKill("t1"), diffGet("/s", 6)},
			differs:   "a +I member that fails: mod_proxy keeps it usable and so ends the request with 503; jkbalancer keeps it in the rotation too, but fails the request over to another member (docs/config.md)",
			wantHTTPD: pbSeq(nil, "t1 t2 - t2 - t2 - t2"),
			wantJKB:   pbSeq(nil, "t1 t2 t2 t2 t2 t2 t2 t2"),
		},
		{
			name: "http_members", http: []string{"h1", "h2"}, body: `<Proxy balancer://web>
    BalancerMember http://127.0.0.1:@h1@ route=h1 loadfactor=2
    BalancerMember http://127.0.0.1:@h2@ route=h2
</Proxy>
ProxyPass / balancer://web/ stickysession=JSESSIONID|jsessionid
`,
			script: []diffStep{diffGetC("/s", "JSESSIONID=x.h2", 2), diffGetC("/s", diffJar, 2), diffGetC("/s", "JSESSIONID=x.h1", 1),
				pbKillHTTP("h1"), diffGet("/s", 3), diffGetC("/s", "JSESSIONID=x.h1", 2)},
		},
		{
			name: "start_in_error", members: two, body: pbTwoBody("status=+E", "", "stickysession=JSESSIONID|jsessionid"),
			script: []diffStep{diffGet("/s", 4), diffGetC("/s", "JSESSIONID=x.t1", 2)},
			differs: "+E: httpd sets no error time, so it retries the member the first time it is picked and +E has no effect; " +
				"jkbalancer keeps it out until a probe after retry= found it alive (docs/config.md)",
			wantHTTPD: pbSeq(nil, "t1 t2 t1 t2 t1 t1"),
			wantJKB:   pbSeq(nil, "t2 t2 t2 t2 t2 t2"),
		},
	}
}

// pbNewHTTPMember is diffMember's HTTP counterpart: it answers 200 with
// X-Member and X-Uri and sets JSESSIONID=<n>.<name> on first contact.
func pbNewHTTPMember(name string) *httptest.Server {
	var mu sync.Mutex
	seq := map[string]int{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Member", name)
		w.Header().Set("X-Uri", strconv.QuoteToASCII(r.URL.EscapedPath()))
		if _, err := r.Cookie("JSESSIONID"); err != nil {
			mu.Lock()
			proxy := r.Header.Get("X-Forwarded-Port") + r.Header.Get("X-Forwarded-Host")
			seq[proxy]++
			n := seq[proxy]
			mu.Unlock()
			w.Header().Add("Set-Cookie", fmt.Sprintf("JSESSIONID=%06d.%s; Path=/", n, name))
		}
		fmt.Fprintf(w, "member=%s\n", name)
	}))
}

// pbKillHTTP stops HTTP members.
func pbKillHTTP(names ...string) diffStep {
	return diffStep{what: "kill http " + strings.Join(names, ",")}
}

// pbSeq turns member names ("-" for none, which is a 503) into the
// "status member" keys of a sequence: first the given ones, then those
// of the blank-separated list.
func pbSeq(names []string, more string) []string {
	var out []string
	for _, n := range append(names, strings.Fields(more)...) {
		if n == "-" {
			out = append(out, "503 -")
			continue
		}
		out = append(out, "200 "+n)
	}
	return out
}

// TestProxyBalancerDifferential runs every case through httpd +
// mod_proxy_balancer and through jkbalancer (imported from the same
// httpd.conf) and compares status and answering member request by request.
func TestProxyBalancerDifferential(t *testing.T) {
	itRequireDeps(t, "httpd")
	for _, c := range pbCases() {
		t.Run(c.name, func(t *testing.T) { runPBCase(t, c) })
	}
}

func runPBCase(t *testing.T, c pbCase) {
	ms := map[string]*diffMember{}
	repl := []string{}
	for _, n := range c.members {
		m := newDiffMember(t, n)
		ms[n] = m
		repl = append(repl, "@"+n+"@", strings.TrimPrefix(m.srv.Addr(), "127.0.0.1:"))
	}
	hs := map[string]*httptest.Server{}
	for _, n := range c.http {
		hs[n] = pbNewHTTPMember(n)
		t.Cleanup(hs[n].Close)
		repl = append(repl, "@"+n+"@", strings.TrimPrefix(hs[n].Listener.Addr().String(), "127.0.0.1:"))
	}
	body := strings.NewReplacer(repl...).Replace(c.body)
	h, conf := pbStartHTTPD(t, body)
	j := pbStartJKB(t, conf)
	type proxy struct {
		name, addr, jar string
		seq             []diffObs
	}
	px := []*proxy{{name: "httpd", addr: h.addr}, {name: "jkbalancer", addr: j.addr}}
	var script []string
	for _, s := range c.script {
		if names, ok := strings.CutPrefix(s.what, "kill http "); ok {
			for _, n := range strings.Split(names, ",") {
				hs[n].CloseClientConnections()
				hs[n].Close()
			}
			continue
		}
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
					t.Fatalf("%s: request %d (%s): %v", p.name, len(script), diffDescribe(s), err)
				}
				if jc := diffJarCookie(o.cookies); jc != "" {
					p.jar = jc
				}
				p.seq = append(p.seq, o)
			}
		}
	}
	keys := func(seq []diffObs) []string {
		out := make([]string, len(seq))
		for i, o := range seq {
			out[i] = o.key()
		}
		return out
	}
	hk, jk := keys(px[0].seq), keys(px[1].seq)
	logs := func() string {
		return "--- httpd error.log\n" + itTail(filepath.Join(h.dir, "error.log"), 20) + "\n--- jkbalancer\n" + j.logs()
	}
	pin := func(got, want []string, who string) {
		if want != nil && !itEqual(got, want) {
			t.Errorf("%s does not give the pinned sequence:\n%s\n%s", who, diffSideBySide(script, want, got, "pinned", who), logs())
		}
	}
	if c.differs != "" {
		t.Logf("the products differ here by design: %s", c.differs)
		pin(hk, c.wantHTTPD, "httpd")
		pin(jk, c.wantJKB, "jkbalancer")
	} else {
		pin(hk, c.wantBoth, "httpd")
		pin(jk, c.wantBoth, "jkbalancer")
		if !itEqual(hk, jk) {
			t.Errorf("status/member sequences differ from httpd + mod_proxy_balancer:\n%s\n%s",
				diffSideBySide(script, hk, jk, "httpd", "jkbalancer"), logs())
		}
	}
	if testing.Verbose() {
		t.Logf("sequence:\n%s", diffSideBySide(script, hk, jk, "httpd", "jkbalancer"))
	}
}
