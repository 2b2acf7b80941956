//go:build integration

// The generated differential harness: seeded requests and member
// behaviours go through httpd + mod_jk 1.2.48 and through jkbalancer,
// both with the same workers.properties and mounts in front of the same
// in-process dump member (internal/dumpmember), and what the member
// received and what the client received must be the same, up to the
// written rules of diffgen_rules_test.go.
//
// Every run replays the corpus (testdata/diffcorpus/*.case) and then
// JKB_DIFF_CASES generated cases (default 150) from JKB_DIFF_SEED
// (default 1). JKB_DIFF_SAVE=1 writes the first case of every new kind of
// difference to the corpus. One httpd serves every case.

package server

import (
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/dumpmember"
)

// genEnv is the running pair of proxies in front of one dump member.
type genEnv struct {
	tab            *dumpmember.Table
	mkAddr, jkAddr string
}

// genWorkers: a plain ajp13 worker on /*, and an lb over one member (the
// same dump member, route m1) on /lb/*.
const genWorkers = `worker.list=w,lb
worker.w.type=ajp13
worker.w.host=127.0.0.1
worker.w.port=@PORT@
worker.m1.type=ajp13
worker.m1.host=127.0.0.1
worker.m1.port=@PORT@
worker.lb.type=lb
worker.lb.balance_workers=m1
`

func startGenEnv(t testing.TB) *genEnv {
	tab := dumpmember.NewTable()
	m, err := dumpmember.NewAJP(tab)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	port := strings.TrimPrefix(m.Addr(), "127.0.0.1:")
	spec := itSpec{workers: strings.ReplaceAll(genWorkers, "@PORT@", port), jkMounts: []string{"/lb/* lb", "/* w"}}
	h := itStartHTTPD(t, spec)
	// httpd's ServerName is localhost: the name used without a Host header.
	j := itStartJKB(t, spec, "server_name: localhost\n")
	return &genEnv{tab: tab, mkAddr: h.addr, jkAddr: j.addr}
}

func genEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// genGenerate makes case i of seed: the same case for the same pair on
// every machine.
func genGenerate(seed uint64, i int) genCase {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	lb := r.IntN(5) == 0
	return genCase{id: fmt.Sprintf("s%d-%d", seed, i), raw: genRequest(r, lb), beh: genBehaviour(r, !lb)}
}

// run sends c through one proxy.
func (e *genEnv) run(c genCase, side, addr string) genSide {
	id := c.id + "." + side
	e.tab.Set(id, c.beh)
	defer e.tab.Forget(id)
	raw := strings.NewReplacer("{{HOST}}", addr, "{{CASE}}", id).Replace(c.raw)
	probe := ""
	if genKeepsAlive(raw) {
		e.tab.Set(id+".probe", dumpmember.Behaviour{Status: 200, Reason: "OK",
			Headers: []dumpmember.Header{{Name: "Content-Length", Value: "0"}}})
		defer e.tab.Forget(id + ".probe")
		probe = "GET /probe HTTP/1.1\r\nHost: " + addr + "\r\n" + dumpmember.CaseHeader + ": " + id + ".probe\r\nConnection: close\r\n\r\n"
	}
	res := genExchange(addr, raw, probe)
	var recs []string
	for _, r := range e.tab.Records(id) {
		recs = append(recs, r.Dump)
	}
	return genSide{client: res, recs: recs}
}

// genKeepsAlive: an HTTP/1.1 request without "Connection: close".
func genKeepsAlive(raw string) bool {
	head, _, _ := strings.Cut(raw, "\r\n\r\n")
	line, _, _ := strings.Cut(head, "\r\n")
	return strings.HasSuffix(line, " HTTP/1.1") && !regexp.MustCompile(`(?im)^connection:.*\bclose\b`).MatchString(head)
}

// genOutcome is what one case came to.
type genOutcome struct {
	diffs       []genDiff
	unexplained []genDiff
	rules       []string // names of the rules used, sorted, once each
}

