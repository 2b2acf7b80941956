package probe

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/doctor"
)

// `check --probe --replication` (docs/doctor.md#check---probe---replication):
// does a member know the sessions another member of its lb created? A
// session is created on FROM through the probe path, talking to FROM
// directly; after the wait its id is presented to TO, and TO's answer is
// classified with the rule the balancer applies to a real failover.

// The results of one ordered pair.
const (
	Kept    = "kept"
	Lost    = "lost"
	Unknown = "unknown"
)

// DefaultReplicationWait is how long Replication waits between creating
// the sessions and presenting them. Tomcat's DeltaManager replicates a
// new session asynchronously (SimpleTcpCluster's default send options);
// a message reaches a healthy peer within milliseconds, and the sender
// gives up on a peer that does not acknowledge it after its Transport
// timeout, 3 s by default ("Operation has timed out"). Waiting past that
// timeout, with a margin, means a session not known by then will not be.
const DefaultReplicationWait = 5 * time.Second

// Pair is the outcome of one ordered pair of members of an lb: the
// session created on From, presented to To.
type Pair struct {
	LB     string `json:"lb"`
	From   string `json:"from"`
	To     string `json:"to"`
	Result string `json:"result"` // Kept, Lost or Unknown
	// Reason says why, for Lost and Unknown.
	Reason string `json:"reason,omitempty"`
}

// LBReplication is one lb checked: its members (the rows and columns of
// the matrix, in configuration order), how many of them created a
// session at the probe path, and its pairs.
type LBReplication struct {
	Name     string
	Members  []string
	Sessions int
	Pairs    []Pair
}

