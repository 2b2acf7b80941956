package balancer

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

var update = flag.Bool("update", false, "rewrite the golden pick sequences in testdata/lb")

// A pinned sequence is a list of phases; each phase is a comment saying
// what happens and the tokens it produced: for every request the members
// tried, joined by '>', plus ":<status>" when it failed. The golden files
// in testdata/lb pin the exact order, not counts.
type phase struct {
	what   string
	tokens []string
	wrap   int // tokens per line in the file; 0 = 12
}

type seqCase struct {
	file, title string
	run         func(t *testing.T) []phase
}

func TestPinnedSequences(t *testing.T) {
	for _, c := range seqCases {
		t.Run(c.file, func(t *testing.T) {
			phases := c.run(t)
			path := filepath.Join("..", "testdata", "lb", c.file)
			if *update {
				writeGolden(t, path, c.title, phases)
			}
			want := readGolden(t, path)
			var got []string
			for _, p := range phases {
				got = append(got, p.tokens...)
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("sequence differs from %s\n got: %s\nwant: %s\n%s", path,
					strings.Join(got, " "), strings.Join(want, " "), firstDiff(got, want))
			}
		})
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("first difference at request %d: got %s, want %s", i+1, got[i], want[i])
		}
	}
	return fmt.Sprintf("lengths differ: got %d, want %d", len(got), len(want))
}

func writeGolden(t *testing.T, path, title string, phases []phase) {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", title)
	for _, p := range phases {
		fmt.Fprintf(&b, "# %s\n", p.what)
		wrap := p.wrap
		if wrap == 0 {
			wrap = 12
		}
		for i := 0; i < len(p.tokens); i += wrap {
			b.WriteString(strings.Join(p.tokens[i:min(i+wrap, len(p.tokens))], " "))
			b.WriteByte('\n')
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readGolden(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run with -update to create)", err)
	}
	var tokens []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line == "" || line[0] == '#' {
			continue
		}
		tokens = append(tokens, strings.Fields(line)...)
	}
	return tokens
}

func withMethod(m config.Method) config.LB {
	c := baseLB()
	c.Method = m
	return c
}

// newSessionEvery3rd: requests 3, 6, 9... carry a session routed to t1.
func sessionPattern(h *harness, n int) []string {
	out := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		if i%3 == 0 {
			out = append(out, h.serve(newReq(session("ABC.t1"))))
		} else {
			out = append(out, h.serve(plain()))
		}
	}
	return out
}

