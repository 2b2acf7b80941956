package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The design's size limits (docs/design.md#size-and-shape): a package of
// more than about 25 files, or a file of more than about 450 lines, is a
// sign that a concern wants a package or a file of its own. The limits
// below are the hard edge of "about"; the design aims lower (400 lines).
const (
	maxPackageFiles = 25
	maxFileLines    = 450
)

// TestPackageAndFileSize fails when a package has more non-test Go files,
// or a non-test Go file more lines, than the design allows.
func TestPackageAndFileSize(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{.Dir}}|{{join .GoFiles \" \"}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	pkgs := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			t.Fatalf("go list line %q", line)
		}
		pkgs++
		files := strings.Fields(f[2])
		if len(files) > maxPackageFiles {
			t.Errorf("%s has %d non-test files (at most %d): split it by concern", f[0], len(files), maxPackageFiles)
		}
		for _, name := range files {
			b, err := os.ReadFile(filepath.Join(f[1], name))
			if err != nil {
				t.Fatal(err)
			}
			if n := bytes.Count(b, []byte("\n")); n > maxFileLines {
				t.Errorf("%s/%s has %d lines (at most %d)", f[0], name, n, maxFileLines)
			}
		}
	}
	if pkgs < 10 {
		t.Fatalf("only %d packages listed:\n%s", pkgs, out)
	}
}
