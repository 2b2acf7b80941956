package mount

import (
	"sort"
	"strings"
)

// NewTable sorts rules into mod_jk's precedence order
// (docs/compat.md#mount-precedence, worker_compare): more '/' first, then longer
// pattern first, then
// source (uriworkermap > JkMount > worker.X.mount). Exact and wildcard
// rules are not distinguished. Remaining ties keep their input order
// (mod_jk's qsort leaves them unspecified). The rules are copied.
func NewTable(rules []Rule) *Table {
	sorted := make([]Rule, len(rules))
	copy(sorted, rules)
	sort.SliceStable(sorted, func(i, j int) bool { return mountBefore(&sorted[i], &sorted[j]) })
	return &Table{Rules: sorted}
}

func mountBefore(a, b *Rule) bool {
	if sa, sb := strings.Count(a.Pattern, "/"), strings.Count(b.Pattern, "/"); sa != sb {
		return sa > sb
	}
	if len(a.Pattern) != len(b.Pattern) {
		return len(a.Pattern) > len(b.Pattern)
	}
	return a.Source > b.Source
}

// Match maps a normalised request path to a rule, or nil when the path is
// not mapped. The first enabled positive rule in precedence order wins;
// then every enabled exclusion whose worker is the matched worker or "*"
// is tried, regardless of specificity, and any match cancels the mapping
// (mod_jk find_match + is_nomatch). Paths longer than MaxMatchURI are not
// mapped (CVE-2007-0774). Match does not allocate and is safe for
// concurrent use.
func (t *Table) Match(path string) *Rule {
	if t == nil || len(path) > MaxMatchURI {
		return nil
	}
	var hit *Rule
	for i := range t.Rules {
		r := &t.Rules[i]
		if r.Disabled || r.Exclude {
			continue
		}
		if r.matches(path) {
			hit = r
			break
		}
	}
	if hit == nil {
		return nil
	}
	for i := range t.Rules {
		r := &t.Rules[i]
		if !r.Exclude || r.Disabled || (r.Worker != hit.Worker && r.Worker != "*") {
			continue
		}
		if r.matches(path) {
			return nil
		}
	}
	return hit
}

func (m *Rule) matches(path string) bool {
	if !m.Wildcard {
		return m.Pattern == path
	}
	return wildcardMatch(m.Pattern, path)
}

// wildcardMatch is a whole-string, case-sensitive match where '*' matches
// any run of bytes (including '/' and the empty run) and '?' exactly one
// byte (mod_jk jk_wildchar_match). It backtracks only to the most recent
// '*', so it runs in O(len(pattern)*len(s)) time: patterns such as
// /*a*a*a*b cannot blow up.
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0 // last '*' seen, and where its run currently ends in s
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]) && pattern[p] != '*':
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			// Let the last '*' swallow one more byte and retry from there.
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
