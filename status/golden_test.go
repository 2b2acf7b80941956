package status

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/status")

// TestListGolden pins the list output in every mime on a fixed state: t1
// with traffic, t2 idle with a dotted route, t3 disabled and in ERR after
// a refused connection, a plain ajp13 worker. The machine formats were
// checked against real mod_jk 1.2.48 for the same workers.properties
// (names, order, quoting, indentation); see also the differential
// integration test.
func TestListGolden(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.traffic()
	f.failT3()
	for _, mime := range []string{"txt", "prop", "xml", "html"} {
		t.Run(mime, func(t *testing.T) {
			got := body(t, f.get("mime="+mime, "Accept: text/html"))
			golden(t, "list."+mime, got)
		})
	}
	t.Run("show-member-xml", func(t *testing.T) {
		golden(t, "show-t3.xml", body(t, f.get("cmd=show&w=lb&sw=t3&mime=xml")))
	})
	t.Run("dump-txt", func(t *testing.T) {
		golden(t, "dump.txt", body(t, f.get("cmd=dump&mime=txt")))
	})
	t.Run("edit-member-html", func(t *testing.T) {
		golden(t, "edit-t1.html", body(t, f.get("cmd=edit&w=lb&sw=t1&from=list")))
	})
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "testdata", "status", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./status -run TestListGolden -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run go test ./status -run TestListGolden -update to accept):\n--- got\n%s", name, got)
	}
}
