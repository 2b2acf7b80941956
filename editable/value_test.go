package editable

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

func TestAtoi(t *testing.T) {
	for in, want := range map[string]int{"": 0, "12": 12, " \t-7x": -7, "+3": 3, "abc": 0, "1e3": 1,
		"4294967297": 1, "99999999999999999999": -1, "-99999999999999999999": 0, "2147483648": -2147483648} {
		if got := Atoi(in); got != want {
			t.Errorf("Atoi(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestBoolCode(t *testing.T) {
	for in, want := range map[string]bool{"on": true, "OFF": false, "1": true, "0": false, "true": true,
		"False": false, "yes": true, "no": false, "10": true, "01": true, "x": true, "": true} {
		// def is true: "10", "01", "x" and "" are not understood.
		if got := BoolCode(in, true); got != want {
			t.Errorf("BoolCode(%q, true) = %v, want %v", in, got, want)
		}
	}
}

func TestTableRows(t *testing.T) {
	params, names := map[string]bool{}, map[string]bool{}
	for i := range Table {
		a := &Table[i]
		key := strconv.Itoa(int(a.Scope)) + "/" + a.Name
		if params[a.Param] || names[key] {
			t.Errorf("%s (%s) is listed twice", a.Param, key)
		}
		params[a.Param], names[key] = true, true
		if a.Label == "" || a.Kind == Str && a.What == "" || a.Min > a.Max && a.Kind != Bool {
			t.Errorf("%s: incomplete row %+v", a.Param, a)
		}
		// The accessor matches the scope: the field of the other
		// configuration struct is nil.
		lb, m := a.field(&config.LB{}), a.field(&config.Member{})
		if (a.Scope == ScopeLB) != (lb != nil) || (a.Scope == ScopeLB) == (m != nil) {
			t.Errorf("%s: accessor does not match scope %d", a.Param, a.Scope)
		}
	}
}

func TestApplyChecksWhatTheEditSets(t *testing.T) {
	cur := &config.Member{Retries: 2, MaxPacketSize: 8192, Host: "h", Secret: "s"} // connection_ping_interval 0: off
	next, err := Apply(ScopeAJP, cur, func(c *config.Member) { c.BusyLimit = 5 })
	if err != nil || next.BusyLimit != 5 || next.ConnectionPingInterval != 0 {
		t.Errorf("an out-of-range value the edit does not set must be kept: %v %+v", err, next)
	}
	_, err = Apply(ScopeAJP, cur, func(c *config.Member) { c.ConnectionPingInterval = 0 })
	var re *RangeError
	if !errors.As(err, &re) || re.Attr.Name != "connection_ping_interval" {
		t.Errorf("setting an out-of-range value, even the current one: %v", err)
	}
	next, err = Apply(ScopeAJP, cur, func(c *config.Member) { c.MaxPacketSize = 9000 })
	if err != nil || next.MaxPacketSize != 9216 {
		t.Errorf("max_packet_size is rounded up to 1024: %v %d", err, next.MaxPacketSize)
	}
	if _, err = Apply(ScopeAJP, cur, func(c *config.Member) { c.MaxPacketSize = 65537 }); err == nil {
		t.Error("max_packet_size 65537 rounds to 66560, out of range")
	}
	next, err = Apply(ScopeAJP, cur, func(c *config.Member) { c.Secret, c.Host, c.Retries = "x", "y", 3 })
	if err != nil || next.Secret != "s" || next.Host != "h" || next.Retries != 3 {
		t.Errorf("only the table's attributes, not the address, take effect: %v %+v", err, next)
	}
	if cur.Retries != 2 || cur.MaxPacketSize != 8192 || cur.Host != "h" || cur.Secret != "s" || cur.BusyLimit != 0 {
		t.Errorf("Apply changed cur: %+v", cur)
	}
	lb := &config.LB{Retries: 1, Method: config.MethodNext}
	if _, err = Apply(ScopeLB, lb, func(c *config.LB) { c.Method = config.Method(9) }); err == nil ||
		err.Error() != "method 9" {
		t.Errorf("an enum out of range: %v", err)
	}
}

func TestValidateChecksWhatChanged(t *testing.T) {
	long := strings.Repeat("h", MaxValueLen+1)
	cur := &config.Member{Host: long, Port: 8009}
	next := *cur
	next.Port = 8010
	if err := Validate(ScopeAJP, cur, &next); err != nil {
		t.Errorf("an unchanged configured host is not checked: %v", err)
	}
	next.Port = 70000
	if err := Validate(ScopeAJP, cur, &next); err == nil || err.Error() != "port 70000" {
		t.Errorf("port 70000: %v", err)
	}
}
