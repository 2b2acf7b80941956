package config

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// seedFiles adds every testdata file with the given name as a seed.
func seedFiles(f *testing.F, name string) {
	_ = filepath.WalkDir(goldenDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
}

// memLoader loads from in-memory files, so fuzzing never touches disk.
func memLoader(src Sources, files map[string][]byte) *loader {
	src.LookupEnv = func(k string) (string, bool) { return "env-" + k, strings.HasPrefix(k, "E") }
	return &loader{src: src, getwd: func() (string, error) { return "/fuzz", nil },
		read: func(name string) ([]byte, error) {
			if data, ok := files[name]; ok {
				return data, nil
			}
			return nil, fs.ErrNotExist
		}}
}

// checkConfig asserts the invariants every successful Load guarantees to
// the packages that consume the model.
func checkConfig(t *testing.T, cfg *Config, ps Problems) {
	t.Helper()
	for _, p := range ps {
		if p.Message == "" {
			t.Errorf("problem without message: %#v", p)
		}
	}
	if cfg == nil {
		if len(ps.Errors()) == 0 {
			t.Fatal("nil config without an error")
		}
		return
	}
	if len(ps.Errors()) != 0 {
		t.Fatalf("config returned with errors: %v", ps)
	}
	for _, name := range cfg.List {
		w := cfg.Workers[name]
		if w == nil {
			t.Fatalf("listed worker %q missing", name)
		}
		checkWorker(t, cfg, w)
	}
	rules := cfg.Mounts.Rules
	for i := range rules {
		if !strings.HasPrefix(rules[i].Pattern, "/") {
			t.Errorf("pattern %q does not start with /", rules[i].Pattern)
		}
	}
	// In precedence order: sorting again (a stable sort) changes nothing.
	if sorted := NewMountTable(rules).Rules; !reflect.DeepEqual(sorted, rules) {
		t.Errorf("rules out of order: %+v", rules)
	}
	if _, err := json.Marshal(cfg); err != nil {
		t.Fatalf("marshal: %v", err)
	}
}

func checkWorker(t *testing.T, cfg *Config, w *Worker) {
	t.Helper()
	n := 0
	for _, set := range []bool{w.Member != nil, w.LB != nil, w.Status != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("worker %s: %d kinds set", w.Name, n)
	}
	if a := w.Member; a != nil {
		if a.MaxPacketSize < 8192 || a.MaxPacketSize > 65536 || a.MaxPacketSize%1024 != 0 || a.Retries < 1 || a.LBFactor < 1 {
			t.Errorf("worker %s: out of range: %+v", w.Name, a)
		}
		if strings.Trim(a.PingMode, "CPI") != "" {
			t.Errorf("worker %s: ping_mode %q", w.Name, a.PingMode)
		}
	}
	if l := w.LB; l != nil {
		routes := make(map[string]bool)
		if (len(l.BalanceWorkers) == 0 && l.Discover == nil) || l.Retries < 1 || l.LBRetries < 1 || l.RecoverTime < 1 {
			t.Errorf("lb %s: %+v", w.Name, l)
		}
		for _, m := range l.BalanceWorkers {
			mw := cfg.Workers[m]
			if mw == nil || mw.Member == nil {
				t.Fatalf("lb %s: member %s missing or not ajp", w.Name, m)
			}
			if routes[mw.Member.Route] {
				t.Errorf("lb %s: duplicate route %q", w.Name, mw.Member.Route)
			}
			routes[mw.Member.Route] = true
		}
	}
}

func FuzzWorkersProperties(f *testing.F) {
	seedFiles(f, "workers.properties")
	f.Add([]byte("worker.a.reference=worker.a\nworker.list=a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := memLoader(Sources{WorkersFile: "w.properties"}, map[string][]byte{"w.properties": data})
		cfg, ps := l.load()
		checkConfig(t, cfg, ps)
		if cfg != nil {
			cfg.RiskWarnings()
		}
		// check reports the risks of a configuration with errors too.
		l = memLoader(Sources{WorkersFile: "w.properties"}, map[string][]byte{"w.properties": data})
		if partial, _ := l.compile(); partial != nil {
			partial.RiskWarnings()
		}
	})
}

func FuzzYAML(f *testing.F) {
	seedFiles(f, "jkbalancer.yaml")
	f.Add([]byte("listen: &a [\":1\"]\nmounts: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := memLoader(Sources{ConfigFile: "jk.yaml"}, map[string][]byte{"jk.yaml": data, "workers.properties": []byte("worker.list=a\n")})
		cfg, ps := l.load()
		checkConfig(t, cfg, ps)
		if cfg == nil {
			return
		}
		for _, ln := range cfg.Server.Listen {
			if CheckListenAddr(ln.Addr) != "" {
				t.Errorf("invalid listener accepted: %q", ln.Addr)
			}
		}
		for _, ev := range cfg.Server.EnvVars {
			if ev.Name == "" || strings.HasPrefix(strings.ToLower(ev.Name), "org.apache.") {
				t.Errorf("env var accepted: %q", ev.Name)
			}
		}
	})
}
