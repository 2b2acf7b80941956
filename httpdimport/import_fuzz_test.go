package httpdimport

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jkbalancer/jkbalancer/config"
)

// FuzzImportHTTPD feeds arbitrary httpd.conf text to `jkbalancer import`:
// it must never panic, and whenever it imports something the YAML it
// writes must parse and load without a panic (files it names may be
// missing; that is a reported problem, not a crash).
func FuzzImportHTTPD(f *testing.F) {
	for _, dir := range []string{"aap", "debian", "vhosts", "jkstatus", "jkstatus-refused"} {
		matches, _ := filepath.Glob(filepath.Join("..", "testdata", "import", dir, "*.conf"))
		for _, m := range matches {
			if b, err := os.ReadFile(m); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("<Proxy balancer://c>\nBalancerMember ajp://127.0.0.1:8009 route=a loadfactor=1.5 status=+H-E\n</Proxy>\nProxyPass / balancer://c/ stickysession=J|j\n"))
	f.Add([]byte("Define X ${X}\nJkMount /${X}/* w\n<IfModule !x>\\\n</IfModule>\n"))
	f.Add([]byte("JkWorkerProperty worker.s.type=status\n<Location /s>\nJkMount s\nRequire ip 10.1 ::1/64 1.2.3.4/255.0.255.0\nRequire valid-user\nAuthType Basic\nAuthUserFile u\n</Location>\n"))
	const main = "/fuzz/httpd.conf"
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := Options{
			ServerRoot: "/fuzz",
			LookupEnv:  func(string) (string, bool) { return "", false },
			readFile: func(p string) ([]byte, error) {
				if p == main {
					return data, nil
				}
				return nil, errors.New("not in the fuzz input")
			},
		}
		im, err := Import(main, opt)
		if err != nil {
			return
		}
		var doc any
		if err := yaml.Unmarshal(im.YAML, &doc); err != nil {
			t.Fatalf("import wrote YAML that does not parse: %v\n%s", err, im.YAML)
		}
		cfg, ps := config.Load(memSources(config.Sources{ConfigFile: "jk.yaml"}, map[string][]byte{"jk.yaml": im.YAML}))
		checkConfig(t, cfg, ps)
	})
}

// memSources loads from in-memory files, so fuzzing never touches disk
// (config's fuzz tests use the same environment).
func memSources(src config.Sources, files map[string][]byte) config.Sources {
	src.LookupEnv = func(k string) (string, bool) { return "env-" + k, strings.HasPrefix(k, "E") }
	src.ReadFile = func(name string) ([]byte, error) {
		if data, ok := files[name]; ok {
			return data, nil
		}
		return nil, fs.ErrNotExist
	}
	return src
}

// checkConfig asserts the invariants every successful Load guarantees to
// the packages that consume the model: a copy of config's fuzz-test
// check, which this package cannot import (it is test code).
func checkConfig(t *testing.T, cfg *config.Config, ps config.Problems) {
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
	if sorted := config.NewMountTable(rules).Rules; !reflect.DeepEqual(sorted, rules) {
		t.Errorf("rules out of order: %+v", rules)
	}
	if _, err := json.Marshal(cfg); err != nil {
		t.Fatalf("marshal: %v", err)
	}
}

func checkWorker(t *testing.T, cfg *config.Config, w *config.Worker) {
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
