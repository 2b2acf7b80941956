package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func noEnv(string) (string, bool) { return "", false }

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustLoad(t *testing.T, src Sources) *Config {
	t.Helper()
	cfg, ps := Load(src)
	if cfg == nil {
		t.Fatalf("Load failed:\n%v", ps)
	}
	return cfg
}

func TestListenFlagReplacesYAML(t *testing.T) {
	dir := writeFiles(t, map[string]string{"jk.yaml": "listen: [\":1111\", \":2222\"]\n"})
	cfg := mustLoad(t, Sources{ConfigFile: filepath.Join(dir, "jk.yaml"), Listen: []string{"127.0.0.1:3333"}, LookupEnv: noEnv})
	if len(cfg.Server.Listen) != 1 || cfg.Server.Listen[0].Addr != "127.0.0.1:3333" {
		t.Errorf("listen = %+v", cfg.Server.Listen)
	}
	cfg = mustLoad(t, Sources{ConfigFile: filepath.Join(dir, "jk.yaml"), LookupEnv: noEnv})
	if len(cfg.Server.Listen) != 2 {
		t.Errorf("yaml listeners lost: %+v", cfg.Server.Listen)
	}
}

func TestFlagsOverrideYAMLFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"jk.yaml":      "workers_file: a.properties\nmount_file: a.map\n",
		"a.properties": "worker.list=a\n", "a.map": "/a=a\n",
		"b.properties": "worker.list=b\n", "b.map": "/b=b\n",
	})
	cfg := mustLoad(t, Sources{ConfigFile: filepath.Join(dir, "jk.yaml"), LookupEnv: noEnv,
		WorkersFile: filepath.Join(dir, "b.properties"), MountFile: filepath.Join(dir, "b.map")})
	if strings.Join(cfg.List, ",") != "b" || cfg.Mounts.Match("/b") == nil || cfg.Mounts.Match("/a") != nil {
		t.Errorf("flags did not override the yaml files: list=%v rules=%+v", cfg.List, cfg.Mounts.Rules)
	}
	if cfg.Server.WorkersFile != filepath.Join(dir, "b.properties") {
		t.Errorf("WorkersFile = %s", cfg.Server.WorkersFile)
	}
}

func TestNilLookupEnvUsesProcessEnvironment(t *testing.T) {
	t.Setenv("JKB_TEST_BACKEND", "backend.example")
	dir := writeFiles(t, map[string]string{"w.properties": "worker.list=a\nworker.a.host=$(JKB_TEST_BACKEND)\nworker.a.mount=/a\n"})
	cfg := mustLoad(t, Sources{WorkersFile: filepath.Join(dir, "w.properties")})
	if h := cfg.Workers["a"].Member.Host; h != "backend.example" {
		t.Errorf("host = %q", h)
	}
}

func TestServerRootIsConfigDirectory(t *testing.T) {
	dir := writeFiles(t, map[string]string{"w.properties": "worker.list=s\nworker.s.type=status\nworker.s.css=$(ServerRoot)/jk.css\nworker.s.mount=/s\n"})
	cfg := mustLoad(t, Sources{WorkersFile: filepath.Join(dir, "w.properties"), LookupEnv: noEnv})
	if css := cfg.Workers["s"].Status.CSS; css != dir+"/jk.css" {
		t.Errorf("css = %q, want %q", css, dir+"/jk.css")
	}
}

func TestMountsWithoutWorkersFileGetNoDefaultRule(t *testing.T) {
	cfg := mustLoad(t, Sources{Mounts: []string{"/x/*=ajp13"}, LookupEnv: noEnv})
	if len(cfg.Mounts.Rules) != 1 || cfg.Mounts.Match("/y") != nil {
		t.Errorf("rules = %+v", cfg.Mounts.Rules)
	}
}

func TestMissingFilesAreErrors(t *testing.T) {
	dir := t.TempDir()
	cfg, ps := Load(Sources{ConfigFile: filepath.Join(dir, "none.yaml"), WorkersFile: filepath.Join(dir, "none.properties"),
		MountFile: filepath.Join(dir, "none.map"), LookupEnv: noEnv})
	if cfg != nil || len(ps.Errors()) != 3 {
		t.Fatalf("want 3 errors, got:\n%v", ps)
	}
	for _, p := range ps.Errors() {
		if p.Pos.File == "" {
			t.Errorf("problem without a file: %v", p)
		}
	}
}

