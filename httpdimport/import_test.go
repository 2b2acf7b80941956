package httpdimport

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/import")

const importDir = "../testdata/import"

// importEnv is the environment the golden cases see: Debian's envvars.
func importEnv(k string) (string, bool) {
	v, ok := map[string]string{
		"APACHE_RUN_DIR": "/var/run/apache2", "APACHE_PID_FILE": "/var/run/apache2/apache2.pid",
		"APACHE_RUN_USER": "www-data", "APACHE_RUN_GROUP": "www-data", "APACHE_LOG_DIR": "/var/log/apache2",
	}[k]
	return v, ok
}

// TestImportGolden imports every case under testdata/import (its
// httpd.conf, or apache2.conf for a Debian tree) and compares the yaml
// (want.yaml) and the leftovers (want.leftovers); then the yaml must load
// without errors. Run with -update to rewrite the golden files.
func TestImportGolden(t *testing.T) {
	dirs, err := os.ReadDir(importDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		abs, err := filepath.Abs(filepath.Join(importDir, d.Name()))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(d.Name(), func(t *testing.T) {
			main := filepath.Join(abs, "httpd.conf")
			if _, err := os.Stat(main); err != nil {
				main = filepath.Join(abs, "apache2.conf")
			}
			im, err := Import(main, Options{LookupEnv: importEnv})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			var left strings.Builder
			for _, l := range im.Leftovers {
				left.WriteString(l.String())
				left.WriteByte('\n')
			}
			t.Chdir(abs)
			checkGolden(t, "want.yaml", strings.ReplaceAll(string(im.YAML), abs, "$CASEDIR"))
			checkGolden(t, "want.leftovers", strings.ReplaceAll(left.String(), abs, "$CASEDIR"))
			if im.Directives == 0 {
				t.Errorf("nothing counted as imported")
			}
			out := filepath.Join(t.TempDir(), "jkbalancer.yaml")
			if err := os.WriteFile(out, im.YAML, 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, probs := config.Load(config.Sources{ConfigFile: out})
			if cfg == nil {
				t.Fatalf("the imported configuration does not load:\n%v\n--- yaml\n%s", probs, im.YAML)
			}
			for _, p := range probs {
				t.Logf("load: %s", p)
			}
		})
	}
}

// checkGolden compares got with the golden file name, or rewrites it
// with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	testutil.Golden(t, name, got, *update, "go test ./httpdimport -run TestImportGolden -update")
}

func TestImportReadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, text, want string
	}{
		{"unclosed.conf", "<VirtualHost *:80>\nJkMount /x lb\n", "<VirtualHost> is never closed"},
		{"stray.conf", "</Location>\n", "</location> without a matching <location>"},
		{"crossed.conf", "<VirtualHost *:80>\n<Location /x>\n</VirtualHost>\n", "without a matching"},
		{"include.conf", "Include nosuch.conf\n", "nosuch.conf"},
		{"glob.conf", "Include conf.d/*.conf\n", "no file matches the wildcard"},
		{"tag.conf", "<VirtualHost *:80\n", "must end with '>'"},
		{"loop.conf", "Include loop.conf\n", "nested more than"},
	}
	for _, tt := range tests {
		f := write(tt.name, tt.text)
		_, err := Import(f, Options{LookupEnv: importEnv})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	if _, err := Import(filepath.Join(dir, "missing.conf"), Options{}); err == nil {
		t.Errorf("a missing file imported without error")
	}
	// IncludeOptional of nothing is fine.
	f := write("optional.conf", "IncludeOptional conf.d/*.conf\nListen 8080\n")
	if _, err := Import(f, Options{}); err != nil {
		t.Errorf("IncludeOptional: %v", err)
	}
}

func TestSplitArgsAndLines(t *testing.T) {
	got := splitArgs(`JkOptions "a b" 'c d' e\"f "g \" h" ""`)
	want := []string{"JkOptions", "a b", "c d", `e\"f`, `g " h`, ""}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitArgs = %q, want %q", got, want)
	}
	lines := logicalLines("a \\\n  b\\\nc\n\nd\r\ne\\ \nf\n")
	want2 := []logicalLine{{"a   bc", 1}, {"", 4}, {"d", 5}, {"e\\ ", 6}, {"f", 7}}
	if len(lines) != len(want2) {
		t.Fatalf("logicalLines = %+v, want %+v", lines, want2)
	}
	for i := range want2 {
		if lines[i] != want2[i] {
			t.Errorf("logicalLines = %+v, want %+v", lines, want2)
		}
	}
}
