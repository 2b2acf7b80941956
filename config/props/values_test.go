package props

import (
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"8192", 8192, true}, {"64k", 65536, true}, {"64K", 65536, true}, {"1m", 1048576, true},
		{"2M", 2097152, true}, {"-5", -5, true}, {"+7", 7, true}, {"10s", 10, false},
		{"abc", 0, false}, {"k", 0, false}, {"", 0, false}, {" 12", 12, true},
		{"99999999999", 2147483647, true}, {"4096m", 2147483647, true}, {"-99999999999", -2147483647, true},
	}
	for _, tt := range tests {
		if got, ok := ParseInt(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in     string
		want   bool
		wantOK bool
	}{
		{"on", true, true}, {"ON", true, true}, {"Off", false, true}, {"1", true, true}, {"0", false, true},
		{"true", true, true}, {"True", true, true}, {"yes", true, true}, {"Y", true, true},
		{"false", false, true}, {"no", false, true}, {"N", false, true}, {"f", false, true},
		// "10" is neither "1" nor a letter: mod_jk keeps the default
		{"10", false, false}, {"2", false, false}, {"maybe", false, false}, {"", false, false},
		// "onion" is not "on" but starts with neither a true nor a false letter
		{"onion", false, false},
	}
	for _, tt := range tests {
		if got, ok := ParseBool(tt.in); got != tt.want || ok != tt.wantOK {
			t.Errorf("parseBool(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestNormalizePingMode(t *testing.T) {
	for in, want := range map[string]string{"": "", "A": "CPI", "a": "CPI", "IC": "CI", "pp": "P", "xyz": "", "CxI": "CI", "AC": "CPI"} {
		if got := NormalizePingMode(in); got != want {
			t.Errorf("normalizePingMode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitLine(t *testing.T) {
	tests := []struct {
		line, name, value string
		eq, ok            bool
	}{
		{"a=b", "a", "b", true, true},
		{"  a = b = c  ", "a", "b = c", true, true},
		{"a=b#c", "a", "b", true, true},
		{"#a=b", "", "", false, false},
		{"a\t=\v b\r", "a", "b", true, true},
		{"novalue", "novalue", "", false, true},
		{"a=", "a", "", true, true},
		{"   ", "", "", false, false},
	}
	for _, tt := range tests {
		name, value, eq, ok := SplitLine(tt.line)
		if name != tt.name || value != tt.value || eq != tt.eq || ok != tt.ok {
			t.Errorf("splitLine(%q) = %q %q %v %v", tt.line, name, value, eq, ok)
		}
	}
}

func TestSubstitute(t *testing.T) {
	env := map[string]string{"HOME": "/home/x", "LOOP": "$(LOOP)", "E": "env"}
	m := NewMap(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	var c diag.Collector
	m.ReadLine("base=/srv", diag.Pos{Line: 1}, &c)
	m.ReadLine("E=map", diag.Pos{Line: 2}, &c)
	tests := map[string]string{
		"$(base)/app":                 "/srv/app",
		"$(HOME)":                     "/home/x",
		"$(E)":                        "map", // earlier keys before the environment
		"$(nope)/x":                   "$(nope)/x",
		"$(nope)$(base)":              "$(nope)/srv",
		"$(LOOP)":                     "$(LOOP)", // substituted text is not scanned again
		"$(base":                      "$(base",
		"a$()b":                       "a$()b",
		strings.Repeat("$(base)", 25): strings.Repeat("/srv", 20) + strings.Repeat("$(base)", 5),
	}
	for in, want := range tests {
		if got := m.Substitute(in); got != want {
			t.Errorf("substitute(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitWorkerKey(t *testing.T) {
	for key, want := range map[string][2]string{
		"worker.list":         {"", "list"},
		"worker.a.port":       {"a", "port"},
		"worker.a.b.port":     {"a.b", "port"},
		"worker.":             {"", ""},
		"worker.x.lb_retries": {"x", "lb_retries"},
	} {
		n, a := SplitWorkerKey(key)
		if n != want[0] || a != want[1] {
			t.Errorf("splitWorkerKey(%q) = %q, %q; want %q", key, n, a, want)
		}
	}
}
