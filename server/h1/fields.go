package h1

import "net/http"

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
// other than the canonical one costs an allocation.
func (f *Fields) add(key string, name []byte) {
	spelled := key
	if string(name) != key {
		spelled = string(name)
	}
	f.list = append(f.list, key, spelled)
}

// fieldsKey keys a connection's *Fields in its context.
type fieldsKey struct{}

// RequestFields returns the spelling and order of r's header fields when
// r is being served by this package, else nil.
func RequestFields(r *http.Request) *Fields {
	f, _ := r.Context().Value(fieldsKey{}).(*Fields)
	return f
}
