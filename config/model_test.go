package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseFirstLetter(t *testing.T) {
	acts := map[string]Activation{"": Active, "A": Active, "a": Active, "0": Active, "D": Disabled, "disabled": Disabled,
		"1": Disabled, "S": Stopped, "stop": Stopped, "2": Stopped, "x": Active}
	for in, want := range acts {
		if got := ParseActivation(in); got != want {
			t.Errorf("ParseActivation(%q) = %v, want %v", in, got, want)
		}
	}
	methods := map[string]Method{"": MethodRequest, "R": MethodRequest, "Traffic": MethodTraffic, "1": MethodTraffic,
		"b": MethodBusyness, "2": MethodBusyness, "Sessions": MethodSessions, "3": MethodSessions,
		"next": MethodNext, "4": MethodNext, "?": MethodRequest}
	for in, want := range methods {
		if got := ParseMethod(in); got != want {
			t.Errorf("ParseMethod(%q) = %v, want %v", in, got, want)
		}
	}
	for in, want := range map[string]Lock{"": LockOptimistic, "O": LockOptimistic, "P": LockPessimistic, "pessimistic": LockPessimistic, "1": LockPessimistic} {
		if got := ParseLock(in); got != want {
			t.Errorf("ParseLock(%q) = %v, want %v", in, got, want)
		}
	}
	if Disabled.Code() != "DIS" || Stopped.Code() != "STP" || Active.Code() != "ACT" || Stopped.String() != "Stopped" {
		t.Error("activation names")
	}
}

func TestDurationsAndAddress(t *testing.T) {
	a := &Member{Host: "::1", Port: 8009, SocketTimeout: 2, SocketConnectTimeout: 1500, ReplyTimeout: -1, ConnectionPoolTimeout: 0}
	if a.Address() != "[::1]:8009" || (&Member{Host: "h", Port: 1}).Address() != "h:1" {
		t.Errorf("Address = %s", a.Address())
	}
	if a.SocketTimeoutDuration() != 2*time.Second || a.SocketConnectTimeoutDuration() != 1500*time.Millisecond ||
		a.ReplyTimeoutDuration() != 0 || a.ConnectionPoolTimeoutDuration() != 0 {
		t.Error("durations")
	}
	l := &LB{RecoverTime: 60, ErrorEscalationTime: 30, RetryInterval: 100}
	if l.RecoverTimeDuration() != time.Minute || l.ErrorEscalationTimeDuration() != 30*time.Second || l.RetryIntervalDuration() != 100*time.Millisecond {
		t.Error("lb durations")
	}
	if (&Config{Maintain: 0}).MaintainInterval() != 0 || (&Config{Maintain: 60}).MaintainInterval() != time.Minute {
		t.Error("maintain")
	}
}

func TestProblems(t *testing.T) {
	ps := Problems{
		{Pos: Pos{File: "w.properties", Line: 3}, Worker: "t1", Property: "port", Message: "bad", Warning: true},
	}
	if ps.Err() != nil {
		t.Error("warnings alone are not an error")
	}
	ps = append(ps, Problem{Pos: Pos{File: "w.properties"}, Message: "broken"})
	err := ps.Err()
	if err == nil {
		t.Fatal("want an error")
	}
	want := "w.properties:3: warning: worker t1: port: bad\nw.properties: error: broken"
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err.Error(), want)
	}
	if !strings.HasPrefix(Problem{Message: "m"}.String(), "(command line): error: m") {
		t.Error("command line position")
	}
}

func TestSortProblems(t *testing.T) {
	ps := Problems{
		{Pos: Pos{File: "b", Line: 9}, Message: "1"}, {Pos: Pos{File: "a", Line: 2}, Message: "2"},
		{Pos: Pos{File: "b", Line: 1}, Message: "3"}, {Pos: Pos{File: "a", Line: 2}, Message: "4"},
	}
	sortProblems(ps)
	var got []string
	for _, p := range ps {
		got = append(got, p.Message)
	}
	// Files keep the order they were first mentioned in; lines ascend;
	// problems of one line keep their order.
	if strings.Join(got, "") != "3124" {
		t.Errorf("order = %v", got)
	}
}
