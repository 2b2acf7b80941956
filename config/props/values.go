package props

import (
	"math"
	"strings"
)

// IsSpace is C isspace in the "C" locale: mod_jk trims with it, so CRLF
// files and stray vertical tabs are harmless.
func IsSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}

// TrimSpace trims C isspace from both ends, as mod_jk trims values.
func TrimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && IsSpace(s[i]) {
		i++
	}
	for j > i && IsSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// Atoi behaves like C Atoi: leading blanks, an optional sign, then digits
// up to the first non-digit; no digits at all gives 0. ok reports whether
// the whole string was that number. The result saturates at the 32-bit
// range instead of overflowing (C int, undefined behaviour in mod_jk).
func Atoi(s string) (n int, ok bool) {
	i := 0
	for i < len(s) && IsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n <= math.MaxInt32 {
			n = n*10 + int(s[i]-'0')
		}
	}
	n = min(n, math.MaxInt32)
	if neg {
		n = -n
	}
	return n, i > start && i == len(s)
}

// ParseInt reads an integer attribute like mod_jk's jk_map_get_int: a
// trailing k/K multiplies by 1024 and m/M by 1048576, the rest is atoi
// (so "10s" is 10 and "abc" is 0). ok is false when mod_jk would have
// silently ignored part of the text.
func ParseInt(v string) (n int, ok bool) {
	mult := 1
	if v != "" {
		switch v[len(v)-1] {
		case 'k', 'K':
			mult, v = 1024, v[:len(v)-1]
		case 'm', 'M':
			mult, v = 1048576, v[:len(v)-1]
		}
	}
	n, ok = Atoi(v)
	return Clamp32(int64(n) * int64(mult)), ok
}

// Clamp32 saturates v to the range of a C int.
func Clamp32(v int64) int {
	return int(max(min(v, math.MaxInt32), math.MinInt32))
}

// ParseBool follows jk_get_bool_code: "on"/"off" in any case, then the
// first character (F f N n false, T t Y y true), then the exact strings
// "0" and "1". ok is false when nothing matched; mod_jk then keeps the
// attribute's default.
func ParseBool(v string) (b, ok bool) {
	switch {
	case strings.EqualFold(v, "on"):
		return true, true
	case strings.EqualFold(v, "off"):
		return false, true
	case v == "0":
		return false, true
	case v == "1":
		return true, true
	case v == "":
		return false, false
	}
	switch v[0] {
	case 'F', 'f', 'N', 'n':
		return false, true
	case 'T', 't', 'Y', 'y':
		return true, true
	}
	return false, false
}

// SplitList splits a list attribute on space, tab and comma, dropping
// empty tokens (mod_jk jk_parse_str_list uses the same separators).
func SplitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' })
}

// NormalizePingMode keeps the recognised letters of ping_mode as a subset
// of "CPI" in that order; A means all three and unknown letters are
// ignored, like mod_jk's jk_ajp_get_cping_mode.
func NormalizePingMode(v string) string {
	var c, p, i bool
	for j := 0; j < len(v); j++ {
		switch v[j] {
		case 'C', 'c':
			c = true
		case 'P', 'p':
			p = true
		case 'I', 'i':
			i = true
		case 'A', 'a':
			c, p, i = true, true, true
		}
	}
	var b strings.Builder
	for _, f := range []struct {
		on bool
		l  byte
	}{{c, 'C'}, {p, 'P'}, {i, 'I'}} {
		if f.on {
			b.WriteByte(f.l)
		}
	}
	return b.String()
}

// editDistance is the Levenshtein distance, used only to suggest the
// attribute an operator probably meant.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
