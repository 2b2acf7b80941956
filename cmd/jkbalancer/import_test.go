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
