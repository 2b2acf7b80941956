package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// sessionStore is the sessions one Tomcat knows, or a cluster of them
// when shared (replication), by id base.
type sessionStore struct {
	mu  sync.Mutex
	n   int
	ids map[string]bool
}

// tomcatMember answers like Tomcat with jvmRoute=route and, when binder,
// JvmRouteBinderValve: /login creates a session unless the request
// brings one the store knows; a known session of another route is
// rebound to route (Set-Cookie base.route); other paths create nothing.
// (An HTTP member: this package's tests may not import ajp; server's
// tests run the same over AJP.)
func tomcatMember(route string, st *sessionStore, binder bool) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent := ""
		if c, err := r.Cookie("JSESSIONID"); err == nil {
			sent = c.Value
		}
		base, _, _ := strings.Cut(sent, ".")
		st.mu.Lock()
		known := sent != "" && st.ids[base]
		hand := ""
		switch {
		case known && binder && sent != base+"."+route:
			hand = base + "." + route
		case !known && r.URL.Path == "/login":
			st.n++
			base = route + "S" + strconv.Itoa(st.n)
			st.ids[base] = true
			hand = base + "." + route
		}
		st.mu.Unlock()
		if hand != "" {
			w.Header().Add("Set-Cookie", "JSESSIONID="+hand+"; Path=/; HttpOnly")
		}
	}))
}

// replicationConfig writes a workers.properties with an lb of the
// members, named node1, node2, ... after their order.
func replicationConfig(t *testing.T, ms ...*httptest.Server) string {
	t.Helper()
	props := "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers="
	for i := range ms {
		if i > 0 {
			props += ","
		}
		props += "node" + strconv.Itoa(i+1)
	}
	props += "\n"
	for i, m := range ms {
		host, port, _ := net.SplitHostPort(m.Listener.Addr().String())
		n := "node" + strconv.Itoa(i+1)
		props += "worker." + n + ".type=http\nworker." + n + ".host=" + host + "\nworker." + n + ".port=" + port + "\n"
	}
	wf := filepath.Join(t.TempDir(), "workers.properties")
	if err := os.WriteFile(wf, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	return wf
}

// runCheckArgs runs jkbalancer check with args and returns its output
// and exit code (0 for success, -1 for an error that is no exit status).
func runCheckArgs(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	c := newRootCommand()
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs(append([]string{"check"}, args...))
	err := c.Execute()
	var ee exitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String(), ee.code
	}
	return out.String() + err.Error(), -1
}

// TestCheckReplication: members that share their sessions (a cluster with
// JvmRouteBinderValve) are kept both ways and check exits 0; members that
// do not are lost, with the fix, and check exits 1.
func TestCheckReplication(t *testing.T) {
	shared := &sessionStore{ids: map[string]bool{}}
	c1 := tomcatMember("node1", shared, true)
	defer c1.Close()
	c2 := tomcatMember("node2", shared, true)
	defer c2.Close()
	out, code := runCheckArgs(t, "--workers", replicationConfig(t, c1, c2), "--probe", "--replication",
		"--probe-path", "/login", "--replication-wait", "10ms")
	if code != 0 || !strings.Contains(out, "FROM \\ TO  node1  node2\nnode1      -      kept\nnode2      kept   -\n") ||
		!strings.Contains(out, "2 pair(s): 2 kept, 0 lost, 0 unknown") {
		t.Fatalf("cluster: exit %d\n%s", code, out)
	}

	p1 := tomcatMember("node1", &sessionStore{ids: map[string]bool{}}, true)
	defer p1.Close()
	p2 := tomcatMember("node2", &sessionStore{ids: map[string]bool{}}, true)
	defer p2.Close()
	wf := replicationConfig(t, p1, p2)
	out, code = runCheckArgs(t, "--workers", wf, "--probe", "--replication", "--probe-path", "/login", "--replication-wait", "10ms")
	if code != 1 || !strings.Contains(out, "node1      -      lost\nnode2      lost   -\n") ||
		!strings.Contains(out, "lb node1 -> node2: lost: node2 did not know the session created on node1") ||
		strings.Count(out, "fix: session replication between node1 and node2 is not working") != 1 || strings.Count(out, "fix: session") != 1 {
		t.Fatalf("plain pair: exit %d\n%s", code, out)
	}

	out, code = runCheckArgs(t, "--workers", wf, "--probe", "--replication", "--probe-path", "/login", "--replication-wait", "10ms", "--json")
	var doc struct {
		Replication []struct{ LB, From, To, Result string }
	}
	if code != 1 || json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &doc) != nil || len(doc.Replication) != 2 {
		t.Fatalf("--json: exit %d\n%s", code, out)
	}
	if p := doc.Replication[0]; p.LB != "lb" || p.From != "node1" || p.To != "node2" || p.Result != "lost" {
		t.Errorf("--json pair %+v", p)
	}
}

// TestCheckReplicationUnchecked: a path that creates no session makes the
// check impossible: said so, exit 2; a member that does not answer makes
// its pairs unknown with the reason; --replication needs --probe.
func TestCheckReplicationUnchecked(t *testing.T) {
	shared := &sessionStore{ids: map[string]bool{}}
	c1 := tomcatMember("node1", shared, true)
	defer c1.Close()
	c2 := tomcatMember("node2", shared, true)
	defer c2.Close()
	wf := replicationConfig(t, c1, c2)
	out, code := runCheckArgs(t, "--workers", wf, "--probe", "--replication", "--replication-wait", "10ms")
	if code != 2 || !strings.Contains(out, "replication of lb lb could not be checked: no member set a session at /") {
		t.Fatalf("no session at /: exit %d\n%s", code, out)
	}

	c2.Close()
	out, code = runCheckArgs(t, "--workers", wf, "--probe", "--replication", "--probe-path", "/login", "--replication-wait", "10ms")
	if code != 1 || !strings.Contains(out, "node1      -        unknown\n") ||
		!strings.Contains(out, "lb node1 -> node2: unknown: node2 did not answer") ||
		!strings.Contains(out, "lb node2 -> node1: unknown: no session: node2 did not answer") {
		t.Fatalf("member down: exit %d\n%s", code, out)
	}

	if out, code := runCheckArgs(t, "--workers", wf, "--replication"); code != -1 || !strings.Contains(out, "--replication needs --probe") {
		t.Fatalf("without --probe: exit %d\n%s", code, out)
	}
}
