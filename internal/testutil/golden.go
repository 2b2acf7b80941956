package testutil

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

// Golden compares got with the golden file name; an absent file means
// "empty". With update set (the package's -update flag) it rewrites the
// file instead (removes it for an empty got). hint says how to accept a
// difference ("go test ./config -run TestGolden -update").
func Golden(t testing.TB, name, got string, update bool, hint string) {
	t.Helper()
	want, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if update {
		if got == "" {
			os.Remove(name)
			return
		}
		if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(want) != got {
		t.Errorf("%s differs (run %s to accept):\n--- want\n%s\n--- got\n%s", name, hint, want, got)
	}
}
