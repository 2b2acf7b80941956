package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/jkbalancer/jkbalancer"

// allowedImports is spec/design.md's import graph: a package may import
// only the project packages listed for it, plus the standard library and
// the third-party modules listed in allowedThirdParty.
var allowedImports = map[string][]string{
	"cmd/jkbalancer": {"server", "config"},
	"server":         {"config", "ajp", "ajp/ajptest", "worker", "sticky", "balancer", "health", "status", "server/h1"},
	"server/h1":      {}, // server's own HTTP/1 front end: stdlib only, like ajp
	"status":         {"balancer", "worker", "config"},
	"health":         {"worker", "ajp", "config"},
	"balancer":       {"worker", "sticky", "config"},
	"worker":         {"ajp", "config"},
	"sticky":         {},
	"ajp":            {},
	"ajp/ajptest":    {"ajp"},
	"config":         {},
	"bench/member":   {"ajp", "ajp/ajptest"},
	"bench/run":      {},
	// a dump member for the differential harness (server's integration
	// tests); like ajp/ajptest, test machinery only
	"internal/dumpmember": {"ajp"},
}

var allowedThirdParty = map[string][]string{
	"cmd/jkbalancer": {"github.com/spf13/cobra"},
	"config":         {"gopkg.in/yaml.v3"},
	"server":         {"github.com/prometheus/client_golang", "golang.org/x/time"},
	"status":         {"github.com/prometheus/client_golang"},
}

// TestImportGraph keeps the one-way import graph of spec/design.md: it
// fails when a package imports a project package or a module it may not.
func TestImportGraph(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		allowed, known := allowedImports[pkg]
		if !known {
			t.Errorf("package %s is not in the design's import graph; add it to spec/design.md and this test", pkg)
			continue
		}
		checked++
		for _, imp := range fields[1:] {
			if msg := checkImport(pkg, imp, allowed); msg != "" {
				t.Error(msg)
			}
		}
	}
	if checked < 6 {
		t.Fatalf("only %d packages checked; go list output:\n%s", checked, out)
	}
}

func checkImport(pkg, imp string, allowed []string) string {
	if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
		for _, a := range allowed {
			if rel == a {
				return ""
			}
		}
		return pkg + " must not import " + rel + " (spec/design.md import rules)"
	}
	first, _, _ := strings.Cut(imp, "/")
	if !strings.Contains(first, ".") {
		return "" // standard library
	}
	for _, mod := range allowedThirdParty[pkg] {
		if imp == mod || strings.HasPrefix(imp, mod+"/") {
			return ""
		}
	}
	return pkg + " must not import third-party " + imp
}
