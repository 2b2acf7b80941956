package editable

import (
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
)

// field returns the pointer into c (a *config.LB or *config.Member) that
// holds the attribute, or nil when c is of the other scope.
func (a *Attr) field(c any) any {
	switch v := c.(type) {
	case *config.LB:
		if a.lb != nil {
			return a.lb(v)
		}
	case *config.Member:
		if a.mem != nil {
			return a.mem(v)
		}
	}
	return nil
}

// Format prints the attribute of c the way the status worker's machine
// formats and the state file print it.
func (a *Attr) Format(c any) string {
	switch p := a.field(c).(type) {
	case *int:
		return strconv.Itoa(*p)
	case *bool:
		return BoolText(*p)
	case *string:
		return *p
	case *config.Method:
		return p.String()
	case *config.Lock:
		return p.String()
	case *config.Activation:
		return p.Code()
	}
	return ""
}

// Assign stores a value printed by Format into c.
func (a *Attr) Assign(c any, v string) {
	switch p := a.field(c).(type) {
	case *int:
		*p = Atoi(v)
	case *bool:
		*p = BoolCode(v, *p)
	case *string:
		*p = v
	case *config.Method:
		*p = config.ParseMethod(v)
	case *config.Lock:
		*p = config.ParseLock(v)
	case *config.Activation:
		*p = config.ParseActivation(v)
	}
}

// Value is the attribute of c as a number: the value of an int or enum,
// the length of a string, 0 or 1 for a flag. Ranges and radio buttons use
// it.
func (a *Attr) Value(c any) int {
	switch p := a.field(c).(type) {
	case *int:
		return *p
	case *bool:
		if *p {
			return 1
		}
	case *string:
		return len(*p)
	case *config.Method:
		return int(*p)
	case *config.Lock:
		return int(*p)
	case *config.Activation:
		return int(*p)
	}
	return 0
}

// Read interprets an update parameter against the current value cur (in
// Format's form). It returns the new value in Format's form and ok, or
// ok=false when mod_jk ignores it (out of range, unchanged), or tooLong
// when the value is refused with an error.
func (a *Attr) Read(raw, cur string) (val string, ok, tooLong bool) {
	switch a.Kind {
	case Int, Packet:
		n := Atoi(raw)
		if a.Kind == Packet {
			n = alignPacket(n)
		}
		if n < a.Min || n > a.Max {
			return "", false, false
		}
		val = strconv.Itoa(n)
	case Bool:
		val = BoolText(BoolCode(raw, cur == "True"))
	case Str:
		if len(raw) > a.Max {
			return "", false, true
		}
		val = raw
	case Activation:
		val = config.ParseActivation(raw).Code()
	case Method:
		val = config.ParseMethod(raw).String()
	case Lock:
		val = config.ParseLock(raw).String()
	}
	return val, val != cur, false
}

// alignPacket is JK_ALIGN(i, 1024) on the unsigned value.
func alignPacket(n int) int {
	if n > 0 && n%1024 != 0 {
		n += 1024 - n%1024
	}
	return n
}

// RangeError names an edited attribute whose new value is out of its
// range.
type RangeError struct {
	Attr  *Attr
	Value string
}

func (e *RangeError) Error() string { return e.Attr.Name + " " + e.Value }

// Apply runs the edit f of scope s on a copy of cur and returns the new
// attributes: those of the scope that f set (even to their current value)
// rounded as their kind rounds (max_packet_size up to 1024), everything
// else as in cur, the address (host, port: SetAddress) included. It
// returns a *RangeError, and cur unchanged, when an attribute f set is
// out of its range; attributes f did not set are not checked (a
// configuration may hold values the status worker cannot set, such as
// connection_ping_interval 0).
//
// To tell "set to the current value" from "not set", f also runs on a
// probe whose attributes all differ from cur: an attribute f did not set
// keeps the difference. f must therefore only assign.
func Apply[C config.LB | config.Member](s Scope, cur *C, f func(*C)) (C, error) {
	set, probe, next := *cur, *cur, *cur
	f(&set)
	for i := range Table {
		if a := &Table[i]; a.Scope == s && !a.Address {
			a.perturb(&probe)
		}
	}
	f(&probe)
	for i := range Table {
		a := &Table[i]
		if a.Scope != s || a.Address || a.same(&set, cur) && !a.same(&set, &probe) {
			continue
		}
		a.copy(&next, &set)
		if err := a.check(&next); err != nil {
			return *cur, err
		}
	}
	return next, nil
}

