// Package accesslog is jkbalancer's request log: one line per request in
// a mod_jk JkRequestLogFormat or in Apache's combined format, the Writer
// that records what the line needs from the response, and the file the
// lines go to. It knows nothing of the server: the request path hands it
// an Entry.
package accesslog

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Log writes one line per request in a JkRequestLogFormat
// (docs/compat.md#request-log-format) or in Apache's combined format. A nil *Log
// logs nothing.
type Log struct {
	w        io.Writer
	combined bool
	items    []logItem
}

// logItem is either literal text or a % token.
type logItem struct {
	lit   string
	token byte
}

const combinedName = "combined"

// New compiles format. "" disables request logging (nil, nil); a bad
// token is a configuration error (mod_jk disables the log instead;
// refusing at startup says why).
func New(format string, w io.Writer) (*Log, error) {
	if format == "" {
		return nil, nil
	}
	if format == combinedName {
		return &Log{w: w, combined: true}, nil
	}
	items, err := parseLogFormat(format)
	if err != nil {
		return nil, err
	}
	return &Log{w: w, items: items}, nil
}

// Entry is what a line says about one request besides its response (the
// Writer): the request and what the request path made of it.
type Entry struct {
	Request    *http.Request
	ServerPort int    // %p: the port the request came in on, as forwarded
	ServerName string // %v, %V: the server name, as forwarded
	Match      string // %U: the decoded path the mount rules matched
	Worker     string // %w: the worker mapped to; "" when none
	Route      string // %R: the route sent to the member (see appendToken)
	Member     string // %M: the member that answered
}

func parseLogFormat(format string) ([]logItem, error) {
	var items []logItem
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			items = append(items, logItem{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case c == '\\' && i+1 < len(format):
			i++
			switch format[i] {
			case 'n':
				lit.WriteByte('\n')
			case 't':
				lit.WriteByte('\t')
			case '\\':
				lit.WriteByte('\\')
			default: // other escapes are kept literally, like mod_jk
				lit.WriteByte('\\')
				lit.WriteByte(format[i])
			}
		case c == '%':
			if i+1 >= len(format) || !strings.ContainsRune("bBHmpqrsTUvVwRM", rune(format[i+1])) {
				return nil, fmt.Errorf("request log format %q: unknown token at offset %d", format, i)
			}
			flush()
			i++
			items = append(items, logItem{token: format[i]})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return items, nil
}

var logBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// Write logs the request of e, answered through w, at now. A nil l logs
// nothing.
func (l *Log) Write(w *Writer, e *Entry, now time.Time) {
	if l == nil {
		return
	}
	bp := logBufPool.Get().(*[]byte)
	b := (*bp)[:0]
	if l.combined {
		b = appendCombined(b, w, e, now)
	} else {
		b = appendModJKStamp(b, now)
		for _, it := range l.items {
			if it.token == 0 {
				b = append(b, it.lit...)
				continue
			}
			b = appendToken(b, it.token, w, e, now)
		}
		b = append(b, '\n')
	}
	_, _ = l.w.Write(b)
	*bp = b
	logBufPool.Put(bp)
}

// appendModJKStamp writes mod_jk's default JkLogStampFormat,
// "[%a %b %d %H:%M:%S.%Q %Y] ".
func appendModJKStamp(b []byte, t time.Time) []byte {
	b = append(b, '[')
	b = t.AppendFormat(b, "Mon Jan 02 15:04:05.000 2006")
	return append(b, "] "...)
}

func appendToken(b []byte, tok byte, w *Writer, e *Entry, now time.Time) []byte {
	r := e.Request
	switch tok {
	case 'b':
		if w.bytes == 0 {
			return append(b, '-')
		}
		return strconv.AppendInt(b, w.bytes, 10)
	case 'B':
		return strconv.AppendInt(b, w.bytes, 10)
	case 'H':
		return append(b, r.Proto...)
	case 'm':
		return append(b, r.Method...)
	case 'p':
		return strconv.AppendInt(b, int64(e.ServerPort), 10)
	case 'q':
		if r.URL.RawQuery != "" {
			b = append(b, '?')
			b = append(b, r.URL.RawQuery...)
		}
		return b
	case 'r':
		return append(b, r.Method+" "+r.RequestURI+" "+r.Proto...)
	case 's':
		if w.status <= 0 {
			return append(b, '-')
		}
		return strconv.AppendInt(b, int64(w.status), 10)
	case 'T':
		d := now.Sub(w.start)
		return fmt.Appendf(b, "%d.%06d", d/time.Second, (d%time.Second)/time.Microsecond)
	case 'U':
		return orDash(b, e.Match)
	case 'v', 'V':
		return orDash(b, e.ServerName)
	case 'w':
		return orDash(b, e.Worker)
	case 'R':
		// mod_jk's JK_WORKER_ROUTE note: the route sent to the member
		// (s->route), which jk_lb_worker.c sets only while it is empty, so
		// after a failover it is the route of the first member tried (or
		// the domain), not of the member that answered. Scripts that read
		// mod_jk's request log rely on it; the error log names the member
		// that failed ("lb member failed, failing over"), and %M the
		// member that answered.
		return orDash(b, e.Route)
	case 'M':
		// jkbalancer's own token: the member that answered (after a
		// failover, the last one tried), which %R does not name.
		return orDash(b, e.Member)
	}
	return b
}

func orDash(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return append(b, s...)
}

// appendCombined writes Apache's combined log format.
func appendCombined(b []byte, w *Writer, e *Entry, now time.Time) []byte {
	r := e.Request
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	b = append(b, host...)
	b = append(b, " - - ["...)
	b = now.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, "] "...)
	b = strconv.AppendQuote(b, r.Method+" "+r.RequestURI+" "+r.Proto)
	b = append(b, ' ')
	b = appendToken(b, 's', w, e, now)
	b = append(b, ' ')
	b = appendToken(b, 'b', w, e, now)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, orEmptyDash(r.Referer()))
	b = append(b, ' ')
	b = strconv.AppendQuote(b, orEmptyDash(r.UserAgent()))
	return append(b, '\n')
}

func orEmptyDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
