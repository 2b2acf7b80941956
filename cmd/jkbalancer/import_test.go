package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportCommand(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "import", "aap", "httpd.conf")
	var stdout, stderr bytes.Buffer
	if err := runImport(&stdout, &stderr, src, "", ""); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "balancer://mycluster/") || !strings.Contains(stderr.String(), "carried over") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if strings.Contains(stderr.String(), "does not load") {
		t.Fatalf("the result does not load:\n%s", stderr.String())
	}

	out := t.TempDir()
	stdout.Reset()
	stderr.Reset()
	if err := runImport(&stdout, &stderr, src, out, ""); err != nil {
		t.Fatalf("import --out: %v\n%s", err, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("--out also printed the yaml")
	}
	if b, err := os.ReadFile(filepath.Join(out, "jkbalancer.yaml")); err != nil || !bytes.Contains(b, []byte("mycluster")) {
		t.Errorf("--out: %v %s", err, b)
	}

	// A configuration httpd would refuse: exit 1, nothing written.
	bad := filepath.Join(t.TempDir(), "bad.conf")
	os.WriteFile(bad, []byte("<VirtualHost *:80>\n"), 0o644)
	stdout.Reset()
	stderr.Reset()
	var ee exitError
	if err := runImport(&stdout, &stderr, bad, "", ""); !errors.As(err, &ee) || ee.code != 1 || stdout.Len() != 0 {
		t.Errorf("bad file: err %v, stdout %q", err, stdout.String())
	}
	if err := runImport(&stdout, &stderr, filepath.Join(out, "missing.conf"), "", ""); !errors.As(err, &ee) || ee.code != 1 {
		t.Errorf("missing file: err %v", err)
	}
}

// An access rule the import cannot carry fails the command (exit 1) after
// writing the result, with every such line marked error; one it carries
// does not.
func TestImportAccessErrorsExit(t *testing.T) {
	var stdout, stderr bytes.Buffer
	var ee exitError
	src := filepath.Join("..", "..", "testdata", "import", "jkstatus-refused", "httpd.conf")
	if err := runImport(&stdout, &stderr, src, "", ""); !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("err %v\n%s", err, stderr.String())
	}
	if n := errorLines(stderr.String()); n != 9 || !strings.Contains(stderr.String(), "import: error: 9 access rule(s)") {
		t.Errorf("%d error lines:\n%s", n, stderr.String())
	}
	if !strings.Contains(stdout.String(), "mounts:") {
		t.Errorf("the yaml was not written:\n%s", stdout.String())
	}
	stdout.Reset()
	stderr.Reset()
	src = filepath.Join("..", "..", "testdata", "import", "jkstatus", "httpd.conf")
	err := runImport(&stdout, &stderr, src, "", "")
	if !strings.Contains(stdout.String(), "worker.jkstatus.allow=127.0.0.1 10.1.0.0/16") {
		t.Errorf("allow not written:\n%s", stdout.String())
	}
	if strings.Contains(stderr.String(), "does not load") {
		t.Errorf("the result does not load:\n%s", stderr.String())
	}
	// The fixture keeps one application location with an IP rule: an error.
	if !errors.As(err, &ee) || errorLines(stderr.String()) != 1 {
		t.Errorf("err %v:\n%s", err, stderr.String())
	}
}

// errorLines counts the error-level leftover lines (file:line: error: ...).
func errorLines(s string) int {
	n := 0
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, ".conf:") && strings.Contains(l, ": error: ") {
			n++
		}
	}
	return n
}
