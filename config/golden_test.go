package config

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/config")

// caseSources is the optional sources.json of a golden case: what the
// command line and the environment would add.
type caseSources struct {
	Mounts      []string          `json:"mounts"`
	Listen      []string          `json:"listen"`
	Env         map[string]string `json:"env"`
	WorkersFile string            `json:"workers_file"`
	MountFile   string            `json:"mount_file"`
}

const goldenDir = "../testdata/config"

// TestGolden loads every case directory under testdata/config and
// compares the compiled configuration (want.json), every problem
// (want.err), the risk warnings (want.risk) and the resolved property map
// (want.props) with the golden files. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	dirs, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		abs, err := filepath.Abs(filepath.Join(goldenDir, d.Name()))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(d.Name(), func(t *testing.T) {
			t.Chdir(abs)
			got := runCase(t)
			for _, name := range []string{"want.json", "want.err", "want.risk", "want.props"} {
				checkGolden(t, name, strings.ReplaceAll(got[name], abs, "$CASEDIR"))
			}
		})
	}
}

// caseSourcesFor builds Sources from the files present in the working
// directory plus sources.json; the environment is only what the case
// declares, so results do not depend on the machine.
func caseSourcesFor(t *testing.T) Sources {
	var cs caseSources
	if data, err := os.ReadFile("sources.json"); err == nil {
		if err := json.Unmarshal(data, &cs); err != nil {
			t.Fatalf("sources.json: %v", err)
		}
	}
	src := Sources{Mounts: cs.Mounts, Listen: cs.Listen, WorkersFile: cs.WorkersFile, MountFile: cs.MountFile,
		LookupEnv: func(k string) (string, bool) { v, ok := cs.Env[k]; return v, ok }}
	exists := func(f string) bool { _, err := os.Stat(f); return err == nil }
	if exists("jkbalancer.yaml") {
		src.ConfigFile = "jkbalancer.yaml"
		return src
	}
	if src.WorkersFile == "" && exists("workers.properties") {
		src.WorkersFile = "workers.properties"
	}
	if src.MountFile == "" && exists("uriworkermap.properties") {
		src.MountFile = "uriworkermap.properties"
	}
	return src
}

func runCase(t *testing.T) map[string]string {
	cfg, probs := Load(caseSourcesFor(t))
	got := map[string]string{"want.err": lines(probs)}
	if cfg == nil {
		if len(probs.Errors()) == 0 {
			t.Errorf("Load returned no config and no error")
		}
		return got
	}
	if len(probs.Errors()) > 0 {
		t.Errorf("Load returned a config together with errors")
	}
	if len(cfg.Warnings) != len(probs) {
		t.Errorf("cfg.Warnings has %d entries, Problems %d", len(cfg.Warnings), len(probs))
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got["want.json"] = string(data) + "\n"
	got["want.risk"] = lines(cfg.RiskWarnings())
	var b strings.Builder
	for _, p := range cfg.Properties {
		fmt.Fprintf(&b, "%s: %s=%s\n", p.Pos, p.Key, p.Value)
	}
	got["want.props"] = b.String()
	return got
}

func lines(ps Problems) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// checkGolden compares got with the golden file name, or rewrites it
// with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	testutil.Golden(t, name, got, *update, "go test ./config -run TestGolden -update")
}
