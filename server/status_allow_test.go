package server

import (
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// worker.NAME.allow through the real listener: the TCP peer (127.0.0.1
// here) decides; an X-Forwarded-For the client writes does not.
func TestStatusAllowThroughServer(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	workers := strings.Replace(twoMembers(t1, t2, "worker.open.type=status\nworker.open.allow=127.0.0.1 ::1\n"+
		"worker.shut.type=status\nworker.shut.allow=10.0.0.0/8\n"), "worker.list=lb", "worker.list=lb,open,shut", 1)
	ts := startServer(t, map[string]string{"workers.properties": workers}, "/*=lb", "/open=open", "/shut=shut")
	if code, body, _ := get(t, ts.base+"/open?mime=txt"); code != 200 || !strings.Contains(body, "type=OK") {
		t.Errorf("loopback client on a loopback-only worker: %d %q", code, body)
	}
	if code, _, _ := get(t, ts.base+"/shut?mime=txt", "X-Forwarded-For", "10.0.0.1"); code != 403 {
		t.Errorf("loopback client outside allow (claiming 10.0.0.1): %d", code)
	}
}

// A reload applies a changed allow list, as it does every status key.
func TestStatusAllowReload(t *testing.T) {
	t1 := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer t1.Close()
	yaml := "listen: [\"127.0.0.1:0\"]\nworkers_file: $DIR/workers.properties\nmounts: [\"/*=lb\", \"/jk-status=jkstatus\"]\n"
	status := "worker.list=jkstatus\nworker.jkstatus.type=status\nworker.jkstatus.allow=10.0.0.0/8\n"
	ms := []*ajptest.Server{t1}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": yaml, "workers.properties": lbWorkers(ms, status)})
	if code, _, _ := get(t, r.url("/jk-status?mime=txt")); code != 403 {
		t.Fatalf("before the reload: %d", code)
	}
	r.mustReload(map[string]string{"workers.properties": lbWorkers(ms, status+"worker.jkstatus.allow=127.0.0.0/8\n")})
	if code, _, _ := get(t, r.url("/jk-status?mime=txt")); code != 200 {
		t.Errorf("after the reload: %d", code)
	}
}