// Replication checks every ordered pair of members of every listed lb
// that are in the same domain (docs/doctor.md#check---probe---replication).
// Each pair gets its own session, so a session that one member rebinds
// to its route (JvmRouteBinderValve renames it in the whole cluster) is
// never the one presented to the next. One pass, nothing retried; each
// request is bounded by o.Timeout, the wait by wait (< 0 = 0) and ctx.
func Replication(ctx context.Context, cfg *config.Config, o Options, wait time.Duration) []LBReplication {
	if o.Path == "" {
		o.Path = "/"
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	lbs, tasks := replicationPlan(cfg)
	parallel(len(tasks), func(i int) { tasks[i].create(ctx, &o) })
	created := 0
	for i := range tasks {
		if tasks[i].id != "" {
			created++
		}
	}
	if created > 0 && wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	parallel(len(tasks), func(i int) { tasks[i].present(ctx, &o) })
	for i := range tasks {
		t := &tasks[i]
		l := &lbs[t.lb]
		l.Pairs = append(l.Pairs, t.pair)
	}
	for i := range lbs {
		lbs[i].Sessions = countSessions(tasks, i)
	}
	return lbs
}

// pairTask is one ordered pair on its way through Replication.
type pairTask struct {
	lb       int // index into the plan's lbs
	from, to job
	cookie   string // the lb's session cookie name
	param    string // the lb's session path parameter, ";jsessionid" style
	// After create: the session id FROM handed out and where ("Set-Cookie"
	// or "Location"); id is "" when none, pair.Reason then says why.
	id, idFrom string
	pair       Pair
}

// replicationPlan lists the lbs and the ordered pairs to check.
func replicationPlan(cfg *config.Config) ([]LBReplication, []pairTask) {
	var lbs []LBReplication
	var tasks []pairTask
	for _, name := range cfg.List {
		w := cfg.Workers[name]
		if w == nil || w.Type != config.TypeLB || w.LB == nil {
			continue
		}
		l := LBReplication{Name: name}
		var ms []job
		for _, m := range w.LB.BalanceWorkers {
			if mw := cfg.Workers[m]; mw != nil && mw.Member != nil {
				ms = append(ms, job{cfg: cfg, lb: w, name: m, a: mw.Member})
				l.Members = append(l.Members, m)
			}
		}
		cookie, param := w.LB.SessionCookie, w.LB.SessionPath
		if cookie == "" {
			cookie = "JSESSIONID"
		}
		if param == "" {
			param = ";jsessionid"
		}
		for _, f := range ms {
			for _, t := range ms {
				if f.name == t.name || domainOf(f.a) != domainOf(t.a) {
					continue
				}
				tasks = append(tasks, pairTask{lb: len(lbs), from: f, to: t, cookie: cookie, param: param,
					pair: Pair{LB: name, From: f.name, To: t.name, Result: Unknown}})
			}
		}
		lbs = append(lbs, l)
	}
	return lbs, tasks
}

// create asks FROM for a new session.
func (t *pairTask) create(ctx context.Context, o *Options) {
	h, err := ask(ctx, t.from.cfg, t.from, o, o.Path, "")
	switch {
	case err != nil:
		t.pair.Reason = "no session: " + t.from.name + " did not answer: " + err.Error()
	case h.secretProblem != "":
		t.pair.Reason = "no session: " + h.secretProblem
	default:
		s := doctor.ReadSession(h.h, t.cookie, t.param)
		switch {
		case s.ID == "":
			t.pair.Reason = "no session: " + t.from.name + " set no " + t.cookie + " at " + o.Path
		case !validID(s.ID):
			t.pair.Reason = "no session: " + t.from.name + " handed out a session id that cannot be sent back (over " +
				strconv.Itoa(maxID) + " bytes, or bytes a cookie or path cannot carry)"
		default:
			t.id, t.idFrom = s.ID, s.From
		}
	}
}

// present shows FROM's session to TO, the way a client would send it
// after a failover (the cookie, or the path parameter when FROM handed
// the id out in a Location), and classifies TO's answer.
func (t *pairTask) present(ctx context.Context, o *Options) {
	if t.id == "" {
		return
	}
	path, cookie := o.Path, t.cookie+"="+t.id
	if t.idFrom == "Location" {
		path, cookie = withPathParam(o.Path, t.param, t.id), ""
	}
	h, err := ask(ctx, t.to.cfg, t.to, o, path, cookie)
	switch {
	case err != nil:
		t.pair.Reason = t.to.name + " did not answer: " + err.Error()
		return
	case h.secretProblem != "":
		t.pair.Reason = h.secretProblem
		return
	}
	t.pair.Result = classifyFailover(h.h, t.cookie, t.param, t.id)
	switch t.pair.Result {
	case Lost:
		t.pair.Reason = t.to.name + " did not know the session created on " + t.from.name + ": it answered with a new session id"
	case Unknown:
		t.pair.Reason = t.to.name + " answered " + strconv.Itoa(h.status) + " without a session id, so its answer does not tell" +
			" (Tomcat hands a session it already knows out again only with JvmRouteBinderValve)"
	}
}

// classifyFailover is the rule the balancer applies to a real failover
// (docs/sessions.md#what-a-failover-shows): TO's answer hands out a
// session id with the same base as sent (the text before the first '.',
// rebound to TO's route or unchanged): kept; only other bases: lost, TO
// started a new session; none: unknown.
func classifyFailover(h http.Header, cookie, param, sent string) string {
	return doctor.ClassifyFailover(h, cookie, param, doctor.IDBase(sent)).String()
}

// maxID bounds a session id sent back: Tomcat's are 32 hex digits and a
// route of at most 60 bytes.
const maxID = 256

// validID reports whether id can go into a Cookie header and a path as
// it is: printable ASCII without blanks, quotes, separators of cookies
// and URLs, or escapes; a member cannot make the probe send anything
// else.
func validID(id string) bool {
	if len(id) > maxID {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x21 || c > 0x7e || strings.IndexByte(`"\,;?#/%`, c) >= 0 {
			return false
		}
	}
	return true
}

// withPathParam puts param=id at the end of the path of uri, before its
// query, as Tomcat rewrites URLs (";jsessionid=ID?q").
func withPathParam(uri, param, id string) string {
	path, query, hasQuery := strings.Cut(uri, "?")
	path += param + "=" + id
	if hasQuery {
		path += "?" + query
	}
	return path
}

// countSessions is how many members of lb i created a session.
func countSessions(tasks []pairTask, lb int) int {
	seen := map[string]bool{}
	for i := range tasks {
		if t := &tasks[i]; t.lb == lb && t.id != "" {
			seen[t.from.name] = true
		}
	}
	return len(seen)
}

// parallel runs f(0..n-1), at most 8 at once.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}
