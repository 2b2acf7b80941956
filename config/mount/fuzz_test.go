package mount

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

// seedFiles adds every file of config's golden cases with the given name
// as a seed.
func seedFiles(f *testing.F, name string) {
	_ = filepath.WalkDir(filepath.Join("..", "..", "testdata", "config"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
}

func FuzzURIWorkerMap(f *testing.F) {
	seedFiles(f, "uriworkermap.properties")
	f.Fuzz(func(t *testing.T, data []byte) {
		var c diag.Collector
		rules := ParseFile(data, "u.map", func(string) (string, bool) { return "", false }, &c)
		for _, p := range c.Problems {
			if !p.Warning {
				t.Fatalf("uriworkermap problems must be warnings: %v", p)
			}
		}
		tb := NewTable(rules)
		for i := range rules {
			r := &rules[i]
			if !strings.HasPrefix(r.Pattern, "/") || r.Wildcard != strings.ContainsAny(r.Pattern, "*?") || r.Ext.ReplyTimeout < -1 {
				t.Fatalf("bad rule %+v", r)
			}
			if i > 0 && mountBefore(&tb.Rules[i], &tb.Rules[i-1]) {
				t.Fatalf("rules out of order at %d", i)
			}
			if m := tb.Match(r.Pattern); m != nil && (m.Disabled || m.Exclude || !m.matches(r.Pattern)) {
				t.Fatalf("Match(%q) returned %+v", r.Pattern, m)
			}
		}
	})
}

// FuzzMatch checks the wildcard matcher against a regular expression (Go's
// regexp runs in linear time, so it is a safe oracle) and Match against
// the matcher.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"/app/*", "/app/x"}, {"/*.jsp", "/a/b.jsp"}, {"/v?/a", "/v1/a"}, {"/*a*a*b", "/aaaa"}, {"/x", "/x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		if len(pattern) > 64 || len(path) > 256 {
			return
		}
		var re strings.Builder
		re.WriteString(`(?s)\A`)
		for i := 0; i < len(pattern); i++ {
			switch pattern[i] {
			case '*':
				re.WriteString(`[\x00-\xff]*`)
			case '?':
				re.WriteString(`[\x00-\xff]`)
			default:
				re.WriteString(regexp.QuoteMeta(string([]byte{pattern[i]})))
			}
		}
		re.WriteString(`\z`)
		// Match bytes, not runes: map each byte to the rune of the same value.
		want := regexp.MustCompile(latin1(re.String())).MatchString(latin1(path))
		if got := wildcardMatch(pattern, path); got != want {
			t.Fatalf("wildcardMatch(%q, %q) = %v, regexp says %v", pattern, path, got, want)
		}
		if !strings.HasPrefix(pattern, "/") {
			return
		}
		tb := NewTable([]Rule{{Pattern: pattern, Worker: "w", Wildcard: strings.ContainsAny(pattern, "*?")}})
		m := tb.Match(path)
		exact := !strings.ContainsAny(pattern, "*?")
		if wantHit := (exact && pattern == path) || (!exact && want); (m != nil) != wantHit {
			t.Fatalf("Match(%q) with rule %q = %v, want hit=%v", path, pattern, m, wantHit)
		}
	})
}

// latin1 widens every byte to a rune so that regexp compares bytes.
func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}
