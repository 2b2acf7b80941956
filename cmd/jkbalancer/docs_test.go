package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// The documentation lives in the repository (docs/), and comments cite it
// by page and heading ("docs/compat.md#sticky-sessions"). These tests keep
// those references from rotting: a renamed heading or a moved page fails
// here instead of leaving a reader at a dead link.

// citeRe finds a docs page, with its optional anchor, cited in Go source.
var citeRe = regexp.MustCompile(`docs/[a-z0-9_-]+\.md(#[a-z0-9_-]+)?`)

// linkRe finds the target of a markdown link or image: [text](target).
var linkRe = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// citingFile reports whether a file may cite docs pages: Go source (tests
// and build-tagged files included), the markdown pages, and the deploy
// files' comments. Other files under testdata are data, not prose.
func citingFile(path string) bool {
	name := filepath.Base(path)
	if strings.Contains(filepath.ToSlash(path), "/testdata/") {
		return name == "README.md"
	}
	switch filepath.Ext(name) {
	case ".go", ".md", ".yaml", ".yml", ".properties", ".service", ".sh", ".conf":
		return true
	}
	return name == "Dockerfile"
}

// TestDocsCitedInCodeResolve: every docs/PAGE.md#anchor a Go file, a
// markdown page or a deploy file cites (in a comment or a string) names an
// existing page and one of its headings.
func TestDocsCitedInCodeResolve(t *testing.T) {
	anchors := newAnchorCache()
	cites := 0
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != repoRoot {
			return filepath.SkipDir
		}
		if d.IsDir() || !citingFile(path) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, ref := range citeRe.FindAllString(line, -1) {
				cites++
				rel, _ := filepath.Rel(repoRoot, path)
				if msg := anchors.resolve(ref); msg != "" {
					t.Errorf("%s:%d cites %s: %s", rel, i+1, ref, msg)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cites < 50 {
		t.Fatalf("only %d docs/ citations found; is the walk broken?", cites)
	}
}

// TestDocsLinksResolve: every relative link in README.md and docs/*.md
// names an existing file, and an anchor names a heading of its page.
func TestDocsLinksResolve(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil || len(pages) < 10 {
		t.Fatalf("docs pages: %v %v", pages, err)
	}
	pages = append(pages, filepath.Join(repoRoot, "README.md"), filepath.Join(repoRoot, "README.ko.md"))
	anchors := newAnchorCache()
	links := 0
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repoRoot, page)
		for i, line := range strings.Split(string(data), "\n") {
			for _, m := range linkRe.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				links++
				file, anchor, _ := strings.Cut(target, "#")
				if file == "" {
					file = rel
				} else {
					file = filepath.Join(filepath.Dir(rel), file)
				}
				if msg := anchors.resolvePath(filepath.ToSlash(file), anchor); msg != "" {
					t.Errorf("%s:%d links to %s: %s", rel, i+1, target, msg)
				}
			}
		}
	}
	if links < 30 {
		t.Fatalf("only %d relative links found in README.md and docs/", links)
	}
}

// TestHeadingAnchor pins the heading-to-anchor rule against the anchors
// GitHub gives headings, so the tests above check what a reader clicks.
func TestHeadingAnchor(t *testing.T) {
	for heading, want := range map[string]string{
		"Known mod_jk weaknesses":             "known-mod_jk-weaknesses",
		"Reset, recover, dump and version":    "reset-recover-dump-and-version",
		"`jkbalancer import`":                 "jkbalancer-import",
		"Members from DNS (Kubernetes)":       "members-from-dns-kubernetes",
		"Compatibility with mod_jk 1.2.48":    "compatibility-with-mod_jk-1248",
		"CPing and timeouts":                  "cping-and-timeouts",
		"workers.properties: the global keys": "workersproperties-the-global-keys",
		"Metrics and health endpoints":        "metrics-and-health-endpoints",
		"A/B & C -- mixed":                    "ab--c----mixed",
	} {
		if got := headingAnchor(heading); got != want {
			t.Errorf("headingAnchor(%q) = %q, want %q", heading, got, want)
		}
	}
	a := newAnchorCache()
	a.pages["x.md"] = anchorsOf("# A\n## Notes\n```\n## Not a heading\n```\n## Notes\n")
	for ref, want := range map[string]string{
		"x.md#notes": "", "x.md#notes-1": "", "x.md#a": "",
		"x.md#not-a-heading": "no heading", "x.md#notes-2": "no heading",
	} {
		file, anchor, _ := strings.Cut(ref, "#")
		if msg := a.resolvePath(file, anchor); (msg == "") != (want == "") || !strings.Contains(msg, want) {
			t.Errorf("resolve %s: %q, want %q", ref, msg, want)
		}
	}
}

// headingAnchor is GitHub's rule: lowercase, a space becomes '-', and
// every other character that is not a letter, a digit, '-' or '_' is
// dropped (so "1.2.48" gives "1248" and "a -- b" keeps both dashes).
func headingAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchorsOf returns the anchors of a markdown page: one per ATX heading
// outside code fences, a repeated one numbered "-1", "-2" as GitHub does.
func anchorsOf(text string) map[string]bool {
	anchors := make(map[string]bool)
	seen := make(map[string]int)
	fence := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
			continue
		}
		hashes := len(line) - len(strings.TrimLeft(line, "#"))
		if fence || hashes == 0 || hashes > 6 || !strings.HasPrefix(line[hashes:], " ") {
			continue
		}
		a := headingAnchor(line[hashes:])
		if n := seen[a]; n > 0 {
			anchors[a+"-"+itoa(n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}

// anchorCache reads each page once; a page that does not exist maps to nil.
type anchorCache struct{ pages map[string]map[string]bool }

func newAnchorCache() *anchorCache { return &anchorCache{pages: make(map[string]map[string]bool)} }

// resolve checks a citation "docs/PAGE.md[#anchor]" relative to the root.
func (c *anchorCache) resolve(ref string) string {
	file, anchor, _ := strings.Cut(ref, "#")
	return c.resolvePath(file, anchor)
}

// resolvePath says what is wrong with file (relative to the repository
// root) and anchor, or "" when both exist.
func (c *anchorCache) resolvePath(file, anchor string) string {
	file = filepath.ToSlash(filepath.Clean(file))
	if strings.HasPrefix(file, "../") {
		return "the link leaves the repository"
	}
	if _, ok := c.pages[file]; !ok {
		c.pages[file] = loadAnchors(file)
	}
	anchors := c.pages[file]
	if anchors == nil {
		return "no such file"
	}
	if anchor != "" && !anchors[anchor] {
		return "no heading with that anchor in " + file
	}
	return ""
}

// loadAnchors returns the anchors of a markdown file, an empty set for
// any other file or a directory, and nil when there is no such file.
func loadAnchors(file string) map[string]bool {
	path := filepath.Join(repoRoot, file)
	info, err := os.Stat(path)
	if err != nil {
		return nil
	}
	if info.IsDir() || !strings.HasSuffix(file, ".md") {
		return map[string]bool{}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return anchorsOf(string(data))
}
