// Package dumpmember is a member for differential tests, over AJP13 and
// over HTTP/1.1: it records exactly what each request carried (the fields,
// the headers in order with their spelling, the attributes, the body and
// how it was framed) and answers the way a test told it to, including
// byte-level misbehaviour a real servlet container can produce.
//
// The test owns the member in-process and registers each request's
// behaviour in a Table under a case id that travels in the request header
// CaseHeader; what the member received is recorded under the same id. A
// request without a registered behaviour gets 200 with its own dump as the
// body.
package dumpmember

import (
	"strings"
	"sync"
)

// CaseHeader carries the case id. The member leaves it out of the dump,
// so the id does not take part in a comparison.
const CaseHeader = "X-Diff-Case"

// Mode says how a response ends (or fails to).
type Mode int

const (
	Normal          Mode = iota // head, body, END_RESPONSE reuse=1 (HTTP: keep-alive)
	CloseBeforeHead             // close the connection after reading the request, nothing sent
	Truncate                    // head, then Cut body bytes, then close
	SecondHead                  // head, a second SEND_HEADERS (HTTP: a second status line), body, end
	NoReuse                     // as Normal, END_RESPONSE reuse=0 and close (HTTP: close after the body)
)

var modeNames = []string{"normal", "close-before-head", "truncate", "second-head", "no-reuse"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "mode?"
}

// ParseMode is the inverse of Mode.String.
func ParseMode(s string) (Mode, bool) {
	for i, n := range modeNames {
		if n == s {
			return Mode(i), true
		}
	}
	return 0, false
}

// Header is one response header exactly as the member sends it.
type Header struct {
	Name, Value string
	// String forces a string name over AJP even when Tomcat would send
	// the name as a 0xA0xx code.
	String bool
}

// Behaviour is one answer of the member.
type Behaviour struct {
	Status  int
	Reason  string // sent as is (AJP status_msg, or the HTTP reason phrase)
	Headers []Header
	Body    []byte
	Mode    Mode
	Cut     int  // Truncate: body bytes sent before the close
	Flush   bool // AJP: a flush packet (empty SEND_BODY_CHUNK) after each body chunk
	Chunk   int  // AJP: body bytes per SEND_BODY_CHUNK (0 or more than the packet allows: as many as fit)
}

// Record is what one request delivered to the member.
type Record struct {
	Dump string // one field per line, see dumpAJP and dumpHTTP
}

// Table maps case ids to behaviours and collects what arrived for them.
// Safe for concurrent use.
type Table struct {
	mu   sync.Mutex
	beh  map[string]Behaviour
	recs map[string][]Record
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{beh: map[string]Behaviour{}, recs: map[string][]Record{}}
}

// Set registers the behaviour for id (and forgets what arrived for it).
func (t *Table) Set(id string, b Behaviour) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.beh[id] = b
	delete(t.recs, id)
}

// Records returns what arrived for id, one Record per request (a proxy's
// retry arrives as a second record).
func (t *Table) Records(id string) []Record {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Record(nil), t.recs[id]...)
}

// Forget drops id's behaviour and records.
func (t *Table) Forget(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.beh, id)
	delete(t.recs, id)
}

// take records rec under id and returns the behaviour for id.
func (t *Table) take(id string, rec Record) (Behaviour, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recs[id] = append(t.recs[id], rec)
	b, ok := t.beh[id]
	return b, ok
}

// caseID finds the case id among headers given as name/value pairs.
func caseID(names, values []string) string {
	for i, n := range names {
		if strings.EqualFold(n, CaseHeader) {
			return strings.TrimSpace(values[i])
		}
	}
	return ""
}
