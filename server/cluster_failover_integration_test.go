//go:build integration

// The failover of a session, seen by its user, through jkbalancer and
// through httpd + mod_jk in front of the same Tomcat pair
// (cluster_harness_test.go): a session is created through each front end
// on the same node, the node is killed, and the next request of each
// session goes to the other node. On the clustered pair the session
// continues there (same id base, counter goes on, cookie rebound to the
// new route by JvmRouteBinderValve); on the plain pair it starts again
// (new id base, counter from 1). Both front ends must show the same.
//
// Run: go test -tags integration -count=1 -run TestClusterFailover -v ./server/

package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// itFront is one front end in front of a pair.
type itFront struct {
	name, addr string
	logs       func() string
}

// itPairFronts starts jkbalancer (with jkbalancer.yaml yaml, if any) and
// httpd + mod_jk with the same workers.properties (itPairWorkers) and
// mounts (itPairMounts) in front of tcs.
func itPairFronts(t *testing.T, tcs [2]*itTomcat, yaml string) []itFront {
	t.Helper()
	spec := itSpec{workers: itPairWorkers(tcs), jkMounts: itPairMounts}
	j := itStartJKB(t, spec, yaml)
	h := itStartHTTPD(t, spec)
	return []itFront{{"jkbalancer", j.addr, j.logs}, {"httpd+mod_jk", h.addr, h.logs}}
}

// itSessionStep is what one request of a session showed: the node that
// served it, the session id in the body, the counter and the session
// cookie set in the response ("" when none).
type itSessionStep struct {
	node, session, cookie string
	count                 int
}

// itSessionGet sends GET /cluster/session.jsp through addr with the
// session cookie id ("" for none).
func itSessionGet(t *testing.T, f itFront, id string) itSessionStep {
	t.Helper()
	var hdr []string
	if id != "" {
		hdr = append(hdr, "Cookie: JSESSIONID="+id)
	}
	r, err := itRawGet(f.addr, itPairApp+"/session.jsp", hdr...)
	if err != nil {
		t.Fatalf("%s: GET session.jsp with session %q: %v\n%s", f.name, id, err, f.logs())
	}
	if r.status != http.StatusOK {
		t.Fatalf("%s: GET session.jsp with session %q: status %d: %.300s\n%s", f.name, id, r.status, r.body, f.logs())
	}
	m := tcFields(string(r.body))
	s := itSessionStep{node: m["node"], session: m["session"]}
	s.count, err = strconv.Atoi(m["count"])
	if err != nil || s.node == "" || s.session == "" {
		t.Fatalf("%s: session.jsp answered %q", f.name, r.body)
	}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "JSESSIONID" {
			s.cookie = c.Value
		}
	}
	return s
}

// itIDBase is the session id without its route suffix.
func itIDBase(id string) string {
	base, _, _ := strings.Cut(id, ".")
	return base
}

// itNewSessionOn creates a session through f until one lands on node
// (any node when ""; at most 6 tries: the lb alternates between the two),
// then sends a second request with its cookie, which must stay there.
func itNewSessionOn(t *testing.T, f itFront, node string) itSessionStep {
	t.Helper()
	for try := 0; try < 6; try++ {
		s := itSessionGet(t, f, "")
		if node != "" && s.node != node {
			continue
		}
		if s.cookie != s.session || s.count != 1 || !strings.HasSuffix(s.session, "."+s.node) {
			t.Fatalf("%s: a new session on %s: body session %s count %d, cookie %q; want count 1 and the cookie "+
				"of the session with the suffix .%s", f.name, s.node, s.session, s.count, s.cookie, s.node)
		}
		again := itSessionGet(t, f, s.session)
		if again.node != s.node || again.session != s.session || again.count != 2 {
			t.Fatalf("%s: second request of session %s (sticky to %s) went to %s, session %s, count %d", f.name,
				s.session, s.node, again.node, again.session, again.count)
		}
		return again
	}
	t.Fatalf("%s: 6 new sessions, none on %s", f.name, node)
	return itSessionStep{}
}

func TestClusterFailover(t *testing.T) {
	itRequireDeps(t, "tomcat", "httpd")
	itPairsPrestart()
	for _, clustered := range []bool{true, false} {
		name := "plain"
		if clustered {
			name = "clustered"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			itClusterFailover(t, clustered)
		})
	}
}

