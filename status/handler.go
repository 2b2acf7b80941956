// Package status is mod_jk's status worker (jk_status.c, docs/status-worker.md):
// the commands list, show, edit, update, reset, recover,
// version and dump over the lb and ajp13 workers of the running
// configuration, answered as html, xml, txt or prop with mod_jk's element,
// attribute and key names, so scripts written for mod_jk keep working.
//
// Beyond mod_jk: users log in with HTTP basic auth against an htpasswd
// file (worker.NAME.user_file); a browser changes state only through the
// HTML forms, by POST with a CSRF token, while scripts keep mod_jk's GET
// update API (worker.NAME.csrf=strict requires the forms for everything);
// and every successful update is written to a state file that is applied
// again at the next start, so a restart no longer undoes a drain.
package status

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/doctor"
	"github.com/jkbalancer/jkbalancer/worker"
)

// JKVersion is what the status worker reports as jk_version: the mod_jk
// release whose status worker it reproduces, so that scripts checking it
// keep working.
const JKVersion = "mod_jk/1.2.48"

// Worker is one worker of worker.list the status worker shows: an lb or a
// plain ajp13/ajp14 worker. Other types (the status worker itself) are
// listed with only a Name and Type.
type Worker struct {
	Name   string
	Type   string         // config.TypeLB, config.TypeAJP13, ...
	LB     *balancer.LB   // for type lb
	Member *worker.Member // for ajp13/ajp14 (and http) workers used directly
}

// Spec describes one status worker.
type Spec struct {
	Name   string
	Config *config.Status
	// Workers are the workers of worker.list in order.
	Workers []Worker
	// Types gives the type of every instantiated worker, members included
	// ("" or missing = ajp13).
	Types map[string]string
	// Mounts returns the current mount rules (they may be reloaded).
	Mounts func() *config.MountTable
	// Properties are the resolved workers.properties lines, for dump.
	Properties []config.Property
	// ServerName is the main server's name, shown as each mount's server.
	ServerName string
	// Store persists updates; nil means they are not persisted.
	Store *Store
	// Key signs the CSRF tokens; it should live as long as the process.
	// nil draws a random key.
	Key []byte
	// Resolve resolves a host edited through vahst; nil uses the system
	// resolver.
	Resolve func(host string, preferIPv6 bool) (string, error)
	// Now is the clock (nil = time.Now); Location the zone times are shown
	// in (nil = time.Local).
	Now      func() time.Time
	Location *time.Location
	Logger   *slog.Logger
	// Software is the web_server text; "" = "jkbalancer".
	Software string
	// Doctor holds the session-route doctor's findings shown with each lb
	// (doctor.go); nil shows none.
	Doctor *doctor.Doctor
}

// Handler serves one status worker. It is safe for concurrent use.
type Handler struct {
	spec      Spec
	cfg       *config.Status
	good, bad uint32
	byName    map[string]*Worker
	instances map[string][]*worker.Member // every instance of an AJP worker name
	users     *Users
	csrf      csrfKey
	log       *slog.Logger
	page      *template.Template
	csp       string // Content-Security-Policy of the HTML pages
	// editMu serialises updates, as mod_jk's jk_shm_lock does.
	editMu sync.Mutex
}

// New builds the status worker. It fails when the user file cannot be
// read.
func New(spec Spec) (*Handler, error) {
	if spec.Config == nil {
		return nil, fmt.Errorf("status worker %q: no configuration", spec.Name)
	}
	h := &Handler{spec: spec, cfg: spec.Config, log: spec.Logger,
		byName: make(map[string]*Worker), instances: make(map[string][]*worker.Member)}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.log = h.log.With("status_worker", spec.Name)
	if h.spec.Now == nil {
		h.spec.Now = time.Now
	}
	if h.spec.Location == nil {
		h.spec.Location = time.Local
	}
	if h.spec.Software == "" {
		h.spec.Software = "jkbalancer"
	}
	if h.spec.Mounts == nil {
		h.spec.Mounts = func() *config.MountTable { return nil }
	}
	h.good, h.bad = ratingMask(spec.Config.Good, maskGoodDefault), ratingMask(spec.Config.Bad, maskBadDefault)
	if both := h.good & h.bad; both != 0 {
		h.log.Warn("status worker good and bad ratings overlap", "overlap", fmt.Sprintf("%08x", both))
	}
	h.index()
	if spec.Config.UserFile != "" {
		u, err := LoadUsers(spec.Config.UserFile, h.log)
		if err != nil {
			return nil, fmt.Errorf("status worker %q: user_file: %w", spec.Name, err)
		}
		h.users = u
	} else if len(spec.Config.User) > 0 {
		h.log.Warn("status worker names users but has no user_file to authenticate them: every request is denied; set worker." + spec.Name + ".user_file")
	}
	key, err := newCSRFKey(spec.Key)
	if err != nil {
		return nil, err
	}
	h.csrf = key
	h.page = newPage()
	h.csp = contentPolicy(spec.Config.CSS)
	return h, nil
}

