//go:build integration

package server

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/internal/headless"
)

// The status page in a real browser (docs/testing.md#the-status-page-in-a-browser):
// headless Chromium loads the page of a status worker with csrf=strict,
// follows member t1's edit link, ticks Disabled and submits the form with
// the token the page carries; t1 is then disabled in the status worker's
// prop output and in the lb itself. JKB_SCREENSHOT=PATH writes a PNG of
// the page (docs/img/status-page.png is one).
func TestStatusPageInChromium(t *testing.T) {
	bin := headless.Find()
	if bin == "" {
		if itInCI() {
			t.Fatal("CI is set and Chromium is missing: apt-get install chromium")
		}
		t.Skip("Chromium not found (Debian: apt-get install chromium)")
	}
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	workers := strings.Replace(twoMembers(t1, t2, "worker.jkstatus.type=status\nworker.jkstatus.csrf=strict\n"),
		"worker.list=lb", "worker.list=lb,jkstatus", 1)
	ts := startServer(t, map[string]string{"workers.properties": workers}, "/*=lb", "/jk-status=jkstatus")
	for range 5 { // some traffic for the page's counters
		get(t, ts.base+"/app/x")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b, err := headless.Launch(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The harness's reaper kills the group (a negative pid) should this
	// binary die; otherwise it goes when the test ends, failed or not.
	itReapAdd("chromium", -b.Pid())
	defer func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
		itReapRemove("chromium")
	}()
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatalf("Chromium's DevTools pipe: %v", err)
	}
	page := ts.base + "/jk-status"
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("loading the status page", p.Navigate(ctx, page))

	// A change by URL, as an <img> or a typed link would send it, is
	// refused in the browser: the guard is on.
	must("a change by GET", p.Navigate(ctx, page+"?cmd=update&w=lb&sw=t2&vwa=1"))
	var refused string
	must("reading the refusal", p.Eval(ctx, "document.body.innerText", &refused))
	if !strings.Contains(refused, "Refused") || memberActivation(t, ts, "t2") != config.Active {
		t.Fatalf("a GET change from the browser was not refused: t2 %s, page:\n%s", memberActivation(t, ts, "t2").Code(), refused)
	}

	must("loading the status page", p.Navigate(ctx, page))
	must("opening t1's edit form", p.EvalAndWait(ctx, `(() => {
		const a = [...document.querySelectorAll('a[href*="cmd=edit"]')].find(a => /[?&]sw=t1(&|$)/.test(a.href));
		if (!a) throw new Error("no edit link for member t1");
		a.click();
	})()`))
	var token string
	must("submitting Disabled", p.EvalAndWait(ctx, `(() => {
		const l = [...document.querySelectorAll('form label')].find(l => l.textContent.trim() === 'Disabled');
		if (!l) throw new Error("no Disabled choice in " + location.href);
		l.querySelector('input[type=radio]').click();
		const f = l.closest('form');
		if (f.method !== 'post') throw new Error("the edit form sends " + f.method);
		window.name = f.querySelector('input[name=token]').value;
		f.querySelector('input[type=submit]').click();
	})()`))
	must("reading the token sent", p.Eval(ctx, "window.name", &token))
	if token == "" {
		t.Fatal("the edit form carried no CSRF token")
	}

	if a := memberActivation(t, ts, "t1"); a != config.Disabled {
		var text string
		p.Eval(ctx, "document.body.innerText", &text)
		t.Fatalf("after the form, t1 is %s in the lb; the page says:\n%s", a.Code(), text)
	}
	if a := memberActivation(t, ts, "t2"); a != config.Active {
		t.Fatalf("t2 is %s: the form changed another member", a.Code())
	}
	if _, prop, _ := get(t, page+"?cmd=list&mime=prop"); !strings.Contains(prop, "worker.t1.activation=DIS") ||
		!strings.Contains(prop, "worker.t2.activation=ACT") {
		t.Fatalf("the status worker's prop output after the form:\n%s", prop)
	}

	must("loading the status page", p.Navigate(ctx, page))
	png, err := p.Screenshot(ctx, 1600)
	must("screenshot", err)
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10000 {
		t.Fatalf("the screenshot is no PNG of a page (%d bytes)", len(png))
	}
	if path := os.Getenv("JKB_SCREENSHOT"); path != "" {
		must("writing JKB_SCREENSHOT", os.WriteFile(path, png, 0o644))
	}
}

// memberActivation is member's activation in lb "lb" right now.
func memberActivation(t *testing.T, ts *testServer, member string) config.Activation {
	t.Helper()
	for _, m := range ts.srv.rt.Load().lbByName["lb"].Snapshot().Members {
		if m.Name == member {
			return m.Activation
		}
	}
	t.Fatalf("no member %s", member)
	return 0
}
