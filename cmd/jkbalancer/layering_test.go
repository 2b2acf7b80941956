package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/jkbalancer/jkbalancer"

// allowedImports is the design's import graph: a package may import
// only the project packages listed for it, plus the standard library and
// the third-party modules listed in allowedThirdParty.
var allowedImports = map[string][]string{
	// the demo command runs in-process AJP members (ajp/ajptest)
	"cmd/jkbalancer": {"server", "config", "probe", "httpdimport", "ajp/ajptest", "statusclient"},
	"server": {"config", "ajp", "worker", "accesslog", "admin", "sticky", "balancer", "health", "status", "server/h1",
		"registry", "doctor", "probe", "discover", "limits"},
	"server/h1":    {"internal/splice", "internal/sendwait", "internal/token"}, // server's own HTTP/1 front end: stdlib only, like ajp, and splice(2)
	"accesslog":    {},                                                         // the request log: fed an Entry by server, stdlib only
	"limits":       {},                                                         // the front end's limits; server says which configuration applies
	"status":       {"balancer", "worker", "config", "doctor", "editable"},
	"health":       {"worker", "ajp", "config"},
	"registry":     {"balancer", "status", "worker", "config", "doctor"}, // what survives a reload, one per server
	"balancer":     {"worker", "sticky", "config", "doctor", "editable"},
	"worker":       {"ajp", "config", "doctor", "editable", "internal/splice", "netpath", "internal/sendwait", "internal/token"},
	"editable":     {"config"}, // the table of attributes the status worker edits,
	"doctor":       {},         // the session-route doctor: below worker, which runs its check
	"probe":        {"config", "worker", "doctor"},
	"discover":     {"config"},
	"sticky":       {},
	"statusclient": {}, // mod_jk's status-worker HTTP API, for drain and activate: stdlib only
	"ajp":          {"netpath", "internal/sendwait"},
	"netpath":      {}, // TCP_INFO of a member connection: stdlib only, below ajp
	"ajp/ajptest":  {"ajp"},
	"config":       {"config/proxy", "config/mount", "config/props", "config/diag"},
	"config/proxy": {"config/props", "config/diag"}, // mod_proxy_balancer's balancers: as workers.properties lines
	"config/mount": {"config/props", "config/diag"}, // uriworkermap rules, precedence, matching
	"config/props": {"config/diag"},                 // the workers.properties reader
	"config/diag":  {},                              // file:line problems
	"httpdimport":  {"config", "config/proxy"},      // jkbalancer import: httpd.conf to jkbalancer.yaml
	"bench/member": {"ajp", "ajp/ajptest"},
	"bench/run":    {},
	// the admin listener reads the running server through admin.Source,
	// which server implements: never server itself
	"admin": {"status", "balancer", "worker", "config", "doctor"},
	// a dump member for the differential harness (server's integration
	// tests); like ajp/ajptest, test machinery only
	"internal/dumpmember": {"ajp"},
	// drives headless Chromium over the DevTools pipe for the status
	// page's browser test; stdlib only, test machinery only
	"internal/headless": {},
	// small helpers several packages' tests share (a locked log buffer)
	"internal/testutil": {},
	// splice(2) between two sockets, for worker's large bodies; stdlib only
	"internal/splice": {},
	// a write and the wait for the answer in one step; stdlib only
	"internal/sendwait": {},
	// the token, blank and field-name spelling rules both HTTP/1 parsers share; stdlib only
	"internal/token": {},
}

var allowedThirdParty = map[string][]string{
	"cmd/jkbalancer": {"github.com/spf13/cobra"},
	"config":         {"gopkg.in/yaml.v3"},
	"server":         {"github.com/prometheus/client_golang"},
	"limits":         {"golang.org/x/time"},
	"status":         {"github.com/prometheus/client_golang"},
	"admin":          {"github.com/prometheus/client_golang"},
	"discover":       {"github.com/prometheus/client_golang"},
}

// testHelpers are the project packages that exist for tests: an
// in-process AJP container (ajp/ajptest) and the differential harness's
// dump member (internal/dumpmember), both importing only ajp, the
// headless-browser driver and a few shared helpers (stdlib only). Any
// package's _test.go files may import them.
var testHelpers = []string{"ajp/ajptest", "internal/dumpmember", "internal/headless", "internal/testutil"}

// testOnly are edges only a package's tests may take. server's tests
// serve what `jkbalancer import` wrote (httpdimport), so the importer and
// the daemon are checked together; the daemon itself never imports it.
// They also drain members of running daemons and httpd + mod_jk through
// statusclient, as `jkbalancer drain` does.
var testOnly = map[string][]string{"server": {"httpdimport", "statusclient"}}

// The rule for tests. A package's _test.go files, in-package or external
// (package x_test), may import:
//
//   - the project packages the package itself may import, and the package
//     itself (an external test imports what it tests);
//   - the test helpers above;
//   - the standard library;
//   - a third-party module the package may import, or one another project
//     package may import (allowedThirdParty): test code is not linked
//     into the binary, so reading a format with a module the project
//     already has (yaml.v3 to parse the deploy manifests) adds no
//     dependency; a module nothing else uses does.
//
// A test therefore cannot reach up the layers (a balancer test cannot use
// server or status) any more than the code it tests can.

// TestImportGraph keeps the one-way import graph of the design
// (docs/design.md#import-rules): it fails when a package, or its tests, import a project
// package or a module they may not.
func TestImportGraph(t *testing.T) {
	// The integration and soak tests are covered too.
	out, err := exec.Command("go", "list", "-tags", "integration soak", "-f",
		"{{.ImportPath}}|{{join .Imports \" \"}}|{{join .TestImports \" \"}} {{join .XTestImports \" \"}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked, tests := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Split(line, "|")
		if len(fields) != 3 {
			t.Fatalf("go list line %q", line)
		}
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		allowed, known := allowedImports[pkg]
		if !known {
			t.Errorf("package %s is not in the design's import graph; add it to the design and this test", pkg)
			continue
		}
		checked++
		for _, imp := range strings.Fields(fields[1]) {
			if msg := checkImport(pkg, imp, allowed, allowedThirdParty[pkg]); msg != "" {
				t.Error(msg)
			}
		}
		testAllowed := append(append(append([]string{pkg}, allowed...), testHelpers...), testOnly[pkg]...)
		for _, imp := range strings.Fields(fields[2]) {
			tests++
			if msg := checkImport(pkg, imp, testAllowed, testThirdParty(pkg)); msg != "" {
				t.Error("tests of " + msg)
			}
		}
	}
	if checked < 6 || tests < 20 {
		t.Fatalf("only %d packages and %d test imports checked; go list output:\n%s", checked, tests, out)
	}
}

// testThirdParty is what the tests of pkg may import besides the standard
// library: pkg's modules, then every module some project package may use.
func testThirdParty(pkg string) []string {
	mods := append([]string(nil), allowedThirdParty[pkg]...)
	for _, ms := range allowedThirdParty {
		mods = append(mods, ms...)
	}
	return mods
}

func checkImport(pkg, imp string, allowed, thirdParty []string) string {
	if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
		for _, a := range allowed {
			if rel == a {
				return ""
			}
		}
		return pkg + " must not import " + rel + " (the design's import rules, layering_test.go)"
	}
	first, _, _ := strings.Cut(imp, "/")
	if !strings.Contains(first, ".") {
		return "" // standard library
	}
	for _, mod := range thirdParty {
		if imp == mod || strings.HasPrefix(imp, mod+"/") {
			return ""
		}
	}
	return pkg + " must not import third-party " + imp
}