var seqCases = []seqCase{
	{"r_1_5.seq", "method R, lbfactor t1=1 t2=5 (mults 5:1); verified on mod_jk 1.2.48: t1 t2 t2 t2 t2 t2 repeating",
		func(t *testing.T) []phase {
			h := newHarness(t, withMethod(config.MethodRequest), member("t1", factor(1)), member("t2", factor(5)))
			return []phase{{"24 requests without session id", h.run(24, plain), 6}}
		}},
	{"r_1_1_1.seq", "method R, lbfactor 1:1:1: round robin through next_offset",
		func(t *testing.T) []phase {
			h := newHarness(t, withMethod(config.MethodRequest), member("t1"), member("t2"), member("t3"))
			return []phase{{"12 requests without session id", h.run(12, plain), 3}}
		}},
	{"r_2_3.seq", "method R, lbfactor t1=2 t2=3 (mults 3:2)",
		func(t *testing.T) []phase {
			h := newHarness(t, withMethod(config.MethodRequest), member("t1", factor(2)), member("t2", factor(3)))
			return []phase{{"20 requests without session id", h.run(20, plain), 5}}
		}},
	{"r_1_2_3.seq", "method R, lbfactor t1=1 t2=2 t3=3 (mults 6:3:2)",
		func(t *testing.T) []phase {
			h := newHarness(t, withMethod(config.MethodRequest),
				member("t1", factor(1)), member("t2", factor(2)), member("t3", factor(3)))
			return []phase{{"24 requests without session id", h.run(24, plain), 6}}
		}},
	{"r_1_1_sessions.seq", "method R, lbfactor 1:1, every 3rd request carries session ABC.t1 (sticky traffic counts)",
		func(t *testing.T) []phase {
			h := newHarness(t, withMethod(config.MethodRequest), member("t1"), member("t2"))
			return []phase{{"18 requests", sessionPattern(h, 18), 6}}
		}},
	{"s_1_1_sessions.seq", "method S, lbfactor 1:1, every 3rd request carries session ABC.t1 (only new sessions count)",
		func(t *testing.T) []phase {
			h := newHarness(t, withMethod(config.MethodSessions), member("t1"), member("t2"))
			return []phase{{"18 requests", sessionPattern(h, 18), 6}}
		}},
	{"s_1_1_stateless.seq", "method S, lbfactor 1:1, rule stateless=1: no lb value changes, rotation only",
		func(t *testing.T) []phase {
			h := newHarness(t, withMethod(config.MethodSessions), member("t1"), member("t2"))
			h.run(3, plain) // t1 t2 t1: values 2:1
			toks := h.run(8, func() *worker.Request { return newReq(rule(config.Extensions{Stateless: true})) })
			return []phase{{"3 new sessions, then 8 stateless requests (lb value ignored, next_offset rotates)", toks, 8}}
		}},
	{"s_1_2_maintain.seq", "method S, lbfactor t1=1 t2=2, maintenance halves lb values",
		func(t *testing.T) []phase { return maintainPhases(t, config.MethodSessions) }},
	{"n_1_2_maintain.seq", "method N, lbfactor t1=1 t2=2, maintenance subtracts the minimum",
		func(t *testing.T) []phase { return maintainPhases(t, config.MethodNext) }},
	{"t_traffic.seq", "method T, lbfactor 1:1, t1 moves 1000 bytes per request, t2 moves 250",
		func(t *testing.T) []phase {
			h := newHarness(t, withMethod(config.MethodTraffic), member("t1"), member("t2"))
			h.f("t1").setDefault(outcome{out: worker.Outcome{Sent: 400, Received: 600}})
			h.f("t2").setDefault(outcome{out: worker.Outcome{Sent: 100, Received: 150}})
			return []phase{{"15 requests", h.run(15, plain), 5}}
		}},
	{"b_busyness.seq", "method B, lbfactor t1=1 t2=1 t3=2, nested requests while others are in flight",
		func(t *testing.T) []phase { return busynessPhases(t) }},
	{"distance.seq", "method R, t1 and t2 at distance 0, t3 at distance 1",
		func(t *testing.T) []phase { return distancePhases(t) }},
	{"hot_standby.seq", "hot standby: t1, t2 active with redirect=t3, t3 disabled",
		func(t *testing.T) []phase { return standbyPhases(t) }},
	{"domains.seq", "domains: t1,t2 in d1, t3,t4 in d2 (method R)",
		func(t *testing.T) []phase { return domainPhases(t) }},
	{"sticky.seq", "sticky routing: first-dot rule, ';'-joined candidates, path parameter before cookies",
		func(t *testing.T) []phase { return stickyPhases(t) }},
}

func maintainPhases(t *testing.T, m config.Method) []phase {
	h := newHarness(t, withMethod(m), member("t1", factor(1)), member("t2", factor(2)))
	var ph []phase
	for round := 1; round <= 3; round++ {
		toks := h.run(5, plain)
		ph = append(ph, phase{what: fmt.Sprintf("5 new sessions (batch %d)", round), tokens: toks})
		toks = sessionPattern(h, 3)
		ph = append(ph, phase{what: "2 new sessions and one for t1", tokens: toks})
		h.lb.Maintain(h.clock.Advance(60 * time.Second))
		ph = append(ph, phase{what: fmt.Sprintf("maintenance: lb values now %v", h.values())})
	}
	return ph
}

func busynessPhases(t *testing.T) []phase {
	h := newHarness(t, withMethod(config.MethodBusyness),
		member("t1", factor(1)), member("t2", factor(1)), member("t3", factor(2)))
	var depth, limit int
	for _, f := range h.fakes {
		f.hook = func(*fake) {
			if depth < limit {
				depth++
				h.serve(plain())
				depth--
			}
		}
	}
	nested := func(n, inFlight int) []string {
		from := len(h.trail)
		for range n {
			limit = inFlight - 1
			h.serve(plain())
		}
		return append([]string(nil), h.trail[from:]...)
	}
	return []phase{
		{what: "one at a time (each request finishes before the next): rotation over equal values", tokens: nested(6, 1)},
		{what: "5 requests in flight at once, 4 times (order of starts)", tokens: nested(4, 5), wrap: 5},
		{what: "3 in flight, 3 times", tokens: nested(3, 3), wrap: 3},
	}
}

