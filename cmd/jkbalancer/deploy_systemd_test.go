package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const unitPath = "deploy/systemd/jkbalancer.service"

// unitFile is a systemd unit: section -> key -> values in order (a key
// may be given several times).
type unitFile map[string]map[string][]string

func parseUnit(t *testing.T, text string) unitFile {
	t.Helper()
	u := unitFile{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: not key=value in a section: %q", unitPath, line)
			}
			u[section][strings.TrimSpace(k)] = append(u[section][strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	return u
}

func (u unitFile) last(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// TestSystemdUnit: the unit runs jkbalancer unprivileged and sandboxed,
// reloads with SIGHUP, waits for the drain longer than shutdown_timeout,
// and keeps the state file where the sample configuration writes it.
func TestSystemdUnit(t *testing.T) {
	text := readRepoFile(t, unitPath)
	u := parseUnit(t, text)
	want := map[string]string{
		"KillSignal":              "SIGTERM",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"StateDirectory":          "jkbalancer",
		"ConfigurationDirectory":  "jkbalancer",
		"AmbientCapabilities":     "CAP_NET_BIND_SERVICE",
		"CapabilityBoundingSet":   "CAP_NET_BIND_SERVICE",
		"MemoryDenyWriteExecute":  "yes",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
	}
	for k, v := range want {
		if got := u.last("Service", k); got != v {
			t.Errorf("%s=%q, want %q", k, got, v)
		}
	}
	if typ := u.last("Service", "Type"); typ == "notify" || typ == "forking" {
		t.Errorf("Type=%s: jkbalancer neither sends sd_notify nor forks", typ)
	}
	if user := u.last("Service", "User"); (user == "" || user == "root") && u.last("Service", "DynamicUser") != "yes" {
		t.Errorf("User=%q: the balancer must not run as root", user)
	}
	reload := u["Service"]["ExecReload"]
	if len(reload) == 0 || !strings.Contains(reload[len(reload)-1], "kill -HUP $MAINPID") {
		t.Errorf("ExecReload=%v: the last one must send SIGHUP, jkbalancer's reload", reload)
	}
	start := u.last("Service", "ExecStart")
	m := regexp.MustCompile(`--config (\S+)`).FindStringSubmatch(start)
	if m == nil || filepath.Dir(m[1]) != "/etc/"+u.last("Service", "ConfigurationDirectory") {
		t.Fatalf("ExecStart=%s: want --config in /etc/%s", start, u.last("Service", "ConfigurationDirectory"))
	}
	// The unit's paths are the sample's: load it from the repository.
	cfg := loadDeployConfig(t, filepath.Join(repoRoot, "deploy/examples", filepath.Base(m[1])))
	// systemd sets $STATE_DIRECTORY from StateDirectory=; serve uses it
	// unless --state-file or state_file: say otherwise.
	dir := "/var/lib/" + u.last("Service", "StateDirectory")
	state := effectiveStateFile(cfg, dir)
	if m := regexp.MustCompile(`--state-file[= ](\S+)`).FindStringSubmatch(start); m != nil {
		state = m[1]
	}
	if filepath.Dir(state) != dir {
		t.Errorf("state file %s is outside the StateDirectory %s: ProtectSystem=strict makes it read-only", state, dir)
	}
	for _, e := range u["Service"]["Environment"] {
		if strings.Contains(e, "STATE_DIRECTORY") {
			t.Errorf("Environment=%s: systemd sets STATE_DIRECTORY from StateDirectory=", e)
		}
	}
	stop, err := time.ParseDuration(u.last("Service", "TimeoutStopSec"))
	if err != nil || stop <= cfg.Server.ShutdownTimeout {
		t.Errorf("TimeoutStopSec=%s (%v): want more than shutdown_timeout %v, or SIGKILL cuts the drain",
			u.last("Service", "TimeoutStopSec"), err, cfg.Server.ShutdownTimeout)
	}
	systemdVerify(t, text)
}

// systemdVerify runs systemd-analyze verify (any output is a finding:
// it exits 0 on unknown keys and bad values) and the offline security
// assessment, which must stay at or below 2.0 ("OK").
func systemdVerify(t *testing.T, text string) {
	t.Helper()
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	// verify insists that the executables exist; point them at this test
	// binary.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "jkbalancer.service")
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(text, "/usr/local/bin/jkbalancer", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", "--man=no", unit).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(sa, "security", "--offline=true", "--threshold=20", "--no-pager", unit).CombinedOutput()
	if strings.Contains(string(out), "unrecognized option") {
		t.Logf("this systemd-analyze has no offline security assessment:\n%s", out)
		return
	}
	score := regexp.MustCompile(`Overall exposure level for \S+: (\S+)`).FindSubmatch(out)
	if err != nil || score == nil {
		t.Errorf("systemd-analyze security: exposure above 2.0 or no score: %v\n%s", err, out)
		return
	}
	t.Logf("systemd-analyze security: exposure %s", score[1])
}
