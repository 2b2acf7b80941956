package server

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestDiscoverStateFileBringsEditsBack: with a state_file, an edit of a
// member comes back when its pod returns after an answer without it;
// the member's worker name is the key.
func TestDiscoverStateFileBringsEditsBack(t *testing.T) {
	pods := echoPods(t, "tomcat-0", "tomcat-1")
	dns := newFakeDNS()
	dns.setPods(srvName, pods)
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": discoverYAML + "state_file: $DIR/state.json\n",
		"workers.properties": discoverWorkers("")}, dns)
	r.statusUpdate("w=lb&sw=lb/tomcat-1&vwa=d")
	dns.setPods(srvName, pick(pods, "tomcat-0"))
	r.srv.rediscover(true)
	if got := strings.Join(r.memberNames("lb"), ","); got != "lb/tomcat-0" {
		t.Fatalf("members %s", got)
	}
	dns.setPods(srvName, pods)
	r.srv.rediscover(true)
	if a := member(r.lb("lb"), "lb/tomcat-1").Activation; a != config.Disabled {
		t.Errorf("tomcat-1 back with activation %v, want the saved Disabled", a)
	}
}

// TestDiscoverMetrics: the lookups, changes, member counts and failure
// streaks are on /metrics.
func TestDiscoverMetrics(t *testing.T) {
	pods := echoPods(t, "tomcat-0", "tomcat-1")
	dns := newFakeDNS()
	dns.setPods(srvName, pick(pods, "tomcat-0"))
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": discoverYAML + "admin: {listen: \"127.0.0.1:0\"}\n",
		"workers.properties": discoverWorkers("")}, dns)
	dns.setPods(srvName, pods)
	r.srv.rediscover(true)
	dns.fail(io.ErrUnexpectedEOF)
	r.srv.rediscover(true)
	r.srv.rediscover(true)
	resp, err := http.Get("http://" + r.srv.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`jkbalancer_discover_lookups_total{result="ok"} 2`,
		`jkbalancer_discover_lookups_total{result="failed"} 2`,
		`jkbalancer_discover_lookups_total{result="empty"} 0`,
		`jkbalancer_discover_changes_total{result="ok"} 1`,
		`jkbalancer_discover_members{lb="lb"} 2`,
		`jkbalancer_discover_failures_in_a_row{lb="lb"} 2`,
		`member="lb/tomcat-1"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("no %s in /metrics", want)
		}
	}
}