func (e *genEnv) check(c genCase) (genOutcome, genSide, genSide) {
	mk, jk := e.run(c, "m", e.mkAddr), e.run(c, "j", e.jkAddr)
	_, mp, _ := strings.Cut(e.mkAddr, ":")
	_, jp, _ := strings.Cut(e.jkAddr, ":")
	var o genOutcome
	o.diffs = genCompare(mk, jk, mp, jp, genReqMethod(c) == "HEAD")
	seen := map[string]bool{}
	for _, d := range o.diffs {
		r, _ := genExplain(c, d, mk.client, jk.client)
		if r == nil {
			o.unexplained = append(o.unexplained, d)
			continue
		}
		if !seen[r.name] {
			seen[r.name] = true
			o.rules = append(o.rules, r.name)
		}
	}
	sort.Strings(o.rules)
	return o, mk, jk
}

func TestModJKGenerated(t *testing.T) {
	itRequireDeps(t, "httpd")
	corpus, err := genLoadCorpus()
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(genEnvInt("JKB_DIFF_SEED", 1))
	n := genEnvInt("JKB_DIFF_CASES", 150)
	cases := corpus
	for i := range n {
		cases = append(cases, genGenerate(seed, i))
	}
	e := startGenEnv(t)
	save := os.Getenv("JKB_DIFF_SAVE") == "1"
	kinds := genCorpusKinds(corpus)
	counts := map[string]int{}
	failed := 0
	for _, c := range cases {
		start := time.Now()
		o, mk, jk := e.check(c)
		for _, r := range o.rules {
			counts[r]++
		}
		if os.Getenv("JKB_DIFF_VERBOSE") != "" {
			t.Logf("case %s (%v):\n%s", c.id, time.Since(start).Round(time.Millisecond), genExplained(c, o, mk, jk))
		}
		if len(o.unexplained) > 0 {
			failed++
			t.Errorf("case %s: %d difference(s) from mod_jk not on any list:\n%s", c.id, len(o.unexplained),
				genRepro(c, o, mk, jk))
		}
		if name, ok := strings.CutPrefix(c.id, "corpus/"); ok && os.Getenv("JKB_DIFF_RENOTE") == "1" {
			if err := genRenote(name, c, o); err != nil {
				t.Errorf("renoting %s: %v", c.id, err)
			}
		}
		if save && !strings.HasPrefix(c.id, "corpus/") {
			if err := e.saveNew(c, o, kinds); err != nil {
				t.Errorf("saving %s: %v", c.id, err)
			}
		}
	}
	t.Logf("%d cases (%d from the corpus, %d generated from seed %d) through mod_jk and jkbalancer; %d with unexplained differences",
		len(cases), len(corpus), n, seed, failed)
	genLogCounts(t, counts)
}

// genExplained lists every difference of a case with what explains it.
func genExplained(c genCase, o genOutcome, mk, jk genSide) string {
	var b strings.Builder
	for _, d := range o.diffs {
		why := "UNEXPLAINED"
		if r, _ := genExplain(c, d, mk.client, jk.client); r != nil {
			why = r.name
		}
		fmt.Fprintf(&b, "  [%s] %s\n", why, d)
	}
	return b.String()
}

// genKinds names the kinds of difference a case found: the rules used
// and "unexplained FIELD" for what nothing explained.
func genKinds(o genOutcome) []string {
	ks := append([]string(nil), o.rules...)
	seen := map[string]bool{}
	for _, d := range o.unexplained {
		f := "unexplained " + d.field
		if !seen[f] {
			seen[f] = true
			ks = append(ks, f)
		}
	}
	sort.Strings(ks)
	return ks
}

// genCorpusKinds: the kinds the corpus covers ("kind: ..." note lines).
func genCorpusKinds(corpus []genCase) map[string]bool {
	kinds := map[string]bool{}
	for _, c := range corpus {
		for _, l := range strings.Split(c.note, "\n") {
			if k, ok := strings.CutPrefix(l, "kind: "); ok {
				kinds[k] = true
			}
		}
	}
	return kinds
}