func TestLoadMountFileForReload(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"w.properties": "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=m\n",
		"u.map":        "/app/*=lb\n/new/*=$(W);stopped=m,x\nbad=lb\n",
	})
	cfg := mustLoad(t, Sources{WorkersFile: filepath.Join(dir, "w.properties"), Mounts: []string{"/cli=lb"}, LookupEnv: noEnv})
	rules, ps := LoadMountFile(filepath.Join(dir, "u.map"), func(k string) (string, bool) { return "ghost", k == "W" })
	if len(rules) != 2 || len(ps) != 1 || !ps[0].Warning || ps[0].Pos.Line != 3 {
		t.Fatalf("rules=%+v problems=%v", rules, ps)
	}
	if rules[1].Worker != "ghost" || rules[1].Source != SourceURIMap {
		t.Errorf("rule = %+v", rules[1])
	}
	warn := cfg.CheckMounts(rules)
	if len(warn) != 1 || warn[0].Worker != "ghost" {
		t.Errorf("CheckMounts = %v", warn)
	}
	if _, ps := LoadMountFile(filepath.Join(dir, "missing"), nil); len(ps.Errors()) != 1 {
		t.Errorf("missing file: %v", ps)
	}
}

func TestMarshalJSONHidesSecrets(t *testing.T) {
	dir := writeFiles(t, map[string]string{"w.properties": "worker.list=lb,a\nworker.lb.type=lb\nworker.lb.secret=LBSECRET\n" +
		"worker.lb.balance_workers=m\nworker.m.secret=MSECRET\nworker.a.type=ajp14\nworker.a.secretkey=KEYSECRET\nworker.a.mount=/a\n"})
	cfg := mustLoad(t, Sources{WorkersFile: filepath.Join(dir, "w.properties"), LookupEnv: noEnv})
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"LBSECRET", "MSECRET", "KEYSECRET"} {
		if strings.Contains(string(data), s) {
			t.Errorf("JSON leaks %s", s)
		}
	}
	var got struct {
		Workers map[string]map[string]any `json:"workers"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	w := got.Workers
	if w["lb"]["secret"] != "(set)" || w["m"]["secret"] != "(set)" || w["a"]["secretkey"] != "(set)" {
		t.Errorf("secret markers missing: %v", w)
	}
	if _, ok := w["a"]["secret"]; ok {
		t.Errorf("secret marker without a secret")
	}
	if cfg.Workers["m"].Member.Secret != "MSECRET" || cfg.Workers["lb"].LB.Secret != "LBSECRET" {
		t.Errorf("secrets not compiled")
	}
	// The lb secret stays on the lb: the worker layer applies it.
	if cfg.Workers["m"].Member.Secret == cfg.Workers["lb"].LB.Secret {
		t.Errorf("lb secret copied into member")
	}
	if cfg.Workers["a"].Member.Port != 8011 {
		t.Errorf("ajp14 default port = %d", cfg.Workers["a"].Member.Port)
	}
}

func TestEnvVarsKeepHasValue(t *testing.T) {
	dir := writeFiles(t, map[string]string{"jk.yaml": "env_vars:\n  A: \"\"\n  B:\n  C: x\n"})
	cfg := mustLoad(t, Sources{ConfigFile: filepath.Join(dir, "jk.yaml"), LookupEnv: noEnv})
	got := cfg.Server.EnvVars
	if len(got) != 3 || !got[0].HasValue || got[1].HasValue || got[2].Value != "x" || !got[2].HasValue {
		t.Errorf("env vars = %+v", got)
	}
}

func TestJSONIsDeterministic(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join(goldenDir, "uriworkermap"))
	if err != nil {
		t.Fatal(err)
	}
	src := Sources{WorkersFile: filepath.Join(dir, "workers.properties"), MountFile: filepath.Join(dir, "uriworkermap.properties"), LookupEnv: noEnv}
	first, _ := json.Marshal(mustLoad(t, src))
	for i := 0; i < 20; i++ {
		again, _ := json.Marshal(mustLoad(t, src))
		if string(again) != string(first) {
			t.Fatal("JSON output differs between loads")
		}
	}
}
