package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// The jkbalancer extensions of the status worker: user_file and csrf in
// workers.properties, state_file in jkbalancer.yaml.
func TestStatusExtensions(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"w.properties": "worker.list=s\nworker.s.type=status\nworker.s.user_file=users\nworker.s.csrf=Strict\nworker.s.mount=/s\n",
		"jk.yaml":      "state_file: state/jk.json\n",
		"users":        "ops:{SHA}AsWT/Zr4JUuFnUJqdrbNQoR/vsE=\n",
	})
	cfg := mustLoad(t, Sources{ConfigFile: filepath.Join(dir, "jk.yaml"), WorkersFile: filepath.Join(dir, "w.properties")})
	s := cfg.Workers["s"].Status
	if s.UserFile != filepath.Join(dir, "users") || s.CSRF != CSRFStrict {
		t.Errorf("user_file %q csrf %q", s.UserFile, s.CSRF)
	}
	if cfg.Server.StateFile != filepath.Join(dir, "state", "jk.json") {
		t.Errorf("state_file %q", cfg.Server.StateFile)
	}

	dir = writeFiles(t, map[string]string{"w.properties": "worker.list=s\nworker.s.type=status\nworker.s.csrf=off\nworker.s.user_file=missing\nworker.s.mount=/s\n"})
	_, problems := Load(Sources{WorkersFile: filepath.Join(dir, "w.properties")})
	for _, want := range []string{"csrf=off is not understood", "w.properties:4", "cannot read the user file"} {
		if !strings.Contains(problems.Error(), want) {
			t.Errorf("no %q in: %v", want, problems)
		}
	}
}
