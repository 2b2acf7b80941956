//go:build integration

// Integration tests of the status worker: the machine formats of a running
// jkbalancer against real httpd + mod_jk for the same workers.properties
// (the key sets must be equal), and an update through the status URL that
// changes routing over real Tomcats at once and survives a restart.

package server

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// stWorkers has an lb whose members nothing answers for (so both servers
// show the same idle state), an lb whose only member refuses connections
// (one request puts it in ERR, so the error_time keys appear), a plain
// ajp13 worker and the status worker.
func stWorkers(closed int) string {
	return fmt.Sprintf(`worker.list=lb,broken,direct,jkstatus
worker.lb.type=lb
worker.lb.balance_workers=m1,m2
worker.m1.host=127.0.0.1
worker.m1.port=%d
worker.m1.route=r1
worker.m2.host=127.0.0.1
worker.m2.port=%d
worker.m2.lbfactor=3
worker.m2.domain=dom
worker.broken.type=lb
worker.broken.balance_workers=dead
worker.dead.host=127.0.0.1
worker.dead.port=%d
worker.direct.host=localhost
worker.direct.port=%d
worker.jkstatus.type=status
`, closed, closed, closed, closed)
}

var stMounts = []string{"/jk-status jkstatus", "/app/* lb", "/broken/* broken", "/d/* direct"}

// stGet fetches a path and fails unless it answers 200.
func stGet(t *testing.T, addr, path string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, b)
	}
	return string(b)
}

// propKeys are the keys of prop output.
func propKeys(body string) []string {
	var keys []string
	for _, line := range strings.Split(body, "\n") {
		if k, _, ok := strings.Cut(line, "="); ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// txtKeys are "Label: key" for every key of every txt line; quoted values
// may hold spaces.
func txtKeys(body string) []string {
	var keys []string
	for _, line := range strings.Split(body, "\n") {
		label, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		for rest != "" {
			rest = strings.TrimLeft(rest, " ")
			k, v, ok := strings.Cut(rest, "=")
			if !ok {
				break
			}
			keys = append(keys, label+": "+k)
			if strings.HasPrefix(v, `"`) {
				end := strings.Index(v[1:], `"`)
				rest = v[end+2:]
			} else if i := strings.IndexByte(v, ' '); i >= 0 {
				rest = v[i:]
			} else {
				rest = ""
			}
		}
	}
	return keys
}

// xmlKeys are "path/element@attribute" for every attribute, and the
// element paths.
func xmlKeys(t *testing.T, body string) []string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	var path []string
	var keys []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("xml: %v\n%s", err, body)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			path = append(path, e.Name.Local)
			p := strings.Join(path, "/")
			keys = append(keys, p)
			for _, a := range e.Attr {
				keys = append(keys, p+"@"+a.Name.Space+":"+a.Name.Local)
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		}
	}
	return keys
}

