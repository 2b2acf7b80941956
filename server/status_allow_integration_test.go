//go:build integration

package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/httpdimport"
)

// TestImportedStatusAccessMatchesHTTPD guards the status worker in a real
// httpd + mod_jk with <Location /jkstatus> Require ..., imports that very
// httpd.conf with `jkbalancer import`, and checks that jkbalancer admits
// and refuses the same client (127.0.0.1) as httpd does.
func TestImportedStatusAccessMatchesHTTPD(t *testing.T) {
	for _, c := range []struct {
		require string
		want    int
	}{
		{"Require ip 10.0.0.0/8", 403},
		{"Require local", 200},
		{"Require ip 10.1 127.0.0.1", 200},
	} {
		t.Run(c.require, func(t *testing.T) {
			mount := "/jkstatus jkstatus\nLoadModule authz_host_module " + filepath.Join(itApacheModules, "mod_authz_host.so") +
				"\n<Location /jkstatus>\n" + c.require + "\n</Location>"
			h := itStartHTTPD(t, itSpec{workers: "worker.list=jkstatus\nworker.jkstatus.type=status\n", jkMounts: []string{mount}})
			code, _, _ := get(t, "http://"+h.addr+"/jkstatus?mime=txt")
			if code != c.want {
				t.Fatalf("httpd answered %d, want %d", code, c.want)
			}
			im, err := httpdimport.Import(h.conf, httpdimport.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if im.Errors() != 0 {
				t.Errorf("import reported errors: %v", im.Leftovers)
			}
			yamlFile := filepath.Join(t.TempDir(), "jkbalancer.yaml")
			if err := os.WriteFile(yamlFile, im.YAML, 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, problems := config.Load(config.Sources{ConfigFile: yamlFile, Listen: []string{"127.0.0.1:0"}})
			if cfg == nil {
				t.Fatalf("the imported configuration does not load: %v\n%s", problems, im.YAML)
			}
			ts := serveTest(t, cfg)
			jcode, body, _ := get(t, ts.base+"/jkstatus?mime=txt")
			if jcode != code {
				t.Errorf("jkbalancer answered %d where httpd answered %d: %q\n%s", jcode, code, body, im.YAML)
			}
			if code == 200 && !strings.Contains(body, "type=OK") {
				t.Errorf("jkbalancer's status page: %q", body)
			}
		})
	}
}
