package worker

import (
	"log/slog"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/doctor"
)

// responder carries one backend response to the client's
// http.ResponseWriter, whatever the transport: WriteHead takes an AJP head,
// writeHTTPHead (http_response.go) an HTTP one; both go through refuse,
// replaced and finishHead. It is where fail_on_status is applied: the status
// is refused before a single byte reaches the client, so the lb can still
// fail over.
//
// The head is committed (http.ResponseWriter.WriteHeader) only when the
// body outgrows holdBody, on a flush, or at the end of the exchange, like
// httpd, which buffers the headers mod_jk hands it and the first bytes
// of the body (ap_rwrite keeps up to 8000 bytes before the filter chain
// sees any): when the backend fails before that (headers twice, a close
// before or in the body), the client still gets a clean error response
// from mod_jk instead of an aborted one, and so it does here.
type responder struct {
	w         http.ResponseWriter
	fail      []int
	setCookie string
	headAt    *time.Time           // Request.headAt: stamped when the head arrives
	wait      *stallWait           // Request.wait: ended by the first reply byte
	check     *doctor.SessionCheck // the session-route doctor's, or nil
	// useServerErrors is the use_server_errors rule extension: a backend
	// status at or above it is replaced by jkbalancer's own error page.
	useServerErrors int
	discard         bool
	status          int    // the head's status, once WriteHead accepted it
	committed       bool   // WriteHeader was called: the client may see bytes
	head            bool   // a HEAD request
	held            []byte // body bytes kept back until the commit
	// left is what the member's Content-Length still allows once the
	// head is out; -1 when it sent none.
	left int64
	log  *slog.Logger // the member's
	uri  string
	// fixed are the repairs already logged for this response.
	fixed repairs
	// hw is the front end's way to keep the member's reason phrase and
	// header spelling (server/h1), nil on a front end without one.
	hw headWriter
	// names are the pairs (key, spelling) for hw.SetFieldName, handed
	// over at the commit: a head abandoned for a resend must leave no
	// spelling or order behind.
	names  []string
	reason string // the member's reason phrase, "" for none
	// keepEmpty keeps an empty reason phrase empty (an HTTP member's, as
	// mod_proxy_http does) instead of taking the standard one (mod_jk).
	keepEmpty bool
}

// headWriter is what the plain-HTTP front end offers to write the head
// the way httpd writes mod_jk's: the reason phrase the member gave
// (r->status_line) and header names spelled as the member spelled them.
type headWriter interface {
	SetReason(reason string)
	SetFieldName(key, name string)
}

