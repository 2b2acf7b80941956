package config

import (
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config/props"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

func TestParseExtensions(t *testing.T) {
	var c diag.Collector
	e := parseExtensions("session_path=;jsessionid;reply_timeout=0;active=a b,c;disabled=b", Pos{}, "lb", &c)
	if e.SessionPath != "jsessionid" || e.ReplyTimeout != 0 {
		t.Errorf("got %+v", e)
	}
	if strings.Join(e.Active, ",") != "a,c" || strings.Join(e.Disabled, ",") != "b" {
		t.Errorf("activation lists: active=%v disabled=%v", e.Active, e.Disabled)
	}
	if len(c.Problems) != 1 || !strings.Contains(c.Problems[0].Message, "later disabled wins") {
		t.Errorf("want one conflict warning, got %v", c.Problems)
	}
	if e := parseExtensions("", Pos{}, "lb", &c); e.ReplyTimeout != -1 {
		t.Errorf("unset reply_timeout = %d, want -1", e.ReplyTimeout)
	}
}

func TestOptions(t *testing.T) {
	var c diag.Collector
	o := parseOptions([]props.Token{{Text: "+ForwardLocalAddress"}, {Text: "+ForwardPhysicalAddress"}, {Text: "-FlushPackets"}, {Text: "flushheader"}}, &c)
	if o.ForwardLocalAddress || !o.ForwardPhysicalAddress || o.FlushPackets || !o.FlushHeader || !o.ForwardKeySize || o.ForwardURI != ForwardURIProxy {
		t.Errorf("options = %+v", o)
	}
	o = parseOptions([]props.Token{{Text: "+ForwardPhysicalAddress"}, {Text: "+ForwardLocalAddress"}}, &c)
	if !o.ForwardLocalAddress || o.ForwardPhysicalAddress {
		t.Errorf("ForwardLocalAddress must clear ForwardPhysicalAddress: %+v", o)
	}
	if len(c.Problems) != 0 {
		t.Errorf("unexpected problems %v", c.Problems)
	}
}
