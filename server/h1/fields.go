package h1

import (
	"net/http"
	"strings"
)

// Fields is the client's own spelling and order of the header fields of
// the request being served: httpd keeps both (apr tables keep the first
// spelling and the order of arrival) and mod_jk forwards them so, while
// http.Header keeps neither. It is reset for every request of the
// connection and is only valid while the request is being served.
type Fields struct {
	list []string // canonical key, client's name: one pair per field name, first occurrence first
}

// Len reports how many distinct field names the request had.
func (f *Fields) Len() int { return len(f.list) / 2 }

// At returns the canonical key of the i-th distinct field name and the
// client's spelling of its first occurrence.
func (f *Fields) At(i int) (key, name string) { return f.list[2*i], f.list[2*i+1] }

// add records a field name at its first occurrence. Only a spelling
// other than the canonical one costs an allocation, and not when the
// connection's last request had it at the same place (browsers send
// sec-ch-ua and the like in lower case on every request): the list's
// array still holds the last request's pairs (conn.newRequest).
func (f *Fields) add(key string, name []byte) {
	spelled := key
	if string(name) != key {
		if n := len(f.list); n+2 <= cap(f.list) && f.list[:n+2][n+1] == string(name) {
			spelled = f.list[:n+2][n+1]
		} else {
			spelled = string(name)
		}
	}
	f.list = append(f.list, key, spelled)
}

// nextKey is the key the connection's last request had where the next
// add goes, "" if none.
func (f *Fields) nextKey() string {
	if n := len(f.list); n < cap(f.list) {
		return f.list[:n+1][n]
	}
	return ""
}

// fieldsKey keys a connection's *Fields in its context.
type fieldsKey struct{}

// RequestFields returns the spelling and order of r's header fields when
// r is being served by this package, else nil.
func RequestFields(r *http.Request) *Fields {
	f, _ := r.Context().Value(fieldsKey{}).(*Fields)
	return f
}

// SetReason sets the reason phrase of the final status line, even an
// empty one, as httpd writes the r->status_line mod_jk or mod_proxy_http
// copied from the member. A reason with a control byte (tab aside) is
// ignored, as httpd does: it could end the status line early. Call it
// before WriteHeader.
func (w *response) SetReason(reason string) {
	for i := 0; i < len(reason); i++ {
		if c := reason[i]; c < ' ' && c != '\t' || c == 0x7f {
			return
		}
	}
	w.reason, w.reasonSet = reason, true
}

// SetFieldName makes the field of canonical key go out spelled name, as
// httpd keeps the spelling a member gave a header (apr tables keep the
// key as added), and puts it in the head in the order of the calls, as
// apr tables keep the order of adding: call it for each field, with name
// == key to give only its place. The header map stays keyed canonically,
// so lookups by the canonical key keep working; name must be key in
// another case. The first call for a key wins.
func (w *response) SetFieldName(key, name string) {
	if !strings.EqualFold(name, key) || w.named(key) {
		return // the first spelling and place of a repeated field are kept
	}
	w.names = append(w.names, key, name)
	if w.namedSet != nil {
		w.namedSet[key] = struct{}{}
	}
}

// namedScan is how many named fields named looks through one by one:
// most heads have fewer. Past it a set answers, so that a member's head
// of thousands of fields costs time in proportion, not its square.
const namedScan = 16

// named reports whether SetFieldName gave key a place.
func (w *response) named(key string) bool {
	if len(w.names) <= 2*namedScan {
		for i := 0; i < len(w.names); i += 2 {
			if w.names[i] == key {
				return true
			}
		}
		return false
	}
	if w.namedSet == nil {
		w.namedSet = make(map[string]struct{}, len(w.names))
		for i := 0; i < len(w.names); i += 2 {
			w.namedSet[w.names[i]] = struct{}{}
		}
	}
	_, ok := w.namedSet[key]
	return ok
}
