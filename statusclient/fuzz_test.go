package statusclient

import (
	"strings"
	"testing"
)

// Whatever a status URL answers, reading it never panics, and a member is
// only reported when all three numbers were found under the lb.
func FuzzParseAnswer(f *testing.F) {
	f.Add("worker.lb.balance_workers=t1\nworker.t1.activation=DIS\nworker.t1.busy=0\nworker.t1.elected=3\nworker.result.type=OK\n")
	f.Add("worker.lb.balance_workers=t1\nworker.t1.activation=DIS\nworker.t1.busy=x\n")
	f.Add("=\n.=\n..balance_workers=\nworker.t1.=\nworker.result.type=")
	f.Add(`<form method="post"><input name="cmd" value="update"><input name="w" value="lb"><input name="sw" value="t1"><input name="token" value="a&amp;b"></form>`)
	f.Add(`<form method="post"><input name="token" value="`)
	f.Fuzz(func(t *testing.T, body string) {
		_, ok := parseMember(body, "lb", "t1")
		for _, k := range []string{".lb.balance_workers=t1", ".t1.activation=", ".t1.busy=", ".t1.elected="} {
			if ok && !strings.Contains(body, k) {
				t.Errorf("member reported without %s in %q", k, body)
			}
		}
		result(body)
		formToken(body, "lb", "t1")
	})
}

func TestFormTokenUnescapes(t *testing.T) {
	page := `<form class="i" method="post" action="/jk-status"><input type="hidden" name="cmd" value="update">` +
		`<input type="hidden" name="w" value="lb"><input type="hidden" name="sw" value="t1">` +
		`<input type="hidden" name="token" value="1a.b&#43;c"></form>`
	if got := formToken(page, "lb", "t1"); got != "1a.b+c" {
		t.Errorf("token %q", got)
	}
	if got := formToken(page, "lb", "t2"); got != "" {
		t.Errorf("another member's form gave %q", got)
	}
}
