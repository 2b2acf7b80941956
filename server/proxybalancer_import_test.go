package server

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/httpdimport"
)

// aapConf is issue 4's Active/Active/Passive httpd.conf: two actives at
// loadfactor 1 and 5, a hot standby, sticky on JSESSIONID. The actives
// have retry=1 so the test sees them come back within seconds.
const aapConf = `Listen 80
<Proxy balancer://mycluster>
    BalancerMember ajp://127.0.0.1:%s loadfactor=1 route=a1 retry=1
    BalancerMember ajp://127.0.0.1:%s loadfactor=5 route=a2 retry=1
    BalancerMember ajp://127.0.0.1:%s status=+H route=s1
</Proxy>
ProxyPass / balancer://mycluster/ stickysession=JSESSIONID|jsessionid
`

// pbStartImported imports conf with `jkbalancer import` and serves the
// result on 127.0.0.1:0.
func pbStartImported(t *testing.T, conf string) (*testServer, *httpdimport.Imported) {
	t.Helper()
	dir := t.TempDir()
	httpdConf := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(httpdConf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	im, err := httpdimport.Import(httpdConf, httpdimport.Options{})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	yamlFile := filepath.Join(dir, "jkbalancer.yaml")
	if err := os.WriteFile(yamlFile, im.YAML, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{ConfigFile: yamlFile, Listen: []string{"127.0.0.1:0"}})
	if cfg == nil {
		t.Fatalf("the imported configuration does not load: %v\n%s", problems, im.YAML)
	}
	return serveTest(t, cfg), im
}

// pbRouteOf sends one GET and returns the status and the route of the
// member that answered ("" when none did).
func pbRouteOf(t *testing.T, client *http.Client, url, cookie string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if r, ok := strings.CutPrefix(l, "route="); ok {
			return resp.StatusCode, r
		}
	}
	return resp.StatusCode, ""
}

// TestImportActiveActivePassive is issue 4's import test: the imported
// configuration splits new sessions 1:5 between the actives, sends the
// standby nothing while an active lives, keeps sessions on their member,
// serves everything from the standby without an error when both actives
// are down, and returns new traffic to the actives once they are back and
// their retry has passed.
func TestImportActiveActivePassive(t *testing.T) {
	a1, a2, s1 := ajptest.NewServer(ajptest.EchoHandler("a1")), ajptest.NewServer(ajptest.EchoHandler("a2")),
		ajptest.NewServer(ajptest.EchoHandler("s1"))
	for _, m := range []*ajptest.Server{a1, a2, s1} {
		defer m.Close()
	}
	ts, im := pbStartImported(t, fmt.Sprintf(aapConf, portOf(a1), portOf(a2), portOf(s1)))
	for _, l := range im.Leftovers {
		t.Errorf("leftover: %s", l)
	}
	client := &http.Client{Timeout: 10 * time.Second}

	// 60 requests without a cookie: mod_jk's method R with lbfactors 1
	// and 5 gives a1 once in every 6 (a1 a2 a2 a2 a2 a2); mod_proxy's
	// byrequests gives the same counts in another order (a2 a2 a1 a2 a2
	// a2). Exactly 10:50, and each window of 6 has one a1.
	count := map[string]int{}
	var seq []string
	for range 60 {
		status, route := pbRouteOf(t, client, ts.base+"/x", "")
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		count[route]++
		seq = append(seq, route)
	}
	if count["a1"] != 10 || count["a2"] != 50 || count["s1"] != 0 {
		t.Fatalf("split %v, want a1:10 a2:50 s1:0", count)
	}
	for i := 0; i < 60; i += 6 {
		if n := strings.Count(strings.Join(seq[i:i+6], " "), "a1"); n != 1 {
			t.Fatalf("window %d..%d has %d a1: %v", i+1, i+6, n, seq)
		}
	}

	// Sessions stick, the standby's too.
	for _, r := range []string{"a1", "a2", "s1"} {
		for range 5 {
			if status, got := pbRouteOf(t, client, ts.base+"/x", "JSESSIONID=0123."+r); status != 200 || got != r {
				t.Fatalf("session of %s went to %s (%d)", r, got, status)
			}
		}
	}
	if _, got := pbRouteOf(t, client, ts.base+"/x;jsessionid=0123.a1", ""); got != "a1" {
		t.Fatalf("path session of a1 went to %s", got)
	}

	// Both actives down: everything is served by the standby, no error,
	// also for the sessions of the dead actives.
	a1.Close()
	a2.Close()
	for i := range 20 {
		cookie := ""
		if i%2 == 1 {
			cookie = "JSESSIONID=0123.a2"
		}
		if status, got := pbRouteOf(t, client, ts.base+"/x", cookie); status != 200 || got != "s1" {
			t.Fatalf("request %d with both actives down: %d from %q, want 200 from s1", i+1, status, got)
		}
	}

	// Actives back: once their retry (1 s) passed and a probe found them,
	// new traffic goes to them again and the standby is idle.
	if err := a1.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := a2.Restart(); err != nil {
		t.Fatal(err)
	}
	back := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !back; {
		if _, got := pbRouteOf(t, client, ts.base+"/x", ""); got == "a1" || got == "a2" {
			back = true
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !back {
		t.Fatalf("the actives got no traffic within 20 s of coming back\n%s", ts.log.String())
	}
	// Settle: both actives readmitted, then the standby gets nothing.
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		seen := map[string]int{}
		for range 12 {
			_, got := pbRouteOf(t, client, ts.base+"/x", "")
			seen[got]++
		}
		if seen["s1"] == 0 && seen["a1"] > 0 && seen["a2"] > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the standby still gets traffic 20 s after the actives came back")
}
