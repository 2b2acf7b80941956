package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzImportHTTPD feeds arbitrary httpd.conf text to `jkbalancer import`:
// it must never panic, and whenever it imports something the YAML it
// writes must parse and load without a panic (files it names may be
// missing; that is a reported problem, not a crash).
func FuzzImportHTTPD(f *testing.F) {
	for _, dir := range []string{"aap", "debian", "vhosts"} {
		matches, _ := filepath.Glob(filepath.Join("..", "testdata", "import", dir, "*.conf"))
		for _, m := range matches {
			if b, err := os.ReadFile(m); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("<Proxy balancer://c>\nBalancerMember ajp://127.0.0.1:8009 route=a loadfactor=1.5 status=+H-E\n</Proxy>\nProxyPass / balancer://c/ stickysession=J|j\n"))
	f.Add([]byte("Define X ${X}\nJkMount /${X}/* w\n<IfModule !x>\\\n</IfModule>\n"))
	const main = "/fuzz/httpd.conf"
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := ImportOptions{
			ServerRoot: "/fuzz",
			LookupEnv:  func(string) (string, bool) { return "", false },
			readFile: func(p string) ([]byte, error) {
				if p == main {
					return data, nil
				}
				return nil, errors.New("not in the fuzz input")
			},
		}
		im, err := ImportHTTPD(main, opt)
		if err != nil {
			return
		}
		var doc any
		if err := yaml.Unmarshal(im.YAML, &doc); err != nil {
			t.Fatalf("import wrote YAML that does not parse: %v\n%s", err, im.YAML)
		}
		l := memLoader(Sources{ConfigFile: "jk.yaml"}, map[string][]byte{"jk.yaml": im.YAML})
		cfg, ps := l.load()
		checkConfig(t, cfg, ps)
	})
}
