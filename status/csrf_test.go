package status

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

const browserAccept = "Accept: text/html,application/xhtml+xml,*/*;q=0.8"

// tokenOf extracts the token of the first form on a page that sends cmd
// for sw.
func tokenOf(t *testing.T, html, cmd, sw string) url.Values {
	t.Helper()
	re := regexp.MustCompile(`(?s)<form[^>]*method="post"[^>]*>(.*?)</form>`)
	field := regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`)
	for _, m := range re.FindAllStringSubmatch(html, -1) {
		v := url.Values{}
		for _, f := range field.FindAllStringSubmatch(m[1], -1) {
			v.Add(f[1], f[2])
		}
		if v.Get("cmd") == cmd && v.Get("sw") == sw && v.Get("token") != "" {
			return v
		}
	}
	t.Fatalf("no %s form for %q on the page", cmd, sw)
	return nil
}

func TestBrowserNeedsFormAndToken(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	// A browser following a link (GET, HTML wanted) is refused...
	page := body(t, f.get("cmd=update&w=lb&sw=t1&vwa=d", browserAccept))
	if !strings.Contains(page, "Refused: a change from a browser needs") || f.member("t1").Activation != config.Active {
		t.Fatalf("GET update from a browser was not refused:\n%s", page)
	}
	// ... and so is a cross-site request even for mime=txt (403).
	if w := f.get("cmd=update&w=lb&sw=t1&vwa=d&mime=txt", "Sec-Fetch-Site: cross-site"); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "type=ERROR") {
		t.Errorf("cross-site GET: %d %s", w.Code, w.Body)
	}
	// The page's own Disable button works.
	list := body(t, f.get("", browserAccept))
	form := tokenOf(t, list, "update", "t1")
	if form.Get("vwa") != "d" {
		t.Fatalf("the first t1 button is not Disable: %v", form)
	}
	if page := body(t, f.post(form, browserAccept, "Origin: http://jk.example:8080", "Sec-Fetch-Site: same-origin")); !strings.Contains(page, "Result: OK") {
		t.Fatalf("POST with the form's token refused:\n%s", page)
	}
	if f.member("t1").Activation != config.Disabled {
		t.Fatal("t1 not disabled")
	}
	// The token is bound to its form: another member, another command.
	form.Set("sw", "t2")
	if page := body(t, f.post(form, browserAccept)); !strings.Contains(page, "CSRF token is missing, wrong or expired") {
		t.Errorf("a token reused for t2 was accepted")
	}
	form.Set("sw", "t1")
	form.Set("cmd", "reset")
	if page := body(t, f.post(form, browserAccept)); !strings.Contains(page, "CSRF token") {
		t.Errorf("a token reused for reset was accepted")
	}
}

func TestScriptsKeepTheGETAPI(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	// curl's default Accept, the default mime (html): still mod_jk's API.
	if page := body(t, f.get("cmd=update&w=lb&sw=t1&vwa=d", "Accept: */*")); !strings.Contains(page, "Result: OK") {
		t.Fatalf("curl-style GET refused:\n%s", page)
	}
	if got := f.result("cmd=update&w=lb&sw=t1&vwa=a"); got != resultOK {
		t.Fatal(got)
	}
	// A browser asking for txt explicitly (typed URL, Sec-Fetch-Site: none).
	if got := body(t, f.get("cmd=update&w=lb&sw=t2&vwa=s&mime=txt", browserAccept, "Sec-Fetch-Site: none")); !strings.Contains(got, "type=OK") {
		t.Errorf("typed txt URL: %s", got)
	}
}

func TestStrictCSRF(t *testing.T) {
	f := newFixture(t, fixtureOpts{extra: "worker.jkstatus.csrf=strict\n"})
	if got := f.result("cmd=update&w=lb&sw=t1&vwa=d"); !strings.Contains(got, "csrf=strict") {
		t.Fatalf("strict accepted a GET: %s", got)
	}
	edit := body(t, f.get("cmd=edit&w=lb&sw=t1"))
	form := tokenOf(t, edit, "update", "t1")
	form.Set("vwa", "1")
	form.Set("mime", "txt")
	if got := body(t, f.post(form)); !strings.Contains(got, "type=OK") || f.member("t1").Activation != config.Disabled {
		t.Errorf("strict with the edit form's token: %s", got)
	}
}

func TestTokenExpires(t *testing.T) {
	k, _ := newCSRFKey([]byte("k"))
	b := binding{user: "u", cmd: cmdUpdate, w: "lb", sw: "t1"}
	tok := k.token(b, fixtureNow)
	if !k.valid(tok, b, fixtureNow.Add(tokenTTL-time.Second)) {
		t.Error("token rejected before it expired")
	}
	if k.valid(tok, b, fixtureNow.Add(tokenTTL+time.Second)) {
		t.Error("expired token accepted")
	}
	b.user = "v"
	if k.valid(tok, b, fixtureNow) {
		t.Error("token of another user accepted")
	}
	if k.valid("zz", b, fixtureNow) || k.valid("1.!!", b, fixtureNow) {
		t.Error("garbage accepted")
	}
}

func TestAllMembersFormRoundTrip(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	page := body(t, f.get("cmd=edit&w=lb&att=vwd&from=list", browserAccept))
	if !strings.Contains(page, "Edit attribute &#39;Distance&#39; for all members of load balancer lb") {
		t.Fatalf("att form:\n%s", page)
	}
	form := tokenOf(t, page, "update", "")
	if form.Get("att") != "vwd" || form.Get("val2") != "0" {
		t.Fatalf("form fields %v", form)
	}
	form.Set("val0", "4")
	form.Set("val2", "6")
	if page := body(t, f.post(form, browserAccept)); !strings.Contains(page, "Result: OK") {
		t.Fatalf("post:\n%s", page)
	}
	if f.member("t1").Distance != 4 || f.member("t2").Distance != 0 || f.member("t3").Distance != 6 {
		t.Error("distances not applied")
	}
	// The token is bound to att: reusing it for another attribute fails.
	form.Set("att", "vwf")
	if page := body(t, f.post(form, browserAccept)); !strings.Contains(page, "CSRF token") {
		t.Error("token accepted for another attribute")
	}
}
