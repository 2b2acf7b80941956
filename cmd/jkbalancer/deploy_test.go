package main

// Tests of deploy/: the sample configurations load, and the systemd unit,
// the container build, the Kubernetes manifests and the keepalived pair
// agree with the configuration they run. Each checks a fact an operator
// would otherwise find out in production: a probe on the wrong port, a
// grace period shorter than the drain, a Dockerfile whose build line no
// longer builds.

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// repoRoot is the repository, seen from cmd/jkbalancer.
const repoRoot = "../.."

// testSecret stands for the AJP secret the deployments take from the
// environment; the loader must substitute it for $(AJP_SECRET).
const testSecret = "s3cret-from-env"

func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// loadDeployConfig loads a jkbalancer.yaml the way serve does, with
// AJP_SECRET in the environment, and fails on any error or warning: a
// sample an operator starts from must not start with a warning.
func loadDeployConfig(t *testing.T, yamlPath string) *config.Config {
	t.Helper()
	env := func(name string) (string, bool) {
		if name == "AJP_SECRET" {
			return testSecret, true
		}
		return "", false
	}
	cfg, ps := config.Load(config.Sources{ConfigFile: yamlPath, LookupEnv: env})
	if cfg == nil {
		t.Fatalf("%s does not load:\n%v", yamlPath, ps)
	}
	// What "jkbalancer check" prints: the loader's warnings and the
	// risk warnings (a member without route, POST replay, ...).
	if ws := slices.Concat(cfg.Warnings, cfg.RiskWarnings()); len(ws) > 0 {
		t.Errorf("%s loads with warnings:\n%v", yamlPath, ws)
	}
	return cfg
}

// listenPort is the port of a host:port address.
func listenPort(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return n
}

// secretResolved checks that every AJP worker got the value of
// $(AJP_SECRET) and that no $(...) is left anywhere: an unknown name
// stays verbatim (mod_jk's rule), which would send the text "$(X)" as
// the AJP secret and have every request refused by Tomcat.
func secretResolved(t *testing.T, cfg *config.Config) {
	t.Helper()
	for _, p := range cfg.Properties {
		if strings.Contains(p.Value, "$(") {
			t.Errorf("%s: %s=%s: a $(...) the environment did not resolve", p.Pos, p.Key, p.Value)
		}
	}
	members := 0
	for name, w := range cfg.Workers {
		if w.Member == nil {
			continue
		}
		members++
		if w.Member.Secret != testSecret {
			t.Errorf("worker %s: secret %q, want AJP_SECRET from the environment (Tomcat 10 requires one)", name, w.Member.Secret)
		}
	}
	if members == 0 {
		t.Error("no ajp13 worker")
	}
}

// TestDeployExamplesLoad: deploy/examples loads without a problem, keeps
// its state where the systemd unit's StateDirectory and the image's
// volume are, and has its admin listener on loopback, where the
// keepalived check script looks for it.
func TestDeployExamplesLoad(t *testing.T) {
	cfg := loadDeployConfig(t, filepath.Join(repoRoot, "deploy/examples/jkbalancer.yaml"))
	secretResolved(t, cfg)
	if got := effectiveStateFile(cfg, "/var/lib/jkbalancer"); filepath.Dir(got) != "/var/lib/jkbalancer" {
		t.Errorf("state file %q: want it in /var/lib/jkbalancer (StateDirectory, the image's VOLUME)", got)
	}
	if len(cfg.Server.Listen) == 0 {
		t.Fatal("the example has no listener")
	}
	a := cfg.Server.Admin
	host, _, _ := net.SplitHostPort(a.Listen)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() || a.AllowRemote {
		t.Errorf("example admin.listen %q (allow_remote %v): a single host keeps it on loopback", a.Listen, a.AllowRemote)
	}
	check := readRepoFile(t, "deploy/keepalived/check_jkbalancer.sh")
	m := regexp.MustCompile(`\$\{JKBALANCER_ADMIN:-([^}]+)\}/healthz`).FindStringSubmatch(check)
	if m == nil || m[1] != a.Listen {
		t.Errorf("check_jkbalancer.sh does not probe the example's admin listener %s/healthz (found %q)", a.Listen, m)
	}
	standby := 0
	for _, w := range cfg.Workers {
		if w.Member != nil && w.Member.Activation == config.Disabled {
			standby++
		}
	}
	if standby == 0 {
		t.Error("the example should show a hot standby (an lb member with activation=D)")
	}
}

// TestDeployConfigMapLoads: the three files of the Kubernetes ConfigMap
// load together, as the pod sees them in /etc/jkbalancer, and every
// replica follows a change of them (config_reload).
func TestDeployConfigMapLoads(t *testing.T) {
	_, cfg := loadConfigMap(t)
	secretResolved(t, cfg)
	if cfg.Server.StateFile != "" {
		t.Errorf("state_file %q in the ConfigMap: the root file system is read-only and an edit would reach one replica", cfg.Server.StateFile)
	}
	if d := cfg.Server.ConfigReload; d <= 0 || d > time.Minute {
		t.Errorf("config_reload %v in the ConfigMap: want it on, at most a minute, so replicas converge on a ConfigMap update", d)
	}
}

// effectiveStateFile is the state file serve uses with $STATE_DIRECTORY
// set to stateDir and no --state-file.
func effectiveStateFile(cfg *config.Config, stateDir string) string {
	if cfg.Server.StateFile != "" {
		return cfg.Server.StateFile
	}
	return stateDirectoryFile(stateDir)
}

// loadConfigMap writes the ConfigMap's files to a directory and loads
// its jkbalancer.yaml.
func loadConfigMap(t *testing.T) (*configMap, *config.Config) {
	t.Helper()
	m := kubeManifests(t)
	cm := m.configMap(t)
	dir := t.TempDir()
	for name, text := range cm.Data {
		if strings.ContainsAny(name, `/\`) {
			t.Fatalf("ConfigMap key %q is not a file name", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := cm.Data["jkbalancer.yaml"]; !ok {
		t.Fatal("the ConfigMap has no jkbalancer.yaml")
	}
	return cm, loadDeployConfig(t, filepath.Join(dir, "jkbalancer.yaml"))
}
