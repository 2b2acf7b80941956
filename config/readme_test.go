package config

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// readmeExample returns the jkbalancer.yaml example of docs/config.md: the
// yaml block between the example markers.
func readmeExample(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "<!-- jkbalancer.yaml example: begin -->")
	block, _, ok2 := strings.Cut(rest, "<!-- jkbalancer.yaml example: end -->")
	if !ok || !ok2 {
		t.Fatal("docs/config.md has no jkbalancer.yaml example between the markers")
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*)```").FindStringSubmatch(block)
	if m == nil {
		t.Fatal("the README example is not a ```yaml block")
	}
	return m[1]
}

// TestReadmeExampleLoads: the README's complete jkbalancer.yaml loads
// without errors once the files it names exist, and it shows every
// top-level key and every key of a listener's tls.
func TestReadmeExampleLoads(t *testing.T) {
	example := readmeExample(t)
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The log files go to a directory of the test (check opens them).
	example = strings.ReplaceAll(example, "/var/log/jkbalancer/", filepath.Join(dir, "log")+"/")
	write("log/.keep", "")
	write("jkbalancer.yaml", example)
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(example), &doc); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(24 * time.Hour)
	walkFiles(doc.Content[0], func(key string, m map[string]*yaml.Node) {
		switch key {
		case "cert_file":
			var names []string
			if sn := m["server_names"]; sn != nil {
				sn.Decode(&names)
			}
			if len(names) == 0 {
				names = []string{strings.TrimSuffix(filepath.Base(m["cert_file"].Value), ".crt")}
			}
			writeCertFiles(t, filepath.Join(dir, m["cert_file"].Value), filepath.Join(dir, m["key_file"].Value),
				names[0], names, later)
		case "client_ca_file", "tls_ca_file":
			p := filepath.Join(dir, m[key].Value)
			writeCertFiles(t, p, p+".key", "Example CA", nil, later)
		case "workers_file":
			write(m[key].Value, "worker.list=lb,jkstatus\nworker.lb.type=lb\nworker.lb.balance_workers=t1,t2\n"+
				"worker.t1.host=10.0.1.1\nworker.t2.host=10.0.1.2\nworker.jkstatus.type=status\n")
		case "mount_file":
			write(m[key].Value, "/shop/*=lb\n")
		}
	})
	cfg, ps := Load(Sources{ConfigFile: filepath.Join(dir, "jkbalancer.yaml")})
	if cfg == nil || len(ps.Errors()) > 0 {
		t.Fatalf("the README example does not load:\n%v\n---\n%s", ps, example)
	}
	for _, w := range ps {
		t.Logf("warning: %s", w)
	}

	var top []string
	for i := 0; i < len(doc.Content[0].Content); i += 2 {
		top = append(top, doc.Content[0].Content[i].Value)
	}
	for k := range yamlTopLevel {
		if !slices.Contains(top, k) {
			t.Errorf("the README example does not show the top-level key %q", k)
		}
	}
	tlsKeys := (&yamlLoader{}).tlsHandlers(&TLS{})
	for k := range tlsKeys {
		if !strings.Contains(example, "      "+k+":") {
			t.Errorf("the README example does not show the tls key %q", k)
		}
	}
}

// walkFiles calls fn for every key of every mapping in n that names a
// file, with the mapping (so cert_file finds its key_file).
func walkFiles(n *yaml.Node, fn func(key string, m map[string]*yaml.Node)) {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]*yaml.Node)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = n.Content[i+1]
		}
		for k, v := range m {
			if strings.HasSuffix(k, "_file") && v.Kind == yaml.ScalarNode && !filepath.IsAbs(v.Value) {
				fn(k, m)
			}
			walkFiles(v, fn)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			walkFiles(c, fn)
		}
	}
}
