// Package probe is `jkbalancer check --probe`: one request to every
// member of every lb before go-live, to see the session cookie and route
// each one hands out and compare them with the configuration, the way the
// session-route doctor (package doctor) does on live traffic.
//
// The request goes through the code a client's request takes when served:
// the server builds it (Options.Send, server.Probe), so what a member is
// judged on is what it will see in production.
package probe

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/doctor"
	"github.com/jkbalancer/jkbalancer/worker"
)

// Sender serves hr on member m the way the server serves a client's
// request (the forward request built from hr with srv's settings) and
// writes the member's answer to w.
type Sender func(m *worker.Member, w http.ResponseWriter, hr *http.Request, srv *config.Server) error

// Options configure Run.
type Options struct {
	// Path is the request path (and query); "" = "/". It should create a
	// session: Tomcat's default page does not.
	Path string
	// Timeout bounds each member's answer (connect and reply); 0 = 10 s.
	Timeout time.Duration
	// Resolve resolves member hosts. Required (server.Probe sets it).
	Resolve func(host string, preferIPv6 bool) (string, error)
	// Send sends the request. Required (server.Probe sets it).
	Send Sender
}

// Result is what one member of one lb answered.
type Result struct {
	LB      string `json:"lb"`
	Member  string `json:"member"`
	Type    string `json:"type"`    // ajp13 or http
	Address string `json:"address"` // host:port as configured
	// Reachable: a response came back; Status is its status, Error why
	// there was none.
	Reachable bool   `json:"reachable"`
	Status    int    `json:"status,omitempty"`
	Error     string `json:"error,omitempty"`
	// Cookie and SessionRoute are the session cookie the member set (or
	// the session path parameter of its Location) and the route of the id.
	Cookie       string `json:"cookie,omitempty"`
	SessionRoute string `json:"session_route,omitempty"`
	// Route and SessionCookie are what the configuration says.
	Route         string `json:"route"`
	SessionCookie string `json:"session_cookie"`
	Sticky        bool   `json:"sticky_session"`
	// Result is "ok", "unreachable", "no_session", "secret" (the member's
	// AJP connector refused the secret), or a doctor kind (route_mismatch,
	// no_route, cookie_name); Problem and Fix explain it.
	Result  string `json:"result"`
	Problem string `json:"problem,omitempty"`
	Fix     string `json:"fix,omitempty"`
}

// Failed reports a member that would break sticky sessions or cannot be
// reached: check --probe exits 1 for it.
func (r *Result) Failed() bool {
	return r.Result != "ok" && r.Result != "no_session"
}

// Run sends one GET to every member of every listed lb, in parallel,
// and judges what each answered. Nothing is retried.
func Run(ctx context.Context, cfg *config.Config, o Options) []Result {
	if o.Path == "" {
		o.Path = "/"
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	var out []Result
	var jobs []job
	for _, name := range cfg.List {
		w := cfg.Workers[name]
		if w == nil || w.Type != config.TypeLB || w.LB == nil {
			continue
		}
		for _, m := range w.LB.BalanceWorkers {
			if mw := cfg.Workers[m]; mw != nil && mw.Member != nil {
				jobs = append(jobs, job{cfg: cfg, lb: w, name: m, a: mw.Member, idx: len(out)})
				out = append(out, Result{})
			}
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8) // at most 8 members at once
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[j.idx] = member(ctx, cfg, j, &o)
		}()
	}
	wg.Wait()
	return out
}

type job struct {
	cfg  *config.Config
	lb   *config.Worker
	name string
	a    *config.Member
	idx  int
}

// member probes one member and judges the answer.
func member(ctx context.Context, cfg *config.Config, j job, o *Options) Result {
	lbc := j.lb.LB
	r := Result{LB: j.lb.Name, Member: j.name, Type: config.TypeAJP13, Address: j.a.Address(),
		Route: j.a.Route, SessionCookie: lbc.SessionCookie, Sticky: lbc.StickySession}
	if j.a.HTTP != nil {
		r.Type = config.TypeHTTP
	}
	if r.Route == "" {
		r.Route = j.name // mod_jk: the route defaults to the worker name
	}
	if r.SessionCookie == "" {
		r.SessionCookie = "JSESSIONID"
	}
	path := lbc.SessionPath
	if path == "" {
		path = ";jsessionid"
	}
	h, err := ask(ctx, cfg, j, o, o.Path, "")
	if err != nil {
		r.Result, r.Error = "unreachable", err.Error()
		r.Problem = "member " + j.name + " did not answer: " + err.Error()
		r.Fix = "check that it runs and listens on " + r.Address + " (and the secret, for AJP)"
		return r
	}
	r.Reachable, r.Status = true, h.status
	if h.secretProblem != "" {
		// Tomcat refused the AJP secret before the application ran: the
		// session cannot be judged, and serving would answer 403 to all.
		r.Result, r.Problem = "secret", h.secretProblem
		r.Fix = "set worker." + j.name + ".secret (or worker." + j.lb.Name + ".secret) to the secret of the member's AJP connector (server.xml <Connector protocol=\"AJP/1.3\" secret=...>)"
		return r
	}
	judge(&r, doctor.ReadSession(h.h, r.SessionCookie, path), j, o.Path)
	return r
}

