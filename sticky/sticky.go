// Package sticky extracts the session id and its route the way mod_jk's lb
// worker does (jk_lb_worker.c get_sessionid, get_path_param, get_cookie;
// docs/compat.md#sticky-sessions). It only reads: mod_jk never writes an affinity cookie
// of its own except for set_session_cookie, which the balancer builds.
//
// Everything here works on substrings of its input and does not allocate,
// except when several session cookies have to be joined with ';'.
package sticky

import (
	"iter"
	"strings"
)

// SessionID extracts the session id like mod_jk's get_sessionid.
//
// First the path parameter pathParam (default ";jsessionid"; the name
// includes the ';' and is case-sensitive) is searched in uri, the forwarded
// (encoded) URI: the first occurrence directly followed by '=' and by at
// least one more byte wins, and its value ends at '?', ';' or '/'. When no
// such occurrence exists, every cookie named cookieName is collected from
// all cookieHeaders values: the name must be at the start or preceded by
// ';', ',' or white space, optional white space may follow it before '=',
// the value ends at ';' or ',', and one pair of surrounding double quotes
// is removed. All cookie values are joined with ';'.
//
// An empty result means "no session", also when the path parameter was
// present with an empty value: mod_jk then does not look at the cookies
// either (it logs "Detected empty session identifier").
func SessionID(uri string, cookieHeaders []string, pathParam, cookieName string) string {
	if v, found := pathValue(uri, pathParam); found {
		return v
	}
	return cookieValues(cookieHeaders, cookieName)
}

// pathValue mirrors get_path_param. found reports that a value was taken
// from the URI, even an empty one (";jsessionid=;x" yields "" and found).
func pathValue(uri, name string) (string, bool) {
	if name == "" {
		return "", false
	}
	from := 0
	for {
		i := strings.Index(uri[from:], name)
		if i < 0 {
			return "", false
		}
		at := from + i
		rest := uri[at+len(name):]
		if rest != "" && rest[0] == '=' {
			if v := rest[1:]; v != "" {
				// mod_jk cuts at '?', then ';', then '/': the first of
				// the three wins.
				if end := strings.IndexAny(v, "?;/"); end >= 0 {
					v = v[:end]
				}
				return v, true
			}
			// "name=" at the very end: mod_jk keeps searching after the
			// '=' and finds nothing more there.
			from = at + len(name) + 1
			continue
		}
		// strstr(id_start + 1, name): overlapping occurrences are found.
		from = at + 1
	}
}

// cookieValues mirrors get_cookie over every Cookie header value.
func cookieValues(headers []string, name string) string {
	if name == "" {
		return ""
	}
	var joined []byte // only used from the second occurrence on
	first, n := "", 0
	for _, h := range headers {
		from := 0
		for from < len(h) {
			i := strings.Index(h[from:], name)
			if i < 0 {
				break
			}
			at := from + i
			if at > 0 && !cookieDelim(h[at-1]) {
				from = at + 1
				continue
			}
			p := at + len(name)
			for p < len(h) && isSpace(h[p]) {
				p++
			}
			// mod_jk requires '=' followed by at least one byte.
			if p+1 >= len(h) || h[p] != '=' {
				// The C code resumes at id_start+1 where id_start already
				// moved past the name and the blanks: reproduce that.
				from = p + 1
				continue
			}
			p++
			end := strings.IndexAny(h[p:], ";,")
			if end < 0 {
				end = len(h)
			} else {
				end += p
			}
			v := unquote(h[p:end])
			switch n {
			case 0:
				first = v
			case 1:
				joined = append(append(append(joined, first...), ';'), v...)
			default:
				joined = append(append(joined, ';'), v...)
			}
			n++
			from = end + 1
		}
	}
	if n > 1 {
		return string(joined)
	}
	return first
}

// unquote removes one pair of surrounding double quotes (mod_jk: only when
// the value is longer than one byte and starts and ends with '"').
func unquote(v string) string {
	if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

func cookieDelim(c byte) bool { return c == ';' || c == ',' || isSpace(c) }

// isSpace is C's isspace in the "C" locale, which jk_isspace uses.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// Route returns the route of one session id candidate: the text after the
// FIRST '.' ("a.b.t2" -> "b.t2", verified on mod_jk 1.2.48, which then finds
// no member and balances normally). ok is false when id has no '.'.
func Route(id string) (string, bool) {
	i := strings.IndexByte(id, '.')
	if i < 0 {
		return "", false
	}
	return id[i+1:], true
}

// Next splits the next candidate off a ';'-joined session id list, like
// mod_jk's loop over "partial session ids" in get_most_suitable_worker. When
// ids has no ';', cand is ids and rest is "". It never allocates:
//
//	for rest := ids; rest != ""; {
//		var cand string
//		cand, rest = sticky.Next(rest)
//		// use cand
//	}
//
// An empty trailing candidate ("a;") is dropped by that loop, which changes
// nothing: an empty candidate has no route.
func Next(ids string) (cand, rest string) {
	cand, rest, _ = strings.Cut(ids, ";")
	return cand, rest
}

// Candidates yields every ';'-separated candidate of ids in order,
// including empty ones. It does not allocate.
func Candidates(ids string) iter.Seq[string] {
	return func(yield func(string) bool) {
		if ids == "" {
			return
		}
		for {
			cand, rest, more := strings.Cut(ids, ";")
			if !yield(cand) || !more {
				return
			}
			ids = rest
		}
	}
}
