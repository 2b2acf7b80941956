package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestStateFileRefusedEditSurvivesReloadAndIsWrittenLater: a status edit
// whose state file cannot be written (its directory is missing, as a full
// disk refuses it) applies, is not lost by a reload (which would read the
// old file again), and the maintenance retry writes it once the file can
// be written, without another edit. The error log says each change once.
func TestStateFileRefusedEditSurvivesReloadAndIsWrittenLater(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	yaml := "listen: [\"127.0.0.1:0\"]\nworkers_file: $DIR/workers.properties\nmounts: [\"/*=lb\", \"/jk-status=jkstatus\"]\n" +
		"state_file: $DIR/state/state.json\n" + adminYAML
	status := "worker.list=jkstatus\nworker.jkstatus.type=status\n"
	ms := []*ajptest.Server{t1, t2}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": yaml, "workers.properties": lbWorkers(ms, status)})
	r.statusUpdate("w=lb&sw=t1&vwf=5")
	r.statusUpdate("w=lb&sw=t2&vwa=d")
	r.mustReload(nil)
	r.mustReload(nil)
	if f, a := member(r.lb("lb"), "t1").LBFactor, member(r.lb("lb"), "t2").Activation.String(); f != 5 || a != "Disabled" {
		t.Fatalf("after two reloads: t1 lbfactor %d, t2 %s; want the edits 5 and Disabled\n%s", f, a, r.log.String())
	}
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 4); got["t1"] != 4 {
		t.Errorf("with t2 disabled: %v", got)
	}

	if v := scrapeMetrics(t, r.srv.AdminAddr()).get("jkbalancer_file_write_failing", "file", "state_file"); v != 1 {
		t.Errorf("/metrics: state_file failing %v while it lacks the edits, want 1", v)
	}
	state := filepath.Join(r.dir, "state", "state.json")
	if err := os.Mkdir(filepath.Dir(state), 0o700); err != nil {
		t.Fatal(err)
	}
	r.srv.rt.Load().store.Retry() // what the maintenance loop does every 10 s
	data, err := os.ReadFile(state)
	if err != nil || !strings.Contains(string(data), `"value": "5"`) || !strings.Contains(string(data), `"value": "DIS"`) {
		t.Fatalf("state file once writable: %v\n%s", err, data)
	}
	if v := scrapeMetrics(t, r.srv.AdminAddr()).get("jkbalancer_file_write_failing", "file", "state_file"); v != 0 {
		t.Errorf("/metrics: state_file failing %v once written, want 0", v)
	}
	log := r.log.String()
	if n := strings.Count(log, "the state file cannot be written"); n != 1 {
		t.Errorf("%d lines about the failed writes, want 1:\n%s", n, log)
	}
	if n := strings.Count(log, "the state file can be written again"); n != 1 {
		t.Errorf("%d lines about the writes resuming, want 1:\n%s", n, log)
	}
}