// genRenote rewrites a corpus file's "kind:" notes with what the case
// shows now (after rules were added or removed), keeping its other notes.
func genRenote(name string, c genCase, o genOutcome) error {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(c.note), "\n") {
		if !strings.HasPrefix(l, "kind: ") {
			keep = append(keep, l)
		}
	}
	for _, k := range genKinds(o) {
		keep = append(keep, "kind: "+k)
	}
	c.note = strings.Join(keep, "\n")
	return genSaveCase(name, c)
}

// saveNew writes c to the corpus, shrunk, when it found a kind of
// difference the corpus does not hold yet; kinds is updated.
func (e *genEnv) saveNew(c genCase, o genOutcome, kinds map[string]bool) error {
	var fresh []string
	for _, k := range genKinds(o) {
		if !kinds[k] {
			fresh = append(fresh, k)
		}
	}
	if fresh == nil {
		return nil
	}
	c = e.shrink(c, fresh[0])
	o, _, _ = e.check(c)
	c.note = "found by " + c.id + " (shrunk for its first kind)"
	for _, k := range genKinds(o) {
		kinds[k] = true
		c.note += "\nkind: " + k
	}
	return genSaveCase(c.id, c)
}

func genLogCounts(t *testing.T, counts map[string]int) {
	var names []string
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("  %4d cases explained by %s", counts[n], n)
	}
}

// genRepro is a minimal reproduction: the case as a corpus file (drop it
// into testdata/diffcorpus/ to replay it), the differences, and both
// sides' results.
func genRepro(c genCase, o genOutcome, mk, jk genSide) string {
	var b strings.Builder
	text := c.text()
	if len(text) > 3000 {
		text = text[:1500] + "\n[... " + strconv.Itoa(len(text)-3000) + " bytes left out: JKB_DIFF_SAVE=1 saves the whole case ...]\n" + text[len(text)-1500:]
	}
	fmt.Fprintf(&b, "--- case (testdata/diffcorpus format)\n%s--- unexplained differences\n", text)
	for _, d := range o.unexplained {
		fmt.Fprintf(&b, "  %s\n", d)
	}
	if len(o.rules) > 0 {
		fmt.Fprintf(&b, "--- explained by: %s\n", strings.Join(o.rules, ", "))
	}
	for _, s := range []struct {
		name string
		side genSide
	}{{"mod_jk", mk}, {"jkbalancer", jk}} {
		cl := s.side.client
		fmt.Fprintf(&b, "--- %s: client got %s %d %q err=%q framing=%s cut=%v body=%s extra=%q\n", s.name, cl.proto, cl.status,
			cl.reason, cl.err, cl.framing, cl.cut, dumpBodyLine(cl.body), cl.extra)
		for _, h := range cl.headers {
			fmt.Fprintf(&b, "      %s: %q\n", h[0], h[1])
		}
		fmt.Fprintf(&b, "    member got %d request(s)\n", len(s.side.recs))
		if len(s.side.recs) > 0 {
			fmt.Fprintf(&b, "      %s\n", strings.ReplaceAll(strings.TrimSpace(s.side.recs[0]), "\n", "\n      "))
		}
	}
	return b.String()
}

// FuzzModJKGenerated drives the generator from fuzz input: a seed and a
// case number pick one generated case, which must show no difference
// from mod_jk outside the rules. One httpd and one jkbalancer serve a
// whole run: go test -tags integration -run x -fuzz FuzzModJKGenerated ./server/
func FuzzModJKGenerated(f *testing.F) {
	itRequireDeps(f, "httpd")
	for i := range 4 {
		f.Add(uint64(1), uint32(i))
	}
	e := startGenEnv(f)
	f.Fuzz(func(t *testing.T, seed uint64, i uint32) {
		c := genGenerate(seed, int(i))
		if o, mk, jk := e.check(c); len(o.unexplained) > 0 {
			t.Errorf("case %s: %d difference(s) from mod_jk not on any list:\n%s", c.id, len(o.unexplained), genRepro(c, o, mk, jk))
		}
	})
}
