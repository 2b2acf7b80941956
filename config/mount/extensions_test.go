package mount

import (
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

func TestParseExtensions(t *testing.T) {
	var c diag.Collector
	e := parseExtensions("session_path=;jsessionid;reply_timeout=0;active=a b,c;disabled=b", diag.Pos{}, "lb", &c)
	if e.SessionPath != "jsessionid" || e.ReplyTimeout != 0 {
		t.Errorf("got %+v", e)
	}
	if strings.Join(e.Active, ",") != "a,c" || strings.Join(e.Disabled, ",") != "b" {
		t.Errorf("activation lists: active=%v disabled=%v", e.Active, e.Disabled)
	}
	if len(c.Problems) != 1 || !strings.Contains(c.Problems[0].Message, "later disabled wins") {
		t.Errorf("want one conflict warning, got %v", c.Problems)
	}
	if e := parseExtensions("", diag.Pos{}, "lb", &c); e.ReplyTimeout != -1 {
		t.Errorf("unset reply_timeout = %d, want -1", e.ReplyTimeout)
	}
}