// itFailover is what itPairFailover did: the node killed, the one the
// sessions failed over to, and per front end the session's last request
// before the kill and its first one after it.
type itFailover struct {
	victim, other *itTomcat
	before, after []itSessionStep
}

// itPairFailover creates a session through each front end, all on the
// same node (two requests each, the second sticky), waits until the other
// node has them (clustered pair) or checks it has not (plain pair), kills
// their node with SIGKILL and sends each session's next request through
// its front end, which must be served by the other node.
func itPairFailover(t *testing.T, clustered bool, tcs [2]*itTomcat, fronts []itFront) itFailover {
	t.Helper()
	fo := itFailover{before: make([]itSessionStep, len(fronts)), after: make([]itSessionStep, len(fronts))}
	for i, f := range fronts {
		node := ""
		if i > 0 {
			node = fo.before[0].node
		}
		fo.before[i] = itNewSessionOn(t, f, node)
	}
	fo.victim, fo.other = tcs[0], tcs[1]
	if fo.before[0].node == tcs[1].name {
		fo.victim, fo.other = tcs[1], tcs[0]
	}
	for _, b := range fo.before {
		if clustered {
			itPairWaitReplicated(t, fo.other, b.session, b.count)
		} else if m, err := itPairPeek(fo.other, b.session); err != nil || m["known"] != "false" {
			t.Fatalf("the plain pair: %s knows session %s of %s: %v %v", fo.other.name, b.session, fo.victim.name, m, err)
		}
	}
	itPairKill(t, fo.victim)
	for i, f := range fronts {
		fo.after[i] = itSessionGet(t, f, fo.before[i].session)
		if fo.after[i].node != fo.other.name {
			t.Fatalf("%s: after killing %s, session %s was served by %s, want %s", f.name, fo.victim.name,
				fo.before[i].session, fo.after[i].node, fo.other.name)
		}
		t.Logf("%s, %s pair, failover of session %s from %s: session %s, count %d, Set-Cookie %q", f.name,
			map[bool]string{true: "clustered", false: "plain"}[clustered], fo.before[i].session, fo.victim.name,
			fo.after[i].session, fo.after[i].count, fo.after[i].cookie)
	}
	return fo
}

// itClusterFailover runs the scenario on one pair through jkbalancer and
// httpd + mod_jk: the session continues (clustered) or starts again
// (plain), and the user-visible outcome is the same for both.
func itClusterFailover(t *testing.T, clustered bool) {
	tcs := itClusterPair(t, clustered)
	fronts := itPairFronts(t, tcs, "")
	fo := itPairFailover(t, clustered, tcs, fronts)
	other := fo.other
	outcomes := make([]string, len(fronts))
	for i, f := range fronts {
		before, after := fo.before[i], fo.after[i]
		kept := itIDBase(after.session) == itIDBase(before.session)
		outcomes[i] = fmt.Sprintf("served by %s, session kept %v, count %d, cookie rebound to the route %v",
			after.node, kept, after.count, after.cookie == after.session && strings.HasSuffix(after.cookie, "."+other.name))
		want := itSessionStep{node: other.name, count: 1, session: "a new id base." + other.name}
		if clustered {
			want = itSessionStep{node: other.name, count: before.count + 1, session: itIDBase(before.session) + "." + other.name}
		}
		if kept != clustered || after.count != want.count || after.cookie != after.session ||
			!strings.HasSuffix(after.session, "."+other.name) {
			t.Errorf("%s: failover from %s: got session %s count %d Set-Cookie %q; want session %s count %d and "+
				"that id in Set-Cookie", f.name, fo.victim.name, after.session, after.count, after.cookie, want.session,
				want.count)
		}
		next := itSessionGet(t, f, after.session)
		if next.node != other.name || next.session != after.session || next.count != after.count+1 {
			t.Errorf("%s: the request after the failover: node %s session %s count %d; want %s %s %d", f.name,
				next.node, next.session, next.count, other.name, after.session, after.count+1)
		}
	}
	if outcomes[0] != outcomes[1] {
		t.Errorf("the user-visible outcome differs:\n  %s: %s\n  %s: %s", fronts[0].name, outcomes[0],
			fronts[1].name, outcomes[1])
	}
}
