package statusclient

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeStatus behaves like a status worker with one lb "lb" of members t1
// and t2: mod_jk's GET API and prop output, and, with csrf set,
// jkbalancer's strict mode (changes only by POST with the edit form's
// token).
type fakeStatus struct {
	mu        sync.Mutex
	user      string // basic-auth login required when not ""
	pass      string
	csrf      bool
	errorPage int  // answer every request with this HTTP status
	notStatus bool // answer 200 with something that is not a status page
	act       map[string]string
	busy      map[string]int64
	elected   map[string]int64
	onShow    func(f *fakeStatus) // called (locked) before each show
	updates   int
	hosts     []string // the Host header of every request
}

const fakeToken = "tok-123"

func newFake(t *testing.T, f *fakeStatus) (*fakeStatus, *httptest.Server) {
	f.act = map[string]string{"t1": "ACT", "t2": "ACT"}
	f.busy = map[string]int64{}
	f.elected = map[string]int64{}
	s := httptest.NewServer(f)
	t.Cleanup(s.Close)
	return f, s
}

func (f *fakeStatus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosts = append(f.hosts, r.Host)
	if f.errorPage != 0 {
		http.Error(w, "<html>proxy error</html>", f.errorPage)
		return
	}
	if f.notStatus {
		fmt.Fprint(w, "<html>It works!</html>")
		return
	}
	if u, p, ok := r.BasicAuth(); f.user != "" && (!ok || u != f.user || p != f.pass) {
		w.Header().Set("WWW-Authenticate", `Basic realm="jkstatus"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	r.ParseForm()
	q := r.Form
	switch q.Get("cmd") {
	case "edit":
		tok := ""
		if f.csrf {
			tok = `<input type="hidden" name="token" value="` + fakeToken + `">`
		}
		fmt.Fprintf(w, `<html><form method="post" action="/jk-status"><input type="hidden" name="cmd" value="update">`+
			`<input type="hidden" name="w" value="%s"><input type="hidden" name="sw" value="%s">%s</form></html>`,
			q.Get("w"), q.Get("sw"), tok)
	case "update":
		f.update(w, r)
	case "show":
		if f.onShow != nil {
			f.onShow(f)
		}
		f.show(w, q.Get("w"))
	default:
		fmt.Fprint(w, "worker.result.type=ERROR\nworker.result.message=Invalid command.\n")
	}
}

func (f *fakeStatus) update(w http.ResponseWriter, r *http.Request) {
	q := r.Form
	if f.csrf && (r.Method != http.MethodPost || q.Get("token") != fakeToken) {
		fmt.Fprint(w, "worker.result.type=ERROR\nworker.result.message=Refused: this status worker (csrf=strict) accepts changes only from its forms\n")
		return
	}
	sw := q.Get("sw")
	if q.Get("w") != "lb" || f.act[sw] == "" {
		fmt.Fprintf(w, "worker.result.type=ERROR\nworker.result.message=Status worker 'jkstatus' could not find sub worker '%s'\n", sw)
		return
	}
	f.updates++
	f.act[sw] = map[string]string{"0": "ACT", "a": "ACT", "1": "DIS", "d": "DIS", "2": "STP", "s": "STP"}[q.Get("vwa")]
	fmt.Fprint(w, "worker.result.type=OK\nworker.result.message=Action finished\n")
}

func (f *fakeStatus) show(w http.ResponseWriter, lb string) {
	if lb != "lb" {
		fmt.Fprintf(w, "worker.result.type=ERROR\nworker.result.message=Status worker 'jkstatus' could not find worker '%s'\n", lb)
		return
	}
	var b strings.Builder
	b.WriteString("worker.server_name=x\nworker.lb.type=lb\nworker.lb.busy=9\n")
	for _, m := range []string{"t1", "t2"} {
		fmt.Fprintf(&b, "worker.lb.balance_workers=%s\nworker.%s.type=ajp13\nworker.%s.activation=%s\nworker.%s.state=OK\n"+
			"worker.%s.elected=%d\nworker.%s.busy=%d\nworker.%s.max_busy=3\n",
			m, m, m, f.act[m], m, m, f.elected[m], m, f.busy[m], m)
	}
	b.WriteString("worker.result.type=OK\nworker.result.message=Action finished\n")
	fmt.Fprint(w, b.String())
}

func (f *fakeStatus) get(m string) (act string, updates int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.act[m], f.updates
}
