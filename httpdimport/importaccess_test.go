package httpdimport

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRequireIP(t *testing.T) {
	for in, want := range map[string]string{
		"10.1.2.3": "10.1.2.3", "10": "10.0.0.0/8", "10.1": "10.1.0.0/16", "172.16.1": "172.16.1.0/24",
		"10.1.": "10.1.0.0/16", "192.168.1.0/255.255.255.0": "192.168.1.0/24", "10.0.0.0/255.0.0.0": "10.0.0.0/8",
		"10.1.2.3/16": "10.1.0.0/16", "::1": "::1", "2001:db8::/32": "2001:db8::/32",
		"::ffff:10.0.0.1": "10.0.0.1",
		// refused
		"10.0.0.0/255.0.255.0": "", "host.example.com": "", "10.0.0.0/33": "", "1.2.3.4.5": "", "": "", "fe80::1%eth0": "",
	} {
		got, ok := requireIP(in)
		if got != want || ok != (want != "") {
			t.Errorf("requireIP(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

// importString imports one httpd.conf (with a workers.properties that
// makes s a status worker and app an ajp13 one).
func importString(t *testing.T, conf string) *Imported {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"httpd.conf": "JkWorkersFile workers.properties\n" + conf,
		"workers.properties": "worker.list=s,app\nworker.s.type=status\nworker.app.host=127.0.0.1\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	im, err := Import(filepath.Join(dir, "httpd.conf"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func leftovers(im *Imported) string {
	var b strings.Builder
	for _, l := range im.Leftovers {
		b.WriteString(l.String() + "\n")
	}
	return b.String()
}

func TestImportStatusAccess(t *testing.T) {
	// Address and login together: httpd admits either (RequireAny);
	// jkbalancer requires both, so the import carries both and says so.
	im := importString(t, "<Location /jks>\nJkMount s\nRequire local\nRequire valid-user\nAuthType basic\nAuthUserFile users\n</Location>\n")
	y := string(im.YAML)
	for _, want := range []string{`"worker.s.allow=127.0.0.0/8 ::1"`, `"worker.s.user_file=`} {
		if !strings.Contains(y, want) {
			t.Errorf("no %s in\n%s", want, y)
		}
	}
	if im.Errors() != 1 || !strings.Contains(leftovers(im), "error: Require local: httpd admits a client that satisfies any one Require line") {
		t.Errorf("%d errors:\n%s", im.Errors(), leftovers(im))
	}

	// A login without a user file cannot be carried: an error, no user_file.
	im = importString(t, "JkMount /jks/* s\n<Location /jks/>\nRequire valid-user\n</Location>\n")
	if strings.Contains(string(im.YAML), "user_file") || im.Errors() != 1 ||
		!strings.Contains(leftovers(im), "error: Require valid-user: a login needs AuthType Basic with an AuthUserFile") {
		t.Errorf("%d errors:\n%s\n%s", im.Errors(), leftovers(im), im.YAML)
	}

	// Two locations of one status worker with different rules: the second
	// is an error; with the same rules it is carried silently.
	im = importString(t, "<Location /a>\nJkMount s\nRequire ip 10.0.0.1\n</Location>\n<Location /b>\nJkMount s\nRequire ip 10.0.0.2\n</Location>\n")
	if im.Errors() != 1 || !strings.Contains(leftovers(im), "error: Require ip 10.0.0.2: status worker s already takes its access rules from <Location /a>") {
		t.Errorf("%d errors:\n%s", im.Errors(), leftovers(im))
	}
	im = importString(t, "<Location /a>\nJkMount s\nRequire ip 10.0.0.1\n</Location>\n<Location /b>\nJkMount s\nRequire ip 10.0.0.1\n</Location>\n")
	if im.Errors() != 0 || strings.Count(string(im.YAML), "worker.s.allow=") != 1 {
		t.Errorf("%d errors:\n%s\n%s", im.Errors(), leftovers(im), im.YAML)
	}

	// Require all granted alone is nothing to carry and nothing to report.
	im = importString(t, "<Location /a>\nJkMount s\nRequire all granted\n</Location>\n<LocationMatch ^/b>\nRequire all granted\n</LocationMatch>\n")
	if len(im.Leftovers) != 0 || strings.Contains(string(im.YAML), "allow") {
		t.Errorf("%s\n%s", leftovers(im), im.YAML)
	}
	// An application location keeps no restriction in jkbalancer: error.
	im = importString(t, "<Location /app>\nJkMount app\nRequire ip 10.0.0.0/8\n</Location>\n")
	if im.Errors() != 1 || strings.Contains(string(im.YAML), "allow") {
		t.Errorf("%s\n%s", leftovers(im), im.YAML)
	}
}