// contentPolicy allows the page nothing but its inline style, the
// stylesheet of worker.NAME.css (same origin or its own), and forms and
// links to itself.
func contentPolicy(css string) string {
	style := "'unsafe-inline' 'self'"
	if u, err := url.Parse(css); err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
		style += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'none'; style-src " + style + "; form-action 'self'; frame-ancestors 'none'"
}

// index records the workers by name and every AJP instance by worker
// name: an AJP edit applies to all of them, as mod_jk shares an AJP
// worker's settings by name.
func (h *Handler) index() {
	for i := range h.spec.Workers {
		w := &h.spec.Workers[i]
		h.byName[w.Name] = w
		if w.Member != nil {
			h.instances[w.Name] = append(h.instances[w.Name], w.Member)
		}
		if w.LB != nil {
			for _, ms := range w.LB.Snapshot().Members {
				if m, ok := ms.Member.(*worker.Member); ok {
					h.instances[ms.Name] = append(h.instances[ms.Name], m)
				}
			}
		}
	}
}

// Serve answers one request (the server's worker interface). Like mod_jk
// it always answers 200 and reports errors in the body, except for a
// client outside worker.NAME.allow (403), a missing or wrong basic-auth
// login (401, as httpd would answer before mod_jk ran) and an oversized
// form (413).
func (h *Handler) Serve(w http.ResponseWriter, req *worker.Request) error {
	r := req.HTTP
	name, port := req.Forward.ServerName, req.Forward.ServerPort
	if name == "" {
		name, port = hostPort(r)
	}
	h.serve(w, r, name, port, req.Secure || r.TLS != nil)
	return nil
}

// ServeHTTP lets the status worker be used as a plain http.Handler (tests,
// an admin listener).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, port := hostPort(r)
	h.serve(w, r, name, port, r.TLS != nil)
}

// maxForm bounds a POSTed form.
const maxForm = 64 << 10

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, serverName string, serverPort int, tls bool) {
	if !h.admitted(w, r) {
		return
	}
	q, err := h.readParams(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	user, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	rq := &request{h: h, r: r, p: q, user: user, now: h.spec.Now(), code: http.StatusOK,
		serverName: serverName, serverPort: serverPort, scheme: "http", uri: r.URL.EscapedPath()}
	if tls {
		rq.scheme = "https"
	}
	rq.run()
	hdr := w.Header()
	hdr.Set("Content-Type", rq.mime.contentType())
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Pragma", "no-cache")
	if rq.mime == mimeHTML {
		// The HTML pages hold forms: refuse framing (clickjacking).
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Content-Security-Policy", h.csp)
	}
	hdr.Set("Content-Length", strconv.Itoa(rq.out.Len()))
	w.WriteHeader(rq.code)
	if r.Method != http.MethodHead {
		w.Write(rq.out.Bytes())
	}
}

// readParams parses the query string and, for a POSTed form, the body
// after it (its values win).
func (h *Handler) readParams(r *http.Request) (*params, error) {
	p := parseParams(r.URL.RawQuery)
	if r.Method != http.MethodPost || r.Body == nil {
		return p, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
	if err != nil {
		return p, nil // an unreadable body is an empty form
	}
	if len(body) > maxForm {
		return nil, errors.New("form too large")
	}
	p.add(string(bytes.TrimSpace(body)))
	return p, nil
}

// hostPort is the server name and port as httpd derives them from the
// Host header (UseCanonicalName Off).
func hostPort(r *http.Request) (string, int) {
	host, port := r.Host, ""
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			host, port = host[:i], host[i+1:]
			break
		}
		if host[i] == ']' {
			break
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 {
		n = 80
		if r.TLS != nil {
			n = 443
		}
	}
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return host, n
}
