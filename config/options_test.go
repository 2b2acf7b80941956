package config

import (
	"testing"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/props"
)

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
