package server

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// requestLog writes one line per request in a JkRequestLogFormat
// (docs/compat.md#request-log-format) or in Apache's combined format. A nil *requestLog
// logs nothing.
type requestLog struct {
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

// newRequestLog compiles format. "" disables request logging; a bad token
// is a configuration error (mod_jk disables the log instead; refusing at
// startup says why).
func newRequestLog(format string, w io.Writer) (*requestLog, error) {
	if format == "" {
		return nil, nil
	}
	if format == combinedName {
		return &requestLog{w: w, combined: true}, nil
	}
	items, err := parseLogFormat(format)
	if err != nil {
		return nil, err
	}
	return &requestLog{w: w, items: items}, nil
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

func (s *Server) logRequest(w *logWriter, rq *request, workerName string) {
	l := s.reqlog.Load()
	if l == nil {
		return
	}
	bp := logBufPool.Get().(*[]byte)
	b := (*bp)[:0]
	now := s.now()
	if l.combined {
		b = appendCombined(b, w, rq, now)
	} else {
		b = appendModJKStamp(b, now)
		for _, it := range l.items {
			if it.token == 0 {
				b = append(b, it.lit...)
				continue
			}
			b = appendToken(b, it.token, w, rq, workerName, now)
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

func appendToken(b []byte, tok byte, w *logWriter, rq *request, workerName string, now time.Time) []byte {
	r := rq.HTTP
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
		return strconv.AppendInt(b, int64(rq.Forward.ServerPort), 10)
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
		return orDash(b, rq.match)
	case 'v', 'V':
		return orDash(b, rq.Forward.ServerName)
	case 'w':
		return orDash(b, workerName)
	case 'R':
		// mod_jk's JK_WORKER_ROUTE note: the route sent to the member
		// (s->route), which jk_lb_worker.c sets only while it is empty, so
		// after a failover it is the route of the first member tried (or
		// the domain), not of the member that answered. Scripts that read
		// mod_jk's request log rely on it; the error log names the member
		// that failed ("lb member failed, failing over"), and %M the
		// member that answered.
		return orDash(b, rq.Note.Route)
	case 'M':
		// jkbalancer's own token: the member that answered (after a
		// failover, the last one tried), which %R does not name.
		return orDash(b, rq.Note.Member)
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
func appendCombined(b []byte, w *logWriter, rq *request, now time.Time) []byte {
	r := rq.HTTP
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
	b = appendToken(b, 's', w, rq, "", now)
	b = append(b, ' ')
	b = appendToken(b, 'b', w, rq, "", now)
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
