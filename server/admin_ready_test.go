package server

import (
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/balancer"
)

// TestReadyzForcedRecovery: once every member of the only mounted lb is
// dead, maintenance forces them into ERR/FRC (mod_jk force_recovery) and
// the pick tries them again, but every request still gets 503: /readyz
// must say not ready, until the last error is older than recover_time
// (then the next request is a recovery attempt, as for ERR/REC).
func TestReadyzForcedRecovery(t *testing.T) {
	t1 := ajptest.NewServer(ajptest.EchoHandler("t1"))
	workers := "worker.list=lb,spare\nworker.maintain=1\nworker.t1.host=127.0.0.1\nworker.t1.port=" + portOf(t1) +
		"\nworker.lb.type=lb\nworker.lb.balance_workers=t1\nworker.lb.recover_time=60\n" +
		// An lb nothing is mounted to: its healthy member serves no request.
		"worker.spare.type=lb\nworker.spare.balance_workers=t1\n"
	as := newAdminServer(t, workers, adminYAML)
	as.serve()
	t1.Close()
	base := "http://" + as.srv.Addrs()[0]
	if code, _ := httpStatus(t, base+"/app/x"); code != 503 {
		t.Fatalf("request with the only member down: %d", code)
	}
	rt := as.srv.rt.Load()
	failed := rt.lbByName["lb"].Snapshot().Members[0].LastErrorTime
	if failed.IsZero() {
		t.Fatal("t1 has no error time after a refused request")
	}
	now := failed.Add(2 * time.Second)
	rt.maintain(now)
	if s := rt.lbByName["lb"].Snapshot().Members[0].State; s != balancer.StateForce {
		t.Fatalf("t1 is %s after maintenance with every member in ERR, want ERR/FRC", s)
	}
	if ok, why := workersReady(rt, now); ok || !strings.Contains(why, "lb lb: t1 ERR/FRC ACT") {
		t.Errorf("every member in forced recovery: ready=%v %q, want not ready naming lb", ok, why)
	}
	later := failed.Add(61 * time.Second)
	if ok, why := workersReady(rt, later); !ok {
		t.Errorf("forced-recovery member past recover_time: not ready (%q); nothing could ever bring it back", why)
	}
}
