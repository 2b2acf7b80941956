package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/doctor"
	"github.com/jkbalancer/jkbalancer/worker"
)

// fakeCluster answers as Tomcats would: a member creates a session when
// the request brings none it knows; members in one store share their
// sessions (replication). How each member behaves is its mode:
//
//	bind:  a known session of another route is rebound (JvmRouteBinderValve): Set-Cookie base.route
//	same:  a known session is handed out again unchanged
//	quiet: a known session gets no Set-Cookie (Tomcat without JvmRouteBinderValve)
//	url:   ids go out in a Location ;jsessionid= and come back in the path only (cookies off)
//	none:  never a session (the path does not create one)
//	down:  no answer
type fakeCluster struct {
	mode  map[string]string
	store map[string]string // member -> store name ("" = its own)

	mu       sync.Mutex
	sessions map[string]map[string]bool // store -> id base
	n        int
	created  []time.Time // when each session was created
	shown    []time.Time // when a session was presented
}

func newFakeCluster(mode, store map[string]string) *fakeCluster {
	return &fakeCluster{mode: mode, store: store, sessions: map[string]map[string]bool{}}
}

func (c *fakeCluster) send(m *worker.Member, w http.ResponseWriter, hr *http.Request, _ *config.Server) error {
	name := m.Name()
	mode := c.mode[name]
	if mode == "down" {
		return errors.New("connection refused")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.store[name]
	if st == "" {
		st = name
	}
	if c.sessions[st] == nil {
		c.sessions[st] = map[string]bool{}
	}
	sent := ""
	if ck, err := hr.Cookie("JSESSIONID"); err == nil && mode != "url" { // url: cookies disabled
		sent = ck.Value
	} else if _, v, ok := strings.Cut(hr.URL.EscapedPath(), ";jsessionid="); ok {
		sent = v
	}
	if sent != "" {
		c.shown = append(c.shown, time.Now())
	}
	base := doctor.IDBase(sent)
	hand := ""
	switch {
	case mode == "none":
	case sent != "" && c.sessions[st][base]:
		switch mode {
		case "bind", "url":
			hand = base + "." + name
		case "same":
			hand = sent
		}
	default:
		c.n++
		base = "S" + strconv.Itoa(c.n)
		c.sessions[st][base] = true
		c.created = append(c.created, time.Now())
		hand = base + "." + name
	}
	if hand != "" {
		if mode == "url" {
			w.Header().Set("Location", "/app/next;jsessionid="+hand)
		} else {
			w.Header().Add("Set-Cookie", "JSESSIONID="+hand+"; Path=/")
		}
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func members(names ...string) string {
	props := ""
	for _, m := range names {
		props += "worker." + m + ".host=127.0.0.1\nworker." + m + ".port=8009\n"
	}
	return props
}

func runReplication(t *testing.T, props string, c *fakeCluster, wait time.Duration) []LBReplication {
	t.Helper()
	resolve := func(string, bool) (string, error) { return "127.0.0.1", nil }
	return Replication(context.Background(), loadConfig(t, props), Options{Path: "/app/login?x=1", Timeout: time.Second,
		Resolve: resolve, Send: c.send}, wait)
}

// pairResults is "from>to=result" for every pair, in order.
func pairResults(lbs []LBReplication) string {
	var b []string
	for _, p := range Pairs(lbs) {
		b = append(b, p.From+">"+p.To+"="+p.Result)
	}
	return strings.Join(b, " ")
}

// TestReplicationClassifies: a replicated session rebound, handed out
// unchanged or in a URL is kept; one the other member does not know is
// lost; an answer without a session id, or no answer, is unknown.
func TestReplicationClassifies(t *testing.T) {
	c := newFakeCluster(
		map[string]string{"a": "bind", "b": "same", "c": "quiet", "p": "bind", "u1": "url", "u2": "url", "d": "down"},
		map[string]string{"a": "x", "b": "x", "c": "x", "u1": "y", "u2": "y"})
	props := "worker.list=tc,plain,urls\nworker.tc.type=lb\nworker.tc.balance_workers=a,b,c\n" +
		"worker.plain.type=lb\nworker.plain.balance_workers=a,p,d\nworker.urls.type=lb\nworker.urls.balance_workers=u1,u2\n" +
		members("a", "b", "c", "p", "d", "u1", "u2")
	lbs := runReplication(t, props, c, 0)
	want := "a>b=kept a>c=unknown b>a=kept b>c=unknown c>a=kept c>b=kept " +
		"a>p=lost a>d=unknown p>a=lost p>d=unknown d>a=unknown d>p=unknown u1>u2=kept u2>u1=kept"
	if got := pairResults(lbs); got != want {
		t.Fatalf("pairs\n got %s\nwant %s", got, want)
	}
	reasons := map[string]string{}
	for _, p := range Pairs(lbs) {
		reasons[p.LB+" "+p.From+">"+p.To] = p.Reason
	}
	for k, w := range map[string]string{
		"tc a>c":    "c answered 200 without a session id",
		"plain a>p": "p did not know the session created on a",
		"plain a>d": "d did not answer: connection refused",
		"plain d>a": "no session: d did not answer",
		"tc a>b":    "",
	} {
		if r := reasons[k]; (w == "") != (r == "") || !strings.Contains(r, w) {
			t.Errorf("%s: reason %q, want %q", k, r, w)
		}
	}
	if s := Summarize(lbs); s.Kept != 6 || s.Lost != 2 || s.Unknown != 6 || len(s.Unchecked) != 0 {
		t.Errorf("summary %+v", s)
	}
	if lbs[1].Sessions != 2 {
		t.Errorf("plain: %d members created a session, want 2 (a, p)", lbs[1].Sessions)
	}
}

// TestReplicationSessionPerPair: every pair gets a fresh session, so a
// session rebound to one member (renamed in the whole cluster) is not
// the one presented to the next; and nothing is presented before every
// session was created and the wait is over.
func TestReplicationSessionPerPair(t *testing.T) {
	c := newFakeCluster(map[string]string{"a": "bind", "b": "bind", "c": "bind"}, map[string]string{"a": "x", "b": "x", "c": "x"})
	props := "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a,b,c\n" + members("a", "b", "c")
	const wait = 50 * time.Millisecond
	lbs := runReplication(t, props, c, wait)
	if got := pairResults(lbs); strings.Count(got, "kept") != 6 {
		t.Fatalf("pairs %s", got)
	}
	if len(c.created) != 6 || len(c.shown) != 6 {
		t.Fatalf("%d sessions created, %d presented; want 6 and 6", len(c.created), len(c.shown))
	}
	last := c.created[0]
	for _, at := range c.created {
		if at.After(last) {
			last = at
		}
	}
	for _, at := range c.shown {
		if at.Sub(last) < wait {
			t.Fatalf("a session was presented %s after the last was created, before the %s wait", at.Sub(last), wait)
		}
	}
}

// TestReplicationDomains: with domains, only members of one domain are
// paired; an lb whose members set no session is unchecked; an lb of one
// member has no pair.
func TestReplicationDomains(t *testing.T) {
	c := newFakeCluster(map[string]string{"a1": "bind", "a2": "bind", "b1": "bind", "b2": "bind", "n1": "none", "n2": "none", "solo": "bind"},
		map[string]string{"a1": "A", "a2": "A", "b1": "B", "b2": "B"})
	props := "worker.list=lb,quiet,one\nworker.lb.type=lb\nworker.lb.balance_workers=a1,b1,a2,b2\n" +
		"worker.a1.domain=A\nworker.a2.domain=A\nworker.b1.route=B.1\nworker.b2.route=B.2\n" +
		"worker.quiet.type=lb\nworker.quiet.balance_workers=n1,n2\nworker.one.type=lb\nworker.one.balance_workers=solo\n" +
		members("a1", "a2", "b1", "b2", "n1", "n2", "solo")
	lbs := runReplication(t, props, c, 0)
	if got, want := pairResults(lbs), "a1>a2=kept b1>b2=kept a2>a1=kept b2>b1=kept n1>n2=unknown n2>n1=unknown"; got != want {
		t.Fatalf("pairs\n got %s\nwant %s", got, want)
	}
	s := Summarize(lbs)
	if len(s.Unchecked) != 1 || s.Unchecked[0] != "quiet" {
		t.Errorf("unchecked %v, want [quiet]", s.Unchecked)
	}
	var out bytes.Buffer
	WriteMatrix(&out, lbs, "/app/login")
	for _, w := range []string{
		"no member set a session at /app/login: the check could not be made",
		"quiet n1 -> n2: unknown: no session: n1 set no JSESSIONID at /app/login?x=1",
		"replication of lb one (rows: session created on, columns: presented to)\n  no pair of members to check",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("matrix lacks %q:\n%s", w, out.String())
		}
	}
}

// TestReplicationCanceled: a canceled context ends the wait at once.
func TestReplicationCanceled(t *testing.T) {
	c := newFakeCluster(map[string]string{"a": "bind", "b": "bind"}, map[string]string{"a": "x", "b": "x"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan []LBReplication, 1)
	go func() {
		done <- Replication(ctx, loadConfig(t, "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a,b\n"+members("a", "b")),
			Options{Timeout: time.Second, Resolve: func(string, bool) (string, error) { return "127.0.0.1", nil }, Send: c.send}, time.Hour)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // failsafe only
		t.Fatal("the wait did not end with the context")
	}
}

// TestReplicationReports: the matrix has rows FROM and columns TO, "-"
// where nothing was checked, a paragraph with the fix per lost pair; the
// JSON has the array replication with lb, from, to, result.
func TestReplicationReports(t *testing.T) {
	lbs := []LBReplication{{Name: "lb", Members: []string{"node1", "node2"}, Sessions: 2, Pairs: []Pair{
		{LB: "lb", From: "node1", To: "node2", Result: Kept},
		{LB: "lb", From: "node2", To: "node1", Result: Lost, Reason: "node1 did not know the session created on node2"},
	}}}
	var out bytes.Buffer
	s := WriteMatrix(&out, lbs, "/")
	want := "FROM \\ TO  node1  node2\nnode1      -      kept\nnode2      lost   -\n\n" +
		"lb node2 -> node1: lost: node1 did not know the session created on node2\n" +
		"  fix: session replication between node2 and node1 is not working: put <Cluster> in both server.xml"
	if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "2 pair(s): 1 kept, 1 lost, 0 unknown") || s.Lost != 1 {
		t.Errorf("matrix:\n%s", out.String())
	}
	var js bytes.Buffer
	if _, err := WriteJSON(&js, nil, lbs); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Replication []map[string]string `json:"replication"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || len(doc.Replication) != 2 {
		t.Fatalf("%v: %s", err, js.String())
	}
	if p := doc.Replication[1]; p["lb"] != "lb" || p["from"] != "node2" || p["to"] != "node1" || p["result"] != "lost" {
		t.Errorf("pair %v", p)
	}
	js.Reset()
	WriteJSON(&js, nil, []LBReplication{})
	if !strings.Contains(js.String(), `"replication": []`) {
		t.Errorf("no pairs: %s", js.String())
	}
	js.Reset()
	WriteJSON(&js, nil, nil)
	if strings.Contains(js.String(), "replication") {
		t.Errorf("without --replication: %s", js.String())
	}
}

// TestClassifyFailover is the rule, case by case.
func TestClassifyFailover(t *testing.T) {
	for _, c := range []struct{ sent, seen, want string }{
		{"AB.n1", "AB.n2", Kept}, {"AB.n1", "AB.n1", Kept}, {"AB", "AB", Kept},
		{"AB.n1", "CD.n2", Lost}, {"AB.n1", "ABC.n2", Lost}, {"AB.n1", "", Unknown},
	} {
		h := http.Header{}
		if c.seen != "" {
			h.Add("Set-Cookie", "OTHER=x")
			h.Add("Set-Cookie", "JSESSIONID="+c.seen+"; Path=/")
		}
		if got := classifyFailover(h, "JSESSIONID", ";jsessionid", c.sent); got != c.want {
			t.Errorf("%s -> %q: %s, want %s", c.sent, c.seen, got, c.want)
		}
	}
}

// TestWithPathParam: the id goes at the end of the path, before the query.
func TestWithPathParam(t *testing.T) {
	for in, want := range map[string]string{
		"/app/login?x=1": "/app/login;jsessionid=AB.n1?x=1",
		"/app/":          "/app/;jsessionid=AB.n1",
		"/?":             "/;jsessionid=AB.n1?",
	} {
		if got := withPathParam(in, ";jsessionid", "AB.n1"); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// TestClassifyFailoverSeveral: the doctor's rule, not a first-cookie one:
// any id with the base is kept, whatever other cookies say; a Location
// path parameter counts when no cookie hands out an id.
func TestClassifyFailoverSeveral(t *testing.T) {
	h := http.Header{"Set-Cookie": {"JSESSIONID=ZZ.n2; Path=/other", "JSESSIONID=AB.n2; Path=/"}}
	if got := classifyFailover(h, "JSESSIONID", ";jsessionid", "AB.n1"); got != Kept {
		t.Errorf("several cookies: %s, want kept", got)
	}
	h = http.Header{"Location": {"/app;jsessionid=CD.n2?x"}}
	if got := classifyFailover(h, "JSESSIONID", ";jsessionid", "AB.n1"); got != Lost {
		t.Errorf("Location: %s, want lost", got)
	}
}

// TestReplicationHostileID: an id a cookie or a path cannot carry, or an
// endless one, is not sent back: the pair is unknown with the reason.
func TestReplicationHostileID(t *testing.T) {
	for _, id := range []string{"AB\r\nX-Injected: 1", strings.Repeat("A", 300) + ".n1", "AB;Path=/", "A%zz.n1"} {
		var mu sync.Mutex
		presented := 0
		send := func(m *worker.Member, w http.ResponseWriter, hr *http.Request, _ *config.Server) error {
			mu.Lock()
			defer mu.Unlock()
			if hr.Header.Get("Cookie") != "" {
				presented++
			}
			w.Header()["Set-Cookie"] = []string{"JSESSIONID=\"" + id + "\""}
			w.WriteHeader(http.StatusOK)
			return nil
		}
		lbs := Replication(context.Background(), loadConfig(t, "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a,b\n"+members("a", "b")),
			Options{Timeout: time.Second, Resolve: func(string, bool) (string, error) { return "127.0.0.1", nil }, Send: send}, 0)
		ps := Pairs(lbs)
		if len(ps) != 2 || ps[0].Result != Unknown || !strings.Contains(ps[0].Reason, "cannot be sent back") || presented != 0 {
			t.Errorf("id %q: %+v, %d presented", id, ps, presented)
		}
	}
}