// findHeadWriter looks for a headWriter under the wrappers (access log,
// reverse rewriting) that offer Unwrap, as http.ResponseController does.
func findHeadWriter(w http.ResponseWriter) headWriter {
	for range 8 {
		if hw, ok := w.(headWriter); ok {
			return hw
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// holdBody is how much body the responder keeps back before it commits
// the head: httpd's ap_rwrite buffer (APR_BUCKET_BUFF_SIZE), below which
// nothing of a mod_jk response has left httpd yet.
const holdBody = 8000

var responderPool = sync.Pool{New: func() any { return new(responder) }}

func getResponder(w http.ResponseWriter, req *Request, at *Attempt, m *Member) *responder {
	r := responderPool.Get().(*responder)
	*r = responder{held: r.held[:0], names: r.names[:0], left: -1, w: w, fail: m.failOnStatus(req), setCookie: at.SetCookie,
		useServerErrors: req.Ext().UseServerErrors, head: req.HTTP.Method == http.MethodHead, headAt: &req.headAt,
		wait: &req.wait, log: m.log, uri: req.HTTP.RequestURI, hw: findHeadWriter(w)}
	if at.Check.M != nil {
		r.check = &at.Check
	}
	return r
}

func putResponder(r *responder) {
	clear(r.names) // the strings may hold a member's whole packet
	*r = responder{held: r.held[:0], names: r.names[:0]}
	responderPool.Put(r)
}

// SetReason implements ajp.ReasonWriter: the status_msg of SEND_HEADERS.
func (r *responder) SetReason(reason string) { r.reason = reason }

// WriteHead implements ajp.ResponseWriter. headers is only valid during the
// call.
func (r *responder) WriteHead(status int, headers []ajp.Header) error {
	r.stamp()
	if err := r.refuse(status); err != nil {
		return err
	}
	if r.replaced(status) {
		var auth []string
		for i := range headers {
			if textproto.CanonicalMIMEHeaderKey(headers[i].Name) == "Www-Authenticate" {
				auth = append(auth, headers[i].Value)
			}
		}
		r.writeServerError(status, auth)
		return nil
	}
	// The values share one array instead of a slice each; the cap is
	// limited so that a repeated name's append copies.
	h := r.w.Header()
	shared := make([]string, len(headers))
	for i := range headers {
		key := textproto.CanonicalMIMEHeaderKey(headers[i].Name)
		if isHopByHop(key) || key == "Date" {
			continue // httpd writes its own Date on a mod_jk response
		}
		if shared[i] = fieldValue(headers[i].Value); shared[i] != headers[i].Value {
			r.repaired(fixNUL, "header", key)
		}
		prior, ok := h[key]
		switch {
		case !ok:
			h[key] = shared[i : i+1 : i+1]
			r.spell(key, headers[i].Name)
		case ajpSingleton(key):
			if key != "Last-Modified" || later(shared[i], prior[0]) {
				h[key] = shared[i : i+1 : i+1]
			}
		default:
			h[key] = append(prior, shared[i])
		}
	}
	if ct := h["Content-Type"]; len(ct) == 1 {
		ct[0] = lowerMediaType(ct[0])
	}
	r.finishHead(status)
	return nil
}

// spell keeps, for the front end at the commit, the member's spelling of
// a header name and its place among the others (apr tables keep both),
// except for what
// httpd writes itself from what mod_jk set: Content-Length and
// Last-Modified keep their place but get the canonical spelling, and
// Content-Type, r->content_type, goes after the member's fields.
func (r *responder) spell(key, name string) {
	switch {
	case r.hw == nil || key == "Content-Type":
	case key == "Content-Length" || key == "Last-Modified":
		r.names = append(r.names, key, key)
	default:
		r.names = append(r.names, key, name)
	}
}

// spellHTTP is spell for an HTTP member's field: mod_proxy_http copies
// Content-Type into the head with the others, so it keeps its place too
// (in httpd's spelling).
func (r *responder) spellHTTP(key, name string) {
	if key == "Content-Type" && r.hw != nil {
		r.names = append(r.names, key, key)
		return
	}
	r.spell(key, name)
}

// ajpSingleton reports whether a repeated AJP response header replaces
// the earlier value: mod_jk's ws_start_response sets (not adds)
// Content-Type, Location and Content-Length, so the last one wins, and
// Last-Modified only moves forward (ap_update_mtime).
func ajpSingleton(key string) bool {
	switch key {
	case "Content-Type", "Location", "Content-Length", "Last-Modified":
		return true
	}
	return false
}

// firstContentType keeps the first of repeated Content-Type headers of
// an HTTP member, as mod_proxy_http sets r->content_type from the first
// (apr_table_get) and httpd writes only that one.
func firstContentType(h http.Header) {
	if ct := h["Content-Type"]; len(ct) > 1 {
		h["Content-Type"] = ct[:1:1]
	}
}

// later reports whether HTTP date a is after b, or b does not parse.
func later(a, b string) bool {
	ta, aerr := http.ParseTime(a)
	tb, berr := http.ParseTime(b)
	return aerr == nil && (berr != nil || ta.After(tb))
}

// lowerMediaType lowercases a Content-Type up to its parameters, as
// httpd's ap_content_type_tolower does for mod_jk ("Text/HTML;
// charset=UTF-8" becomes "text/html; charset=UTF-8"). It allocates only
// when there is a capital to lower.
func lowerMediaType(v string) string {
	end := strings.IndexByte(v, ';')
	if end < 0 {
		end = len(v)
	}
	for i := 0; i < end; i++ {
		if 'A' <= v[i] && v[i] <= 'Z' {
			return strings.ToLower(v[:end]) + v[end:]
		}
	}
	return v
}

// stamp records when the member's response head arrived, once per
// Forward (metrics.go).
func (r *responder) stamp() {
	head := r.headAt != nil && r.headAt.IsZero()
	if r.wait == nil && !head {
		return
	}
	now := time.Now() // one read for both
	if r.wait != nil {
		r.wait.replyAt(true, now)
	}
	if head {
		*r.headAt = now
	}
}

// refuse applies fail_on_status: an error means nothing of this response
// may reach the client, so the lb can still fail over.
func (r *responder) refuse(status int) error {
	for _, code := range r.fail {
		switch code {
		case status:
			return &failStatus{status: status}
		case -status:
			return &failStatus{status: status, soft: true}
		}
	}
	return nil
}

// replaced reports whether use_server_errors replaces this status with
// jkbalancer's own error page.
func (r *responder) replaced(status int) bool {
	return r.useServerErrors > 0 && status >= r.useServerErrors
}

// finishHead applies the rules that do not depend on the transport to the
// headers copied into the ResponseWriter, and keeps the status for commit.
func (r *responder) finishHead(status int) {
	h := r.w.Header()
	if status < 200 || status == http.StatusNoContent {
		// Tomcat sends the length of the swallowed body on 204
		// (docs/ajp13.md#edge-cases); a 204 must not carry one.
		delete(h, "Content-Length")
	}
	if r.head && len(h["Content-Length"]) == 1 && h["Content-Length"][0] == "0" {
		// httpd's header filter drops "Content-Length: 0" from HEAD
		// responses: it says nothing about the GET body.
		delete(h, "Content-Length")
	}
	mergeVary(h)
	if _, ok := h["Content-Type"]; !ok {
		// Send no Content-Type when the backend sent none, like httpd;
		// a nil value stops net/http from sniffing one.
		h["Content-Type"] = nil
	}
	if r.check != nil {
		// Before our own set_session_cookie is added: only the member's
		// session matters.
		r.check.Inspect(h)
	}
	if r.setCookie != "" {
		h["Set-Cookie"] = append(h["Set-Cookie"], r.setCookie)
	}
	r.status = status
	r.left = -1
	if cl := h["Content-Length"]; len(cl) == 1 {
		if n, err := strconv.ParseInt(cl[0], 10, 64); err == nil && n >= 0 {
			r.left = n
		}
	}
}

// reasonPhrase is the reason httpd puts in the status line: the
// member's; when it is empty the standard one (mod_jk's
// ws_start_response), or "Unknown Reason" for a status httpd has no
// phrase for, unless keepEmpty (mod_proxy_http keeps it empty). A reason
// with a control byte is dropped, as httpd drops it.
func reasonPhrase(status int, reason string, keepEmpty bool) string {
	for i := 0; i < len(reason); i++ {
		if c := reason[i]; c < ' ' && c != '\t' || c == 0x7f {
			reason, keepEmpty = "", false
			break
		}
	}
	switch {
	case reason != "" || keepEmpty:
		return reason
	case httpdStatusText(status) != "":
		return httpdStatusText(status)
	}
	return "Unknown Reason"
}

// httpdStatusText is httpd 2.4's phrase for status (the table behind
// ap_get_status_line, which mod_jk asks), "" for a status it has none
// for. Go's table differs from it in three places.
func httpdStatusText(status int) string {
	switch status {
	case http.StatusRequestURITooLong:
		return "Request-URI Too Long"
	case http.StatusTeapot, http.StatusTooEarly:
		return ""
	}
	return http.StatusText(status)
}

// writeServerError answers with jkbalancer's own error page, like httpd
// does for use_server_errors; for 401 the challenge headers (auth)
// survive.
func (r *responder) writeServerError(status int, auth []string) {
	r.discard, r.committed = true, true
	if status == http.StatusUnauthorized && len(auth) > 0 {
		r.w.Header()["Www-Authenticate"] = auth
		if r.hw != nil {
			r.hw.SetFieldName("Www-Authenticate", "WWW-Authenticate") // mod_jk's apr_table_set
		}
	}
	WriteErrorPage(r.w, status)
}

// Flush implements ajp.ResponseWriter.
func (r *responder) Flush() error {
	if r.discard {
		return nil
	}
	if err := r.commit(); err != nil {
		return err
	}
	if f, ok := r.w.(http.Flusher); ok {
		f.Flush()
		return nil
	}
	return http.NewResponseController(r.w).Flush()
}

// fieldValue returns a member's header value with every NUL turned into a
// blank, as net/http turns CR and LF into blanks when it writes the head:
// a control byte that ends or splits a field in a C parser must not reach
// the client. (mod_jk's strings end at the first NUL, so httpd sends what
// comes before it; a blank keeps the rest, a cookie's Secure say.)
func fieldValue(v string) string {
	if strings.IndexByte(v, 0) < 0 {
		return v
	}
	return strings.ReplaceAll(v, "\x00", " ")
}

// isHopByHop reports the connection-level headers a proxy must not pass on
// (RFC 9110 7.6.1). key is canonical.
func isHopByHop(key string) bool {
	switch key {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Te", "Trailer", "Upgrade":
		return true
	}
	return false
}

// WriteErrorPage writes a small error document for status, the way httpd
// answers when mod_jk reports a failure.
func WriteErrorPage(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=iso-8859-1")
	h.Del("Content-Length")
	w.WriteHeader(status)
	text := http.StatusText(status)
	_, _ = w.Write([]byte("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>" +
		strconv.Itoa(status) + " " + text + "</title>\n</head><body>\n<h1>" + text + "</h1>\n</body></html>\n"))
}
