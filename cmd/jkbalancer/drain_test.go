package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/server"
)

// drainJKB runs an in-process jkbalancer with an lb of two members (nothing
// answers for them: no traffic is needed) and a status worker at
// /jk-status that requires the login ops:pw and, strict, its forms' CSRF
// tokens for every change. It returns the listen address.
func drainJKB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sum := sha1.Sum([]byte("pw"))
	hp := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(hp, []byte("ops:{SHA}"+base64.StdEncoding.EncodeToString(sum[:])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wf := filepath.Join(dir, "workers.properties")
	props := "worker.list=lb,jkstatus\nworker.lb.type=lb\nworker.lb.balance_workers=m1,m2\n" +
		"worker.m1.host=127.0.0.1\nworker.m1.port=1\nworker.m2.host=127.0.0.1\nworker.m2.port=1\n" +
		"worker.jkstatus.type=status\nworker.jkstatus.user_file=" + hp + "\nworker.jkstatus.csrf=strict\n"
	if err := os.WriteFile(wf, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: wf, Listen: []string{"127.0.0.1:0"},
		Mounts: []string{"/jk-status=jkstatus", "/*=lb"}, Admin: "off"})
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	srv, err := server.New(cfg, server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		srv.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return srv.Addrs()[0]
}

// activation reads member's activation through the status worker.
func activation(t *testing.T, addr, member string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/jk-status?mime=prop", nil)
	req.SetBasicAuth("ops", "pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "worker."+member+".activation="); ok {
			return v
		}
	}
	t.Fatalf("no activation of %s in\n%s", member, b)
	return ""
}

func runCmd(args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	c := newRootCommand()
	c.SetOut(&out)
	c.SetErr(&errOut)
	c.SetArgs(args)
	err := c.Execute()
	return out.String(), errOut.String(), err
}

func exitCode(err error) int {
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	return 2
}

// TestDrainAndActivateTwoInstances: drain and activate through two
// jkbalancer status workers with login and strict CSRF (one login in the
// URL, one from --user), with --idle returning once the member is quiet.
func TestDrainAndActivateTwoInstances(t *testing.T) {
	a1, a2 := drainJKB(t), drainJKB(t)
	urls := []string{"--status", "http://ops:pw@" + a1 + "/jk-status", "--status", "http://" + a2 + "/jk-status", "--user", "ops:pw"}
	out, errOut, err := runCmd(append(append([]string{"drain"}, urls...), "--idle", "30ms", "--poll", "5ms", "--timeout", "60s", "lb/m1")...)
	if err != nil {
		t.Fatalf("drain: %v\n%s%s", err, out, errOut)
	}
	for _, a := range []string{a1, a2} {
		if got := activation(t, a, "m1"); got != "DIS" {
			t.Errorf("%s: m1 %s after drain", a, got)
		}
		if got := activation(t, a, "m2"); got != "ACT" {
			t.Errorf("%s: m2 %s after drain", a, got)
		}
	}
	if !strings.Contains(out, "lb/m1 DIS on http://"+a1+"/jk-status\n") || !strings.Contains(out, "idle for 30ms on all 2 instance(s)") {
		t.Errorf("drain output:\n%s", out)
	}
	if strings.Contains(out+errOut, "pw@") {
		t.Errorf("the password is printed:\n%s%s", out, errOut)
	}
	if out, errOut, err := runCmd(append([]string{"activate"}, append(urls, "lb/m1")...)...); err != nil {
		t.Fatalf("activate: %v\n%s%s", err, out, errOut)
	}
	for _, a := range []string{a1, a2} {
		if got := activation(t, a, "m1"); got != "ACT" {
			t.Errorf("%s: m1 %s after activate", a, got)
		}
	}
}

// TestDrainReportsEveryFailedInstance: an instance that refuses the
// login, one that is down and one that answers with an error page each
// make the exit status 1 and are named; the healthy one is still drained.
func TestDrainReportsEveryFailedInstance(t *testing.T) {
	good := drainJKB(t)
	errPage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Service Unavailable", 503)
	}))
	defer errPage.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := l.Addr().String()
	l.Close()
	out, errOut, err := runCmd("drain", "--request-timeout", "5s",
		"--status", "http://ops:pw@"+good+"/jk-status",
		"--status", "http://ops:wrong@"+good+"/jk-status",
		"--status", "http://"+down+"/jk-status",
		"--status", errPage.URL+"/jk-status", "--idle", "1h", "lb/m1")
	if exitCode(err) != 1 {
		t.Fatalf("exit %v, want 1\n%s%s", err, out, errOut)
	}
	for _, want := range []string{"401", down, "503 Service Unavailable", "3 instance(s) not changed", "NOT DIS"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not name %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "waiting") {
		t.Errorf("waited for idle after a failed drain:\n%s", errOut)
	}
	if got := activation(t, good, "m1"); got != "DIS" {
		t.Errorf("the healthy instance: m1 %s", got)
	}
}

// TestDrainTimeoutNamesBusyInstance: a member that keeps taking requests
// on one instance makes drain --idle exit 1 at --timeout naming it.
func TestDrainTimeoutNamesBusyInstance(t *testing.T) {
	quiet := drainJKB(t)
	var elected atomic.Int64
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("cmd") == "show" {
			fmt.Fprintf(w, "worker.lb.balance_workers=m1\nworker.m1.activation=DIS\nworker.m1.busy=0\nworker.m1.elected=%d\n", elected.Add(1))
		}
		fmt.Fprint(w, "worker.result.type=OK\nworker.result.message=Action finished\n")
	}))
	defer busy.Close()
	out, errOut, err := runCmd("drain", "--status", "http://ops:pw@"+quiet+"/jk-status", "--status", busy.URL+"/jk-status",
		"--idle", "20ms", "--poll", "5ms", "--timeout", "300ms", "lb/m1")
	if exitCode(err) != 1 {
		t.Fatalf("exit %v, want 1\n%s%s", err, out, errOut)
	}
	_, tail, _ := strings.Cut(errOut, "timeout:")
	if !strings.Contains(tail, "on 1 of 2 instance(s)") || !strings.Contains(tail, busy.URL) || strings.Contains(tail, quiet) {
		t.Errorf("the timeout report does not name the busy instance alone:\n%s", errOut)
	}
	if !strings.Contains(errOut, "waiting: ") {
		t.Errorf("no progress on stderr:\n%s", errOut)
	}
}

func TestDrainUsage(t *testing.T) {
	for _, args := range [][]string{
		{"drain", "lb/m1"},
		{"drain", "--status", "http://127.0.0.1:1/jk-status", "m1"},
		{"drain", "--status", "http://127.0.0.1:1/jk-status", "lb/"},
		{"drain", "--status", "http://127.0.0.1:1/jk-status", "--idle", "1s", "--timeout", "0s", "lb/m1"},
		{"activate", "--status", "http://127.0.0.1:1/jk-status"},
	} {
		if _, _, err := runCmd(args...); exitCode(err) != 2 {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
