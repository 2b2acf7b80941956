//go:build integration

// check --probe --replication against real Tomcat 10
// (docs/doctor.md#check---probe---replication): the jkbalancer command,
// built from cmd/jkbalancer, run on the clustered pair of
// cluster_harness_test.go says kept both ways and exits 0; on the plain
// pair it says lost both ways, with the fix, and exits 1.
//
// Run: go test -tags integration -count=1 -run TestCheckReplicationTomcat -v ./server/

package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// itJKBBinary builds the jkbalancer command into dir.
func itJKBBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "jkbalancer")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/jkbalancer/jkbalancer/cmd/jkbalancer").CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/jkbalancer: %v\n%s", err, out)
	}
	return bin
}

// itRunCheck runs bin check with args (120 s at most) and returns its
// stdout, stderr and exit status.
func itRunCheck(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"check"}, args...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &ee):
		return stdout.String(), stderr.String(), ee.ExitCode()
	}
	t.Fatalf("check %v: %v\n%s%s", args, err, stdout.String(), stderr.String())
	return "", "", -1
}

func TestCheckReplicationTomcat(t *testing.T) {
	itRequireDeps(t, "tomcat")
	itPairsPrestart()
	dir := t.TempDir()
	bin := itJKBBinary(t, dir)
	for _, clustered := range []bool{true, false} {
		tcs := itClusterPair(t, clustered)
		wf := filepath.Join(dir, fmt.Sprintf("workers-%v.properties", clustered))
		if err := os.WriteFile(wf, []byte(itPairWorkers(tcs)), 0o600); err != nil {
			t.Fatal(err)
		}
		a, b := tcs[0].name, tcs[1].name
		// The default --replication-wait: it must be enough for Tomcat.
		out, errOut, code := itRunCheck(t, bin, "--workers", wf, "--probe", "--replication", "--probe-path", itPairApp+"/session.jsp")
		want, wantCode := "kept", 0
		if !clustered {
			want, wantCode = "lost", 1
		}
		t.Logf("%s pair: exit %d\n%s", want, code, out)
		if code != wantCode || !strings.Contains(out, fmt.Sprintf("2 pair(s): %d kept, %d lost, 0 unknown", 2-2*wantCode, 2*wantCode)) {
			t.Fatalf("%s pair: exit %d, want %d\n%s%s", want, code, wantCode, out, errOut)
		}
		if !clustered && !strings.Contains(out, "fix: session replication between "+a+" and "+b+" is not working") {
			t.Errorf("plain pair: no fix\n%s", out)
		}

		out, errOut, code = itRunCheck(t, bin, "--workers", wf, "--probe", "--replication", "--probe-path", itPairApp+"/session.jsp", "--json")
		var doc struct {
			Replication []struct{ LB, From, To, Result string }
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || code != wantCode || len(doc.Replication) != 2 {
			t.Fatalf("--json: exit %d, %v\n%s%s", code, err, out, errOut)
		}
		for _, p := range doc.Replication {
			if p.LB != "lb" || p.Result != want {
				t.Errorf("--json pair %+v, want %s", p, want)
			}
		}
	}
}