// judge compares the session the member handed out with the
// configuration, with the doctor's rules and words.
func judge(r *Result, s doctor.SessionSeen, j job, probePath string) {
	f := doctor.Finding{LB: r.LB, Member: r.Member, Addr: r.Address, Configured: r.Route}
	switch {
	case s.ID != "":
		r.Cookie = r.SessionCookie
		if s.From == "Location" {
			r.Cookie = "(URL " + s.From + ")"
		}
		r.SessionRoute, _ = doctor.RouteOf(s.ID)
		f.Kind, f.Seen = doctor.JudgeRoute(s.ID, r.Route, domainOf(j.a))
	case s.Foreign != "":
		r.Cookie = s.Foreign
		f.Kind, f.Seen, f.Configured = doctor.KindCookieName, s.Foreign, r.SessionCookie
	default:
		r.Result = "no_session"
		r.Problem = "no session created at " + probePath
		r.Fix = "use --probe-path with a page that creates one"
		return
	}
	if f.Kind == 0 {
		r.Result = "ok"
		return
	}
	if !r.Sticky {
		// Without sticky sessions the route does not matter.
		r.Result = "ok"
		return
	}
	proxyURL := ""
	if j.a.Proxy != nil {
		proxyURL = j.a.Proxy.URL
	}
	doctor.Describe(&f, routeOwner(j, f.Seen), proxyURL)
	r.Result, r.Problem, r.Fix = f.Kind.String(), f.Problem, f.Fix
}

// domainOf is the member's domain: configured, or the part of its route
// before the first '.' (mod_jk validate).
func domainOf(a *config.Member) string {
	if a.Domain != "" {
		return a.Domain
	}
	for i := 0; i < len(a.Route); i++ {
		if a.Route[i] == '.' {
			return a.Route[:i]
		}
	}
	return ""
}

// routeOwner is the other member of the lb whose route is route.
func routeOwner(j job, route string) string {
	for _, m := range j.lb.LB.BalanceWorkers {
		w := j.cfg.Workers[m]
		if m == j.name || w == nil || w.Member == nil {
			continue
		}
		if r := w.Member.Route; r == route || (r == "" && m == route) {
			return m
		}
	}
	return ""
}

// head is the response head a member answered with.
type head struct {
	status int
	h      http.Header
	// secretProblem: the member refused the AJP secret (worker/secret.go).
	secretProblem string
}

// ask sends GET path to the member, through the same code a request
// takes when served (o.Send), with a Cookie header when cookie is not "",
// and returns the response head.
func ask(ctx context.Context, cfg *config.Config, j job, o *Options, path, cookie string) (*head, error) {
	a := *j.a
	a.Retries, a.BusyLimit = 1, 0
	ms := int(o.Timeout / time.Millisecond)
	for _, v := range []*int{&a.SocketConnectTimeout, &a.ReplyTimeout} {
		if *v <= 0 || *v > ms {
			*v = ms
		}
	}
	addr := "0.0.0.0:0"
	if a.Port > 0 {
		ip, err := o.Resolve(a.Host, a.PreferIPv6)
		if err != nil {
			return nil, err
		}
		addr = net.JoinHostPort(ip, strconv.Itoa(a.Port))
	}
	m := worker.NewMember(worker.Spec{Name: j.name, Attrs: &a, Addr: addr,
		Options: worker.Options{Secret: j.lb.LB.Secret, Logger: slog.New(slog.DiscardHandler)}})
	defer m.Close()

	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	u, err := url.Parse("http://" + net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) + path)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	hr.RequestURI = u.RequestURI()
	hr.RemoteAddr = "127.0.0.1:0"
	hr.Header.Set("User-Agent", "jkbalancer-check-probe")
	if cookie != "" {
		hr.Header.Set("Cookie", cookie)
	}
	pw := &writer{h: http.Header{}}
	if err := o.Send(m, pw, hr, &cfg.Server); err != nil {
		return nil, err
	}
	out := &head{status: pw.status, h: pw.h}
	if m.SecretRefused() {
		out.secretProblem = m.SecretProblem()
	}
	return out, nil
}

// writer keeps the response head and throws the body away.
type writer struct {
	h      http.Header
	status int
}

func (p *writer) Header() http.Header { return p.h }

func (p *writer) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

func (p *writer) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

func (p *writer) Flush() {}
