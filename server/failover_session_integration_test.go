//go:build integration

// The passive failover classification (docs/sessions.md) against real
// Tomcat 10 pairs (cluster_harness_test.go): a session is created through
// jkbalancer, its node is killed, and the next request of the session
// fails over to the other node. The clustered pair (DeltaManager,
// JvmRouteBinderValve) answers with the same id rebound to its route:
// kept. The plain pair answers with a new session: lost, and the doctor
// reports session_lost in the log, the status worker and /metrics.
//
// Run: go test -tags integration -count=1 -run TestSessionFailoverTomcat -v ./server/

package server

import (
	"strings"
	"testing"
)

func TestSessionFailoverTomcat(t *testing.T) {
	itRequireDeps(t, "tomcat")
	itPairsPrestart()
	for _, clustered := range []bool{true, false} {
		name := map[bool]string{true: "clustered", false: "plain"}[clustered]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			itSessionFailoverCounted(t, clustered)
		})
	}
}

func itSessionFailoverCounted(t *testing.T, clustered bool) {
	tcs := itClusterPair(t, clustered)
	j := itStartJKB(t, itSpec{workers: itPairWorkers(tcs), jkMounts: itPairMounts}, adminYAML)
	f := itFront{"jkbalancer", j.addr, j.logs}
	before := itNewSessionOn(t, f, "")
	victim, other := tcs[0], tcs[1]
	if before.node == tcs[1].name {
		victim, other = tcs[1], tcs[0]
	}
	if clustered {
		itPairWaitReplicated(t, other, before.session, before.count)
	}
	if fo := j.srv.SessionFailovers(); len(fo) != 0 {
		t.Fatalf("failovers before any failover: %+v", fo)
	}
	itPairKill(t, victim)
	after := itSessionGet(t, f, before.session)
	if after.node != other.name {
		t.Fatalf("after killing %s, session %s was served by %s", victim.name, before.session, after.node)
	}
	result, other1 := "lost", "kept"
	if clustered {
		result, other1 = "kept", "lost"
	}
	m := scrapeMetrics(t, j.srv.AdminAddr())
	series := func(res string) float64 {
		return m.get("jkbalancer_session_failovers_total", "lb", "lb", "from", victim.name, "to", other.name, "result", res)
	}
	if series(result) != 1 || series(other1) != 0 || series("unknown") != 0 {
		t.Fatalf("failover of %s (%s -> %s, answer Set-Cookie %q): %s=%v %s=%v unknown=%v, want %s=1\n%s",
			before.session, victim.name, other.name, after.cookie, result, series(result), other1, series(other1),
			series("unknown"), result, j.logs())
	}
	t.Logf("%s pair: session %s of %s failed over to %s, answer %s: jkbalancer_session_failovers_total{result=%q} 1",
		map[bool]string{true: "clustered", false: "plain"}[clustered], before.session, victim.name, other.name,
		after.cookie, result)
	gauge := m.get("jkbalancer_session_route_problems", "lb", "lb", "member", other.name, "kind", "session_lost")
	_, txt, _ := itGetTxt(t, j.addr+"/jk-status?mime=txt")
	lostLine := `member="` + other.name + `" kind="session_lost" seen="` + victim.name + `"`
	if !clustered {
		fs := j.srv.Findings()
		if len(fs) != 1 || fs[0].Kind.String() != "session_lost" || fs[0].Member != other.name || fs[0].Seen != victim.name {
			t.Fatalf("findings: %+v", fs)
		}
		if gauge != 1 || !strings.Contains(txt, lostLine) {
			t.Errorf("session_lost gauge %v; status txt:\n%s", gauge, txt)
		}
		t.Logf("doctor: %s\n  fix: %s", fs[0].Problem, fs[0].Fix)
		return
	}
	if gauge != -1 || strings.Contains(txt, "session_lost") {
		t.Errorf("session_lost on the clustered pair: gauge %v; status txt:\n%s", gauge, txt)
	}
}

// itGetTxt GETs http://addr (a path included) and returns its status,
// body and head.
func itGetTxt(t *testing.T, url string) (int, string, map[string][]string) {
	t.Helper()
	addr, path, _ := strings.Cut(url, "/")
	r, err := itRawGet(addr, "/"+path)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return r.status, string(r.body), r.header
}
