package status

import (
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
)

func TestErrorsAreResultsWith200(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for q, want := range map[string]string{
		"cmd=bogus":            "Invalid command.",
		"cmd=":                 "Invalid command.",
		"cmd=show":             "NULL or EMPTY worker param",
		"cmd=show&w=nope":      "Could not find given worker",
		"cmd=show&w=t1":        "Could not find given worker", // members are not listed workers
		"cmd=show&w=lb&sw=":    "EMPTY sub worker param",
		"cmd=show&w=lb&sw=t9":  "could not find sub worker",
		"cmd=show&w=lb&sw=t*":  "wildcard not allowed in sub worker for this command",
		"cmd=reset&w=lb&sw=t*": "wildcard not allowed in sub worker for this command",
		// mod_jk masks '?' to '@' (XSS guard), so '?' never works as a wildcard.
		"cmd=update&w=lb&sw=t?&vwa=d":   "could not find sub worker",
		"cmd=show&w=direct&sw=x":        "worker type has no sub workers",
		"cmd=update&w=jkstatus":         "Update failed",
		"cmd=reset&w=jkstatus":          "Reset failed",
		"cmd=recover&w=lb&sw=t1":        "Marking worker for recovery failed", // not in ERR
		"cmd=recover&w=lb":              "Marking worker for recovery failed",
		"cmd=edit&w=jkstatus&mime=html": "",
		"cmd=show&w=lb&sw=%zz":          "Error during parsing of URI",
	} {
		if want == "" {
			continue
		}
		if got := f.result(q); got != `Result: type=ERROR message="`+want+`"` {
			t.Errorf("%s: %s, want %q", q, got, want)
		}
	}
	w := f.get("mime=bogus")
	if got := body(t, w); got != "worker.result.type=ERROR\nworker.result.message=Invalid mime type.\n" {
		t.Errorf("unknown mime answers in prop form: %q", got)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	html := body(t, f.get("cmd=edit&w=jkstatus"))
	if !strings.Contains(html, "Result: ERROR - Error in generating this worker&#39;s configuration form.") {
		t.Errorf("edit of a status worker: %s", html)
	}
}

func TestUpdateMemberAttributes(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	if got := f.result("cmd=update&w=lb&sw=t1&vwa=d&vwf=3&vwn=r1.x&vwr=t2&vwd=2"); got != resultOK {
		t.Fatal(got)
	}
	m := f.member("t1")
	if m.Activation != config.Disabled || m.LBFactor != 3 || m.Route != "r1.x" || m.Redirect != "t2" ||
		m.Distance != 2 || m.Domain != "r1" {
		t.Fatalf("t1 after update: %+v", m)
	}
	// lb_mult is recomputed: factors 3, 2, 1 -> lcm 6 -> mults 2, 3, 6.
	if got := []uint64{f.member("t1").LBMult, f.member("t2").LBMult, f.member("t3").LBMult}; got[0] != 2 || got[1] != 3 || got[2] != 6 {
		t.Errorf("mults %v", got)
	}
	// Out of range and unparsable values are ignored silently.
	if got := f.result("cmd=update&w=lb&sw=t1&vwf=0&vwd=-1&vwa=x"); got != resultOK {
		t.Fatal(got)
	}
	m = f.member("t1")
	if m.LBFactor != 3 || m.Distance != 2 || m.Activation != config.Active {
		t.Errorf("vwf=0 and vwd=-1 must be ignored; vwa=x means Active (mod_jk's default): %+v", m)
	}
	long := strings.Repeat("r", 61)
	want := `Result: type=ERROR message="Update failed (at least partially): new route '` + long +
		`' too long for sub worker 't1', see log file for details."`
	if got := f.result("cmd=update&w=lb&sw=t1&vwn=" + long + "&vwd=5"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if f.member("t1").Distance != 5 {
		t.Error("the other parameters of a failed update still apply")
	}
	if got := f.result("cmd=update&w=lb&sw=t1&vwn=t3"); !strings.Contains(got, "type=ERROR") {
		t.Errorf("a route another member uses: %s", got)
	}
}

func TestUpdateWildcardStopsAtFirstFailure(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	if got := f.result("cmd=update&w=lb&sw=t*&vwa=s"); got != resultOK {
		t.Fatal(got)
	}
	for _, n := range []string{"t1", "t2", "t3"} {
		if f.member(n).Activation != config.Stopped {
			t.Errorf("%s not stopped", n)
		}
	}
	long := strings.Repeat("d", 61)
	got := f.result("cmd=update&w=lb&sw=t*&vwa=a&vwc=" + long)
	if !strings.HasSuffix(got, `for sub worker 't1', see log file for details. Aborting further wildcard updates."`) {
		t.Errorf("got %s", got)
	}
	if f.member("t1").Activation != config.Active || f.member("t2").Activation != config.Stopped {
		t.Error("t1 changed, then the wildcard update stopped before t2")
	}
	if got := f.result("cmd=update&w=lb&sw=x*&vwa=a"); got != `Result: type=ERROR message="could not find sub worker"` {
		t.Errorf("no match: %s", got)
	}
}

func TestUpdateLBSettings(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	if got := f.result("cmd=update&w=lb&vlr=4&vlri=250&vlt=30&vlee=9&vlx=3&vls=0&vlf=off&vlm=B&vll=p&vwa=d"); got != resultOK {
		t.Fatal(got)
	}
	s := f.lb.Snapshot()
	if s.Retries != 4 || s.RetryInterval != 250 || s.RecoverTime != 30 || s.ErrorEscalationTime != 9 ||
		s.MaxReplyTimeouts != 3 || s.StickySession || s.StickySessionForce || s.Method != config.MethodBusyness ||
		s.Lock != config.LockPessimistic {
		t.Fatalf("settings %+v", s)
	}
	if f.member("t1").Activation != config.Active {
		t.Error("without sw, member parameters are ignored")
	}
	// Ranges: vlr, vlri, vlt, vlee > 0; vlx >= 0 and atoi("abc") is 0.
	f.result("cmd=update&w=lb&vlr=0&vlri=-5&vlt=0&vlee=0&vlx=abc&vlm=q")
	s = f.lb.Snapshot()
	if s.Retries != 4 || s.RetryInterval != 250 || s.RecoverTime != 30 || s.ErrorEscalationTime != 9 ||
		s.MaxReplyTimeouts != 0 || s.Method != config.MethodRequest {
		t.Errorf("after out-of-range values %+v", s)
	}
}

func TestUpdateAJPAttributes(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	q := "cmd=update&w=lb&sw=t2&vacpt=30&vapng=500&vact=700&vapt=800&vart=9000&var=3&vari=150&vacpi=20&varo=3&vabl=10&vamps=9000"
	if got := f.result(q); got != resultOK {
		t.Fatal(got)
	}
	a := f.instances["t2"][0].Config()
	if a.ConnectionPoolTimeout != 30 || a.PingTimeout != 500 || a.ConnectTimeout != 700 || a.PrepostTimeout != 800 ||
		a.ReplyTimeout != 9000 || a.Retries != 3 || a.RetryInterval != 150 || a.ConnectionPingInterval != 20 ||
		a.RecoveryOptions != 3 || a.BusyLimit != 10 || a.MaxPacketSize != 9216 {
		t.Fatalf("t2 %+v", a)
	}
	f.result("cmd=update&w=lb&sw=t2&var=0&vari=0&vacpi=0&varo=-1&vamps=70000&vabl=-2")
	a = f.instances["t2"][0].Config()
	if a.Retries != 3 || a.RetryInterval != 150 || a.ConnectionPingInterval != 20 || a.RecoveryOptions != 3 ||
		a.MaxPacketSize != 9216 || a.BusyLimit != 10 {
		t.Errorf("out of range values changed t2: %+v", a)
	}
	// Host and port: resolved first; a failure changes nothing.
	got := f.result("cmd=update&w=lb&sw=t2&vahst=nowhere.invalid&vaprt=9")
	if got != `Result: type=ERROR message="Update failed (at least partially): could not resolve address 'nowhere.invalid:9' for sub worker 't2'."` {
		t.Errorf("bad host: %s", got)
	}
	if f.result("cmd=update&w=lb&sw=t2&vahst=backend.example&vaprt=9009") != resultOK {
		t.Fatal("host change failed")
	}
	if a := f.instances["t2"][0].Config(); a.Host != "backend.example" || a.Port != 9009 ||
		f.instances["t2"][0].Addr() != "192.0.2.7:9009" {
		t.Errorf("t2 now %s:%d dialing %s", a.Host, a.Port, f.instances["t2"][0].Addr())
	}
	// A plain ajp13 worker.
	if got := f.result("cmd=update&w=direct&vart=1234"); got != resultOK || f.direct.Config().ReplyTimeout != 1234 {
		t.Errorf("direct: %s, reply_timeout %d", got, f.direct.Config().ReplyTimeout)
	}
}

func TestUpdateAllMembers(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	if got := f.result("cmd=update&w=lb&att=vwf&val0=5&val1=0&val2=7"); got != resultOK {
		t.Fatal(got)
	}
	if f.member("t1").LBFactor != 5 || f.member("t2").LBFactor != 2 || f.member("t3").LBFactor != 7 {
		t.Error("att=vwf: val0 and val2 apply, val1=0 is out of range")
	}
	f.result("cmd=update&w=lb&att=vart&val1=4000")
	if f.instances["t2"][0].Config().ReplyTimeout != 4000 || f.instances["t1"][0].Config().ReplyTimeout != 0 {
		t.Error("att=vart")
	}
	f.result("cmd=update&w=lb&att=vwa&val0=s&val1=d&val2=a")
	if f.member("t1").Activation != config.Stopped || f.member("t3").Activation != config.Active {
		t.Error("att=vwa")
	}
	if got := f.result("cmd=update&w=lb&att=vahst&val0=x"); got != resultOK || f.instances["t1"][0].Config().Host != "127.0.0.1" {
		t.Error("vahst is not an attribute for all members: nothing changes")
	}
}

func TestResetAndRecover(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.traffic()
	f.failT3()
	if got := f.result("cmd=recover&w=lb&sw=t3"); got != resultOK {
		t.Fatal(got)
	}
	if f.member("t3").State != balancer.StateRecover {
		t.Errorf("t3 %s after recover", f.member("t3").State)
	}
	if got := f.result("cmd=reset&w=lb&sw=t1"); got != resultOK {
		t.Fatal(got)
	}
	if c := f.instances["t1"][0].Counters(); c.Used() != 0 || c.Read() != 0 {
		t.Error("member reset keeps counters")
	}
	if got := f.result("cmd=reset&w=lb"); got != resultOK || f.member("t3").State != balancer.StateIdle {
		t.Errorf("lb reset: %s, t3 %s", got, f.member("t3").State)
	}
	if got := f.result("cmd=reset&w=direct"); got != resultOK || f.direct.Counters().Used() != 0 {
		t.Error("plain worker reset")
	}
}

func TestReadOnly(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for _, q := range []string{"cmd=update&w=lb&sw=t1&vwa=d&opt=32", "cmd=edit&w=lb&opt=32", "cmd=reset&w=lb&opt=32"} {
		if got := f.result(q); got != `Result: type=ERROR message="This command is not allowed in read only mode."` {
			t.Errorf("%s: %s", q, got)
		}
	}
	if f.result("cmd=show&w=lb&opt=32") != resultOK {
		t.Error("show is allowed read only")
	}
	ro := newFixture(t, fixtureOpts{extra: "worker.jkstatus.read_only=true\n"})
	if got := ro.result("cmd=update&w=lb&sw=t1&vwa=d"); !strings.Contains(got, "read only") {
		t.Errorf("read_only worker: %s", got)
	}
	if html := body(t, ro.get("")); strings.Contains(html, "cmd=edit") || strings.Contains(html, "Read/Write") {
		t.Error("a read_only worker offers no edit links and no Read/Write switch")
	}
}

func TestVersionDumpAndHideOptions(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	out := body(t, f.get("cmd=version&mime=prop"))
	for _, k := range []string{"worker.server_name=jk.example", "worker.jk_version=mod_jk/1.2.48", "worker.web_server=jkbalancer/test"} {
		if !strings.Contains(out, k+"\n") {
			t.Errorf("version lacks %s:\n%s", k, out)
		}
	}
	dump := body(t, f.get("cmd=dump&mime=txt"))
	if strings.Contains(dump, "s3cret") || strings.Contains(dump, ".secret") || !strings.Contains(dump, "worker.t2.lbfactor=2\n") {
		t.Errorf("dump:\n%s", dump)
	}
	txt := body(t, f.get("mime=txt&opt=3"))
	if strings.Contains(txt, "Member:") || strings.Contains(txt, "Map:") || !strings.Contains(txt, "Balancer Worker:") {
		t.Errorf("opt=3 hides members and maps:\n%s", txt)
	}
	txt = body(t, f.get("mime=txt&opt=24"))
	if strings.Contains(txt, "Balancer") || strings.Contains(txt, "AJP") {
		t.Errorf("opt=24 hides both groups:\n%s", txt)
	}
}

func TestPrefixAndNamespace(t *testing.T) {
	f := newFixture(t, fixtureOpts{extra: "worker.jkstatus.prefix=jk\nworker.jkstatus.ns=-\nworker.jkstatus.xmlns=-\nworker.jkstatus.doctype=<!DOCTYPE status>\n"})
	if out := body(t, f.get("mime=prop")); !strings.Contains(out, "jk.lb.type=lb\n") || strings.Contains(out, "worker.") {
		t.Errorf("prefix:\n%s", out)
	}
	xml := body(t, f.get("mime=xml"))
	if !strings.HasPrefix(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<!DOCTYPE status>\n<status\n>\n") ||
		!strings.Contains(xml, "  <balancer\n") {
		t.Errorf("ns/xmlns '-' and doctype:\n%.300s", xml)
	}
}

func TestXSSIsMasked(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	out := body(t, f.get("cmd=show&w=%3Cscript%3Ealert(1)%3C/script%3E&mime=xml"))
	if strings.Contains(out, "<script") {
		t.Error("a parameter reached the output unmasked")
	}
	html := body(t, f.get(`re=5&x="><script>alert(1)</script>`))
	if strings.Contains(html, "<script") {
		t.Errorf("HTML carries a script:\n%s", html)
	}
	if !strings.Contains(html, "x=@@script@alert(1)@/script@") && !strings.Contains(html, "x=@%3e@script") {
		t.Logf("refresh link: %s", html[:400])
	}
}

func TestHTMLHeadersAndCSS(t *testing.T) {
	f := newFixture(t, fixtureOpts{extra: "worker.jkstatus.css=https://cdn.example/jk.css\n"})
	w := f.get("")
	page := body(t, w)
	if !strings.Contains(page, `<link rel="stylesheet" type="text/css" href="https://cdn.example/jk.css">`) {
		t.Error("css link missing")
	}
	csp := w.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "style-src 'unsafe-inline' 'self' https://cdn.example;") || w.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", w.Header())
	}
	if w.Header().Get("Cache-Control") != "no-cache" || w.Header().Get("Pragma") != "no-cache" {
		t.Error("mod_jk's no-cache headers missing")
	}
	if strings.Contains(page, "<script") {
		t.Error("the page has a script")
	}
}
