package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerignoreRule is one line of .dockerignore.
type dockerignoreRule struct {
	re     *regexp.Regexp
	negate bool // a "!" line: include again
}

// readDockerignore reads the patterns the way Docker applies them: paths
// relative to the context root, "*" and "?" within one path element,
// "**" across any number of them, "!" re-including, the last matching
// line winning.
func readDockerignore(t *testing.T) []dockerignoreRule {
	t.Helper()
	var rules []dockerignoreRule
	for _, line := range strings.Split(readRepoFile(t, ".dockerignore"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		neg := strings.HasPrefix(line, "!")
		pat := filepath.ToSlash(filepath.Clean(strings.TrimPrefix(strings.TrimPrefix(line, "!"), "/")))
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(pat); i++ {
			switch {
			case strings.HasPrefix(pat[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(pat[i:], "**"):
				re.WriteString(".*")
				i++
			case pat[i] == '*':
				re.WriteString("[^/]*")
			case pat[i] == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(pat[i : i+1]))
			}
		}
		re.WriteString("$")
		rules = append(rules, dockerignoreRule{re: regexp.MustCompile(re.String()), negate: neg})
	}
	return rules
}

// ignored reports whether rel (slash-separated) is left out of the
// context: a pattern that matches a directory leaves out what is in it.
func ignored(rules []dockerignoreRule, rel string) bool {
	out := false
	for _, r := range rules {
		for p := rel; p != "."; p = filepath.Dir(p) {
			if r.re.MatchString(p) {
				out = !r.negate
				break
			}
		}
	}
	return out
}

// copyBuildContext copies the files of root that .dockerignore keeps
// into dst, as docker build sends them.
func copyBuildContext(t *testing.T, root, dst string) {
	t.Helper()
	rules := readDockerignore(t)
	for _, must := range []string{".git/HEAD", "jkbalancer", "config/load_test.go"} {
		if !ignored(rules, must) {
			t.Errorf(".dockerignore keeps %s: the context would carry history, a stale binary or the tests", must)
		}
	}
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		if ignored(rules, filepath.ToSlash(rel)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		if n++; n > 20000 {
			t.Fatal("the build context holds more than 20000 files")
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