// Validate checks the attributes of scope s that differ between old and
// next, as Apply checks those an edit set.
func Validate(s Scope, old, next any) error {
	for i := range Table {
		if a := &Table[i]; a.Scope == s && !a.same(old, next) {
			if err := a.check(next); err != nil {
				return err
			}
		}
	}
	return nil
}

// check rounds a Packet in c, then checks the range.
func (a *Attr) check(c any) error {
	if p, ok := a.field(c).(*int); ok && a.Kind == Packet {
		*p = alignPacket(*p)
	}
	n := a.Value(c)
	if a.Kind == Bool || a.Min <= n && n <= a.Max {
		return nil
	}
	v := strconv.Itoa(n) // an enum out of range has no name
	if a.Kind == Str {
		v = a.Format(c)
	}
	return &RangeError{Attr: a, Value: v}
}

// same reports whether x and y hold the same value of the attribute.
func (a *Attr) same(x, y any) bool {
	if a.Kind == Str {
		return a.Format(x) == a.Format(y)
	}
	return a.Value(x) == a.Value(y)
}

// perturb changes the attribute in c to some other value.
func (a *Attr) perturb(c any) {
	switch p := a.field(c).(type) {
	case *int:
		*p = ^*p
	case *bool:
		*p = !*p
	case *string:
		*p += "\x00"
	case *config.Method:
		*p = ^*p
	case *config.Lock:
		*p = ^*p
	case *config.Activation:
		*p = ^*p
	}
}

func (a *Attr) copy(dst, src any) {
	switch d := a.field(dst).(type) {
	case *int:
		*d = *a.field(src).(*int)
	case *bool:
		*d = *a.field(src).(*bool)
	case *string:
		*d = *a.field(src).(*string)
	case *config.Method:
		*d = *a.field(src).(*config.Method)
	case *config.Lock:
		*d = *a.field(src).(*config.Lock)
	case *config.Activation:
		*d = *a.field(src).(*config.Activation)
	}
}

// Atoi is C's atoi as glibc implements it ((int)strtol(s, NULL, 10)):
// leading white space, an optional sign, then digits up to the first
// non-digit; no digits gives 0. strtol saturates at the 64-bit limits and
// the cast keeps the low 32 bits, so "4294967297" is 1.
func Atoi(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var v uint64
	overflow := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if v > (1<<63)/10 {
			overflow = true
			continue
		}
		v = v*10 + uint64(s[i]-'0')
		if v > 1<<63 {
			overflow = true
		}
	}
	if !neg && v == 1<<63 {
		overflow = true
	}
	var n int64
	switch {
	case overflow && neg:
		n = -1 << 63
	case overflow:
		n = 1<<63 - 1
	case neg:
		n = -int64(v)
	default:
		n = int64(v)
	}
	return int(int32(n))
}

// BoolCode is jk_get_bool_code: "off" or a leading F/N or exactly "0" is
// false; "on" or a leading T/Y or exactly "1" is true; anything else is
// def.
func BoolCode(v string, def bool) bool {
	switch {
	case strings.EqualFold(v, "off") || v == "0":
		return false
	case strings.EqualFold(v, "on") || v == "1":
		return true
	case v == "":
		return def
	}
	switch v[0] {
	case 'F', 'f', 'N', 'n':
		return false
	case 'T', 't', 'Y', 'y':
		return true
	}
	return def
}

// BoolText is jk_get_bool: how the status worker prints a flag.
func BoolText(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
