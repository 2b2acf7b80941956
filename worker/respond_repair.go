package worker

// A member's response that jkbalancer can still pass on well-formed is
// repaired, and the repair is logged once per kind and response: the
// member has a bug its operator should hear of, as mod_jk logs every
// protocol error it meets.

// repairs is a set of repair kinds.
type repairs uint8

const (
	fixNUL      repairs = 1 << iota // NUL in a header value, made a blank
	fixNoBody                       // a body on 204/304, dropped
	fixLength                       // a body that does not match its Content-Length
	fixTrailing                     // bytes after the response: the connection is not reused
	fixAnnounce                     // a 204/304 head that frames a body: the connection is not reused
)

var repairText = map[repairs]string{
	fixNUL:      "NUL in a header value, sent as a blank",
	fixNoBody:   "body on a status without one, dropped",
	fixLength:   "body does not match its Content-Length",
	fixTrailing: "bytes after the end of the response, connection not reused",
	fixAnnounce: "a 204 or 304 that frames a body, connection not reused",
}

// repaired logs repair kind k, once per response.
func (r *responder) repaired(k repairs, args ...any) {
	if r.fixed&k != 0 || r.log == nil {
		return
	}
	r.fixed |= k
	r.log.Warn("member response malformed, repaired", append([]any{"uri", r.uri, "problem", repairText[k]}, args...)...)
}