func distancePhases(t *testing.T) []phase {
	h := newHarness(t, withMethod(config.MethodRequest), member("t1"), member("t2"), member("t3", distance(1)))
	var ph []phase
	ph = append(ph, phase{what: "all active: distance 0 only", tokens: h.run(6, plain)})
	_ = h.lb.EditMember("t1", func(c *config.Member) { c.Activation = config.Stopped })
	ph = append(ph, phase{what: "t1 stopped: t2 (distance 0) wins over t3", tokens: h.run(4, plain)})
	_ = h.lb.EditMember("t2", func(c *config.Member) { c.Activation = config.Disabled })
	ph = append(ph, phase{what: "t2 disabled too: t3 at distance 1", tokens: h.run(4, plain)})
	_ = h.lb.EditMember("t1", func(c *config.Member) { c.Activation = config.Active })
	ph = append(ph, phase{what: "t1 active again", tokens: h.run(4, plain)})
	return ph
}

func standbyPhases(t *testing.T) []phase {
	h := newHarness(t, withMethod(config.MethodRequest),
		member("t1", redirect("t3")), member("t2", redirect("t3")), member("t3", activation(config.Disabled)))
	var ph []phase
	ph = append(ph, phase{what: "normal: t3 gets nothing", tokens: h.run(4, plain)})
	h.f("t1").failWith(worker.ClassConnect)
	h.f("t2").failWith(worker.ClassConnect)
	ph = append(ph, phase{what: "t1 and t2 refuse connections: both go ERR, the standby serves",
		tokens: h.run(4, plain)})
	ph = append(ph, phase{what: "sessions of t1 and t2 follow their redirect",
		tokens: []string{h.serve(newReq(session("A.t1"))), h.serve(newReq(session("B.t2")))}})
	h.f("t1").succeed()
	h.f("t2").succeed()
	h.lb.Maintain(h.clock.Advance(61 * time.Second))
	ph = append(ph, phase{what: "t1, t2 back; maintenance after recover_time marks them ERR/REC",
		tokens: h.run(6, plain)})
	return ph
}

func domainPhases(t *testing.T) []phase {
	h := newHarness(t, withMethod(config.MethodRequest),
		member("t1", domain("d1")), member("t2", domain("d1")),
		member("t3", domain("d2")), member("t4", domain("d2")))
	s := func(id string) func() *worker.Request { return func() *worker.Request { return newReq(session(id)) } }
	var ph []phase
	ph = append(ph, phase{what: "session X.d1: no route d1, domain d1 by lowest lb value from index 0", tokens: h.run(6, s("X.d1"))})
	ph = append(ph, phase{what: "session X.d2.a: route d2.a, domain d2", tokens: h.run(4, s("X.d2.a"))})
	ph = append(ph, phase{what: "session X.t3: exact route", tokens: h.run(2, s("X.t3"))})
	_ = h.lb.EditMember("t3", func(c *config.Member) { c.Activation = config.Stopped })
	ph = append(ph, phase{what: "t3 stopped: its sessions go to its domain d2", tokens: h.run(3, s("X.t3"))})
	_ = h.lb.EditMember("t4", func(c *config.Member) { c.Activation = config.Disabled })
	ph = append(ph, phase{what: "t4 disabled too: domain routing needs Active, value-based balancing",
		tokens: h.run(3, s("X.t3"))})
	return ph
}

func stickyPhases(t *testing.T) []phase {
	h := newHarness(t, withMethod(config.MethodRequest), member("t1"), member("t2"), member("t3", route("node.3")))
	r := func(o ...reqOpt) string { return h.serve(newReq(o...)) }
	return []phase{
		{what: "ABC.t2 -> t2, three times", tokens: []string{r(session("ABC.t2")), r(session("ABC.t2")), r(session("ABC.t2"))}},
		{what: "a.b.t2: route b.t2 matches nobody -> balanced (t1, t3 lowest)", tokens: []string{r(session("a.b.t2")), r(session("a.b.t2"))}},
		{what: "X.node.3: route node.3 (first dot) -> t3", tokens: []string{r(session("X.node.3"))}},
		{what: "no dot -> balanced", tokens: []string{r(session("NODOT")), r(session("NODOT"))}},
		{what: "two cookies A.t9 and B.t2: t9 unknown, B.t2 -> t2", tokens: []string{r(cookie("JSESSIONID=A.t9; JSESSIONID=B.t2"))}},
		{what: "path ;jsessionid=P.t1 beats cookie C.t2", tokens: []string{r(uri("/app/x;jsessionid=P.t1"), session("C.t2"))}},
		{what: "cookie MYJSESSIONID=M.t2 is not JSESSIONID -> balanced", tokens: []string{r(cookie("MYJSESSIONID=M.t2"))}},
	}
}
