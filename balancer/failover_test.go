package balancer

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/doctor"
	"github.com/jkbalancer/jkbalancer/worker"
)

// sessMember is a member that answers with a scripted head and lets the
// session-route doctor inspect it, as worker.Member does before the head
// goes to the client; it fails while down.
type sessMember struct {
	ctr  worker.Counters
	mu   sync.Mutex
	down bool
	head http.Header
	hits int
}

func (m *sessMember) Forward(_ http.ResponseWriter, _ *worker.Request, at *worker.Attempt) (worker.Outcome, error) {
	m.mu.Lock()
	down, head := m.down, m.head
	m.hits++
	m.mu.Unlock()
	if down {
		return worker.Outcome{}, &worker.Error{Class: worker.ClassConnect, Recoverable: true}
	}
	if at.Check.M != nil {
		at.Check.Inspect(head)
	}
	return worker.Outcome{Status: 200}, nil
}

func (m *sessMember) Counters() *worker.Counters { return &m.ctr }
func (m *sessMember) Available() bool            { return true }

func (m *sessMember) set(down bool, head http.Header) {
	m.mu.Lock()
	m.down, m.head = down, head
	m.mu.Unlock()
}

func (m *sessMember) served() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hits
}

// sessLB is an lb over sessMembers with a session-route doctor.
func sessLB(t testing.TB, cfg config.LB, defs ...mdef) (*LB, *doctor.Doctor, map[string]*sessMember) {
	t.Helper()
	doc := doctor.New(doctor.Spec{})
	spec := Spec{Name: "lb", LB: &cfg, Doctor: doc, Now: newClock().Now}
	ms := map[string]*sessMember{}
	for _, d := range defs {
		m := &sessMember{}
		ms[d.name] = m
		a := d.ajp
		spec.Members = append(spec.Members, MemberSpec{Name: d.name, Attrs: &a, Member: m})
	}
	lb, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	return lb, doc, ms
}

func setCookie(v string) http.Header { return http.Header{"Set-Cookie": {v}} }

// failovers renders the doctor's counts as "from>to:kept/lost/unknown".
func failovers(d *doctor.Doctor) []string {
	var out []string
	for _, c := range d.Failovers() {
		out = append(out, fmt.Sprintf("%s>%s:%d/%d/%d", c.From, c.To,
			c.Count[doctor.FailoverKept], c.Count[doctor.FailoverLost], c.Count[doctor.FailoverUnknown]))
	}
	return out
}

func TestFailoverClassifiedByTheAnswer(t *testing.T) {
	lb, doc, ms := sessLB(t, baseLB(), member("n1", route("n1")), member("n2", route("n2")))
	w := httptest.NewRecorder()
	serve := func(req *worker.Request) {
		t.Helper()
		if err := lb.Serve(w, req); err != nil {
			t.Fatalf("Serve: %v", err)
		}
	}
	// n1 fails under a sticky request: the lb puts it in ERR and fails
	// over to n2, which rebinds the session (JvmRouteBinderValve).
	ms["n1"].set(true, nil)
	ms["n2"].set(false, setCookie("JSESSIONID=ABC.n2; Path=/app; HttpOnly"))
	serve(newReq(session("ABC.n1")))
	if ms["n1"].served() != 1 || ms["n2"].served() != 1 {
		t.Fatalf("n1 tried %d, n2 served %d", ms["n1"].served(), ms["n2"].served())
	}
	// n1 is in ERR now: its sessions go to n2 directly.
	ms["n2"].set(false, setCookie("JSESSIONID=NEW1.n2; Path=/app"))
	serve(newReq(session("DEF.n1")))
	serve(newReq(uri("/app/x;jsessionid=GHI.n1")))
	ms["n2"].set(false, http.Header{"Content-Type": {"text/html"}})
	serve(newReq(session("JKL.n1")))
	// No failover: n2's own sessions, new sessions, routes of no member,
	// and a client with a session on n2 too.
	ms["n2"].set(false, setCookie("JSESSIONID=NEW2.n2"))
	serve(newReq(session("ABC.n2")))
	serve(plain())
	serve(newReq(session("MNO.zzz")))
	serve(newReq(session("PQR")))
	serve(newReq(cookie("JSESSIONID=STU.n1; JSESSIONID=VWX.n2")))
	got := fmt.Sprint(failovers(doc))
	if want := "[n1>n2:1/2/1]"; got != want {
		t.Fatalf("failovers %s, want %s", got, want)
	}
	fs := doc.FindingsFor("lb")
	if len(fs) != 1 || fs[0].Kind != doctor.KindSessionLost || fs[0].Member != "n2" || fs[0].Seen != "n1" || fs[0].Count != 2 {
		t.Fatalf("findings: %+v", fs)
	}
}

func TestFailoverByRedirectAndDomain(t *testing.T) {
	lb, doc, ms := sessLB(t, baseLB(),
		member("a1", route("a1"), redirect("a2"), activation(config.Stopped)), member("a2", route("a2")),
		member("d1", route("d1"), domain("dom"), activation(config.Stopped)), member("d2", route("d2"), domain("dom")))
	for _, m := range ms {
		m.set(false, setCookie("JSESSIONID=NEW.x"))
	}
	w := httptest.NewRecorder()
	for _, id := range []string{"S1.a1", "S2.d1", "S3.dom"} {
		if err := lb.Serve(w, newReq(session(id))); err != nil {
			t.Fatal(err)
		}
	}
	// S3.dom names a domain, no member: not a failover.
	if got, want := fmt.Sprint(failovers(doc)), "[a1>a2:0/1/0 d1>d2:0/1/0]"; got != want {
		t.Fatalf("failovers %s, want %s", got, want)
	}
}

// TestNoFailoverDoesNotAllocate: requests that are no failover cost the
// failover classification nothing (and a failover of a known pair
// neither). Pool refills are subtracted as in TestServeDoesNotAllocate.
func TestNoFailoverDoesNotAllocate(t *testing.T) {
	lb, _, ms := sessLB(t, baseLB(), member("n1", route("n1")), member("n2", route("n2")),
		member("n3", route("n3"), activation(config.Stopped)))
	for name, m := range ms {
		m.set(false, setCookie("JSESSIONID=ABC."+name+"; Path=/"))
	}
	fill := lb.scratch.New
	var refills uint64
	lb.scratch.New = func() any { refills++; return fill() }
	perRefill := uint64(testing.AllocsPerRun(20, func() { _ = fill() }))
	w := httptest.NewRecorder()
	for _, req := range []*worker.Request{plain(), newReq(session("ABC.n1")), newReq(session("ABC.zzz")),
		newReq(session("ABC.n3"))} {
		for range 10 {
			_ = lb.Serve(w, req) // warm up: the unknown route's finding, the failover pair
		}
		refills = 0
		n := mallocs(200, func() { _ = lb.Serve(w, req) })
		if extra := int64(n) - int64(refills*perRefill); extra != 0 {
			t.Errorf("%s: %d allocations in 200 requests beyond %d pool refills", req.HTTP.Header, extra, refills)
		}
	}
}
