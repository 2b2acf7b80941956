package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const nfpmPath = "deploy/package/nfpm.yaml"

// nfpmEntry is one contents entry of nfpm.yaml.
type nfpmEntry struct{ src, dst, typ string }

var nfpmKey = regexp.MustCompile(`^\s*-?\s*(src|dst|type|postinstall|preremove|postremove):\s*(\S+)\s*$`)

// parseNfpm reads the contents and scripts of nfpm.yaml line by line
// (cmd/jkbalancer takes no YAML module; the file keeps one key a line).
func parseNfpm(t *testing.T) (entries []nfpmEntry, scripts []string) {
	t.Helper()
	for _, line := range strings.Split(readRepoFile(t, nfpmPath), "\n") {
		m := nfpmKey.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch m[1] {
		case "src":
			entries = append(entries, nfpmEntry{src: m[2]})
		case "dst", "type":
			if len(entries) == 0 {
				t.Fatalf("%s: %s before any src", nfpmPath, m[1])
			}
			e := &entries[len(entries)-1]
			if m[1] == "dst" {
				e.dst = m[2]
			} else {
				e.typ = m[2]
			}
		default:
			scripts = append(scripts, m[2])
		}
	}
	return entries, scripts
}

// TestPackageContents: every file nfpm.yaml packages exists in the
// repository or is one build.sh writes; the binary, the units, the
// sysusers file and the sample configuration are all in it, the samples
// as configuration files under /etc/jkbalancer; the scripts exist and
// are executable.
func TestPackageContents(t *testing.T) {
	entries, scripts := parseNfpm(t)
	build := readRepoFile(t, "deploy/package/build.sh")
	byDst := map[string]nfpmEntry{}
	for _, e := range entries {
		if e.dst == "" {
			t.Errorf("%s: %s has no dst", nfpmPath, e.src)
		}
		byDst[e.dst] = e
		if gen, ok := strings.CutPrefix(e.src, "dist/pkgroot/"); ok {
			if !strings.Contains(build, `"$root/`+gen+`"`) {
				t.Errorf("%s: %s is generated, but build.sh does not write it", nfpmPath, e.src)
			}
			continue
		}
		if _, err := os.Stat(filepath.Join(repoRoot, e.src)); err != nil {
			t.Errorf("%s: %v", nfpmPath, err)
		}
	}
	for _, dst := range []string{"/usr/bin/jkbalancer", "/usr/lib/systemd/system/jkbalancer.service",
		"/usr/lib/systemd/system/jkbalancer.socket", "/usr/lib/sysusers.d/jkbalancer.conf"} {
		if _, ok := byDst[dst]; !ok {
			t.Errorf("%s: nothing installs %s", nfpmPath, dst)
		}
	}
	samples, err := filepath.Glob(filepath.Join(repoRoot, "deploy/examples/*"))
	if err != nil || len(samples) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, s := range samples {
		dst := "/etc/jkbalancer/" + filepath.Base(s)
		if e, ok := byDst[dst]; !ok || e.typ != "config|noreplace" {
			t.Errorf("%s: %s is not packaged as a configuration file (type config|noreplace): %+v", nfpmPath, dst, e)
		}
	}
	if len(scripts) != 3 {
		t.Errorf("%s: %d scripts, want postinstall, preremove, postremove", nfpmPath, len(scripts))
	}
	for _, s := range scripts {
		fi, err := os.Stat(filepath.Join(repoRoot, s))
		if err != nil {
			t.Errorf("%s: %v", nfpmPath, err)
		} else if fi.Mode()&0o111 == 0 {
			t.Errorf("%s: %s is not executable", nfpmPath, s)
		}
	}
	if !strings.Contains(readRepoFile(t, scripts[0]), "systemd-sysusers") {
		t.Errorf("%s does not run systemd-sysusers", scripts[0])
	}
}

// TestSocketUnitMatchesSample: every ListenStream of jkbalancer.socket is
// a listener of the sample jkbalancer.yaml, written the way
// docs/deploy.md#socket-activation matches them ("8080" is ":8080"), and
// every sample listener has its socket: otherwise the shipped pair would
// warn at start and refuse connections during a restart.
func TestSocketUnitMatchesSample(t *testing.T) {
	u := parseUnit(t, readRepoFile(t, "deploy/systemd/jkbalancer.socket"))
	streams := u["Socket"]["ListenStream"]
	if len(streams) == 0 {
		t.Fatal("jkbalancer.socket has no ListenStream")
	}
	if u.last("Socket", "Service") != "jkbalancer.service" {
		t.Errorf("jkbalancer.socket: Service=%q", u.last("Socket", "Service"))
	}
	cfg := loadDeployConfig(t, filepath.Join(repoRoot, "deploy/examples/jkbalancer.yaml"))
	listeners := map[string]bool{}
	for _, l := range cfg.Server.Listen {
		listeners[l.Addr] = true
	}
	for _, s := range streams {
		addr := s
		if !strings.Contains(s, ":") {
			addr = ":" + s // a port alone: every address
		}
		if !listeners[addr] {
			t.Errorf("jkbalancer.socket: ListenStream=%s (%s) is no listener of the sample jkbalancer.yaml %v", s, addr, listeners)
		}
		delete(listeners, addr)
	}
	for addr := range listeners {
		t.Errorf("sample listener %s has no ListenStream in jkbalancer.socket", addr)
	}
	if sa, err := exec.LookPath("systemd-analyze"); err == nil {
		// the service next to it: verify loads the unit the socket starts
		dir := t.TempDir()
		unit := filepath.Join(dir, "jkbalancer.socket")
		for _, name := range []string{"jkbalancer.socket", "jkbalancer.service"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(readRepoFile(t, "deploy/systemd/"+name)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := exec.Command(sa, "verify", "--man=no", unit).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify jkbalancer.socket: %v\n%s", err, out)
		}
	}
}