// sameSet compares two key lists as sets (with multiplicity ignored).
func sameSet(t *testing.T, what string, modjk, jkb []string) {
	t.Helper()
	set := func(l []string) map[string]bool {
		m := map[string]bool{}
		for _, k := range l {
			m[k] = true
		}
		return m
	}
	a, b := set(modjk), set(jkb)
	var onlyA, onlyB []string
	for k := range a {
		if !b[k] {
			onlyA = append(onlyA, k)
		}
	}
	for k := range b {
		if !a[k] {
			onlyB = append(onlyB, k)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	if len(onlyA)+len(onlyB) > 0 {
		t.Errorf("%s: keys only mod_jk has: %v; keys only jkbalancer has: %v", what, onlyA, onlyB)
	}
	if len(a) < 5 && what != "update" {
		t.Errorf("%s: only %d keys; the comparison proves nothing", what, len(a))
	}
}

// TestStatusKeySetsMatchModJK parses the prop, txt and xml output of list,
// show (lb, member, plain worker), version and dump of jkbalancer and of
// httpd + mod_jk 1.2.48 for the same workers.properties and compares the
// key names. Every key mod_jk prints exists in jkbalancer; the values of
// ServerRoot (dump) and web_server differ by nature, the names do not.
func TestStatusKeySetsMatchModJK(t *testing.T) {
	itRequireDeps(t, "httpd")
	spec := itSpec{workers: stWorkers(itFreePort(t)), jkMounts: stMounts}
	h := itStartHTTPD(t, spec)
	j := itStartJKB(t, spec, "")
	for _, addr := range []string{h.addr, j.addr} {
		resp, err := http.Get("http://" + addr + "/broken/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	queries := []string{"", "cmd=show&w=lb", "cmd=show&w=lb&sw=m2", "cmd=show&w=broken", "cmd=show&w=direct",
		"cmd=version", "cmd=dump", "cmd=bogus", "opt=3", "cmd=update&w=lb&sw=m1&vwd=1"}
	for _, q := range queries {
		for _, mime := range []string{"prop", "txt", "xml"} {
			path := "/jk-status?mime=" + mime
			if q != "" {
				path += "&" + q
			}
			a, b := stGet(t, h.addr, path), stGet(t, j.addr, path)
			what := mime + " " + q
			if strings.Contains(q, "update") || q == "cmd=bogus" {
				what = "update"
			}
			switch mime {
			case "prop":
				sameSet(t, what, propKeys(a), propKeys(b))
			case "txt":
				sameSet(t, what, txtKeys(a), txtKeys(b))
			default:
				sameSet(t, what, xmlKeys(t, a), xmlKeys(t, b))
			}
			if t.Failed() {
				t.Fatalf("%s\n--- mod_jk:\n%s\n--- jkbalancer:\n%s", path, a, b)
			}
		}
	}
}

// TestStatusUpdateRoutesAtOnceAndSurvivesRestart disables tc1 through the
// status URL exactly as an existing script would (GET, mime=txt): new
// sessions avoid tc1 at once, a session already on tc1 still reaches it,
// and after a restart of jkbalancer with the same files tc1 is still
// disabled (state_file). /metrics on the admin listener shows it each time.
func TestStatusUpdateRoutesAtOnceAndSurvivesRestart(t *testing.T) {
	tcs := itTomcats(t)
	spec := itSpec{workers: tcWorkers(tcs, "R"), jkMounts: tcMounts}
	yaml := "state_file: " + filepath.Join(t.TempDir(), "jk.state") + "\n" + adminYAML
	j := itStartJKB(t, spec, yaml)

	// A session on tc1: method R alternates new sessions between the two.
	var sticky *tcClient
	for i := 0; i < 4 && sticky == nil; i++ {
		jar, _ := cookiejar.New(nil)
		c := newTCClient(t, j.addr, jar)
		if tcFields(string(stDo(c, "/session.jsp")))["node"] == "tc1" {
			sticky = c
		}
	}
	if sticky == nil || tcFields(string(stDo(sticky, "/session.jsp")))["node"] != "tc1" {
		t.Fatal("no session on tc1 after 4 new sessions")
	}

	if got := stGet(t, j.addr, "/jk-status?cmd=update&mime=txt&w=lb&sw=tc1&vwa=d"); got != "Result: type=OK message=\"Action finished\"\n" {
		t.Fatalf("update: %q", got)
	}
	fresh := newTCClient(t, j.addr, nil)
	for i := 0; i < 6; i++ {
		if node := tcFields(string(stDo(fresh, "/session.jsp")))["node"]; node != "tc2" {
			t.Fatalf("new request %d went to %s with tc1 disabled", i, node)
		}
	}
	if node := tcFields(string(stDo(sticky, "/session.jsp")))["node"]; node != "tc1" {
		t.Errorf("the session on disabled tc1 went to %s", node)
	}
	stWantDisabledMetric(t, j.srv)

	// Restart with the same files.
	j.srv.Close()
	j2 := itStartJKB(t, spec, yaml)
	if prop := stGet(t, j2.addr, "/jk-status?mime=prop"); !strings.Contains(prop, "worker.tc1.activation=DIS\n") {
		t.Fatalf("after the restart tc1 is not disabled:\n%s", prop)
	}
	stWantDisabledMetric(t, j2.srv)
	fresh = newTCClient(t, j2.addr, nil)
	for i := 0; i < 4; i++ {
		if node := tcFields(string(stDo(fresh, "/session.jsp")))["node"]; node != "tc2" {
			t.Fatalf("after the restart, new request %d went to %s", i, node)
		}
	}
	if node := tcFields(string(stDo(stRetarget(sticky, j2.addr), "/session.jsp")))["node"]; node != "tc1" {
		t.Errorf("after the restart, the tc1 session went to %s", node)
	}
}

// stWantDisabledMetric checks that /metrics shows tc1 disabled and tc2
// active in lb.
func stWantDisabledMetric(t *testing.T, srv *Server) {
	t.Helper()
	m := scrapeMetrics(t, srv.AdminAddr())
	for _, c := range []struct{ member, act string }{{"tc1", "DIS"}, {"tc2", "ACT"}} {
		if got := m.get("jkbalancer_member_activation", "lb", "lb", "member", c.member, "activation", c.act); got != 1 {
			t.Errorf("/metrics: %s activation %s = %v, want 1", c.member, c.act, got)
		}
	}
}

func stDo(c *tcClient, path string) []byte {
	c.t.Helper()
	resp, body := c.do("GET", path, nil)
	tcWantStatus(c.t, path, resp, body, 200)
	return body
}

// stRetarget sends a client's requests, with its cookies, to another
// address (cookies do not depend on the port).
func stRetarget(c *tcClient, addr string) *tcClient {
	d := *c
	d.base = "http://" + addr
	return &d
}
