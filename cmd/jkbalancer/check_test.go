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
	"strings"
	"testing"
)

// TestCheckProbe runs check --probe through the command: a member whose
// session carries its route passes; one that is down fails the command.
func TestCheckProbe(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			w.Header().Add("Set-Cookie", "JSESSIONID=ABC.web; Path=/")
		}
	}))
	defer web.Close()
	host, port, _ := net.SplitHostPort(web.Listener.Addr().String())
	props := "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=web\n" +
		"worker.web.type=http\nworker.web.host=" + host + "\nworker.web.port=" + port + "\n"
	wf := filepath.Join(t.TempDir(), "workers.properties")
	if err := os.WriteFile(wf, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		c := newRootCommand()
		c.SetOut(&out)
		c.SetErr(&out)
		c.SetArgs(append([]string{"check", "--workers", wf, "--probe"}, args...))
		err := c.Execute()
		return out.String(), err
	}
	out, err := run("--probe-path", "/login")
	if err != nil || !strings.Contains(out, "lb  web") || !strings.Contains(out, "1 member(s) probed, 0 problem(s)") {
		t.Fatalf("healthy member: %v\n%s", err, out)
	}
	out, err = run()
	if err != nil || !strings.Contains(out, "no session created at /") {
		t.Fatalf("no session at /: %v\n%s", err, out)
	}
	out, err = run("--probe-path", "/login", "--json")
	var doc struct{ Problems int }
	if err != nil || json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &doc) != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}

	web.Close()
	out, err = run("--probe-path", "/login", "--probe-timeout", "2s")
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out, "unreachable") {
		t.Fatalf("member down: %v\n%s", err, out)
	}
}

// TestCheckLogFile: check fails, with the line and the property, on a
// log.file serve could not open (serve used to pass check and then die).
func TestCheckLogFile(t *testing.T) {
	dir := t.TempDir()
	cf := filepath.Join(dir, "jkbalancer.yaml")
	yaml := "workers_file: workers.properties\nmounts: [\"/*=w\"]\nlog:\n  file: " + filepath.Join(dir, "nodir", "jk.log") + "\n"
	if err := os.WriteFile(cf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "workers.properties"), []byte("worker.list=w\nworker.w.host=127.0.0.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c := newRootCommand()
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs([]string{"check", "--config", cf})
	err := c.Execute()
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out.String(), "jkbalancer.yaml:4: error: log.file: cannot create the log file") {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
}

// TestCheckPOSTReplayCount: the recovery_options warning says how often a
// POST that failed after reaching the worker may be sent to it, the
// number the worker itself keeps to (worker.SendLimit): retries=3 alone,
// retries=2 for an lb member, which then fails over; once with retries=1.
func TestCheckPOSTReplayCount(t *testing.T) {
	dir := t.TempDir()
	wp := filepath.Join(dir, "workers.properties")
	props := "worker.list=solo,lb\nworker.solo.host=127.0.0.1\nworker.solo.retries=3\n" +
		"worker.lb.type=lb\nworker.lb.balance_workers=a,b\nworker.a.host=127.0.0.1\nworker.a.route=a\n" +
		"worker.b.host=127.0.0.1\nworker.b.route=b\nworker.b.retries=1\n"
	if err := os.WriteFile(wp, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c := newRootCommand()
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs([]string{"check", "--workers", wp, "--mount", "/*=lb"})
	if err := c.Execute(); err != nil {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"a POST that fails after reaching worker solo may be sent to it up to 3 times (retries=3) when no answer comes",
		"a POST that fails after reaching worker a may be sent to it up to 2 times (retries=2) and then to another member",
		"a POST that fails after reaching worker b may be sent to it once (retries=1) and then to another member",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check does not say %q:\n%s", want, out.String())
		}
	}
}

// TestCheckErrorsAndRisksTogether: the risk warnings (POST replay, here)
// are listed with the errors, in file order, and the exit status stays 1.
// check used to hide every risk warning while any error existed.
func TestCheckErrorsAndRisksTogether(t *testing.T) {
	wp := filepath.Join(t.TempDir(), "workers.properties")
	props := "worker.list=solo,old\nworker.solo.host=127.0.0.1\nworker.solo.retries=3\n" +
		"worker.old.type=ajp12\n"
	if err := os.WriteFile(wp, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c := newRootCommand()
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs([]string{"check", "--workers", wp, "--mount", "/*=solo"})
	err := c.Execute()
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("check with an error: %v\n%s", err, out.String())
	}
	text := out.String()
	risk := strings.Index(text, "worker solo may be sent to it up to 3 times")
	bad := strings.Index(text, "ajp12 is obsolete")
	if risk < 0 || bad < 0 {
		t.Fatalf("check hides a problem (risk at %d, error at %d):\n%s", risk, bad, text)
	}
	if risk > bad { // line 3 before line 4
		t.Errorf("problems not in file order:\n%s", text)
	}
	if !strings.Contains(text, "1 error(s), ") || strings.Contains(text, ", 0 warning(s)") {
		t.Errorf("summary does not count the warnings:\n%s", text)
	}
}
