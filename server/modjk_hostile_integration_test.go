//go:build integration

// Differential test of members that fail after their head (spec/modjk.md
// 5.4): what the client gets through httpd + mod_jk and through
// jkbalancer, for failures before anything left httpd, bodies on
// statuses that have none, and control bytes in header values.

package server

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// hostileAnswers are the member's answers, by request path.
var hostileAnswers = map[string]func(w *ajptest.ResponseWriter){
	"/short": func(w *ajptest.ResponseWriter) {
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "1000"})
		w.Write(make([]byte, 100))
		w.CloseConn()
	},
	"/twice": func(w *ajptest.ResponseWriter) {
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "1000"})
		w.Write(make([]byte, 100))
		w.Raw([]byte{'A', 'B', 0, 7, 4, 0, 200, 0, 0, 0, 0, 0})
		w.CloseConn()
	},
	"/101": func(w *ajptest.ResponseWriter) {
		w.SendHeaders(101, ajp.Header{Name: "Upgrade", Value: "websocket"})
		w.Write([]byte("hello"))
		w.End(true)
	},
	"/204": func(w *ajptest.ResponseWriter) {
		w.SendHeaders(204, ajp.Header{Name: "X-App", Value: "1"})
		w.Write([]byte("hello"))
		w.End(true)
	},
	"/304": func(w *ajptest.ResponseWriter) {
		w.SendHeaders(304, ajp.Header{Name: "X-App", Value: "1"})
		w.Write([]byte("hello"))
		w.End(true)
	},
	"/nul": func(w *ajptest.ResponseWriter) {
		w.SendHeaders(200, ajp.Header{Name: "X-App", Value: "a\x00b"}, ajp.Header{Name: "Content-Length", Value: "2"})
		w.Write([]byte("ok"))
		w.End(true)
	},
	"/crlf": func(w *ajptest.ResponseWriter) {
		w.SendHeaders(200, ajp.Header{Name: "X-App", Value: "a\r\nX-Evil: 1"}, ajp.Header{Name: "Content-Length", Value: "2"})
		w.Write([]byte("ok"))
		w.End(true)
	},
}

func TestModJKHostileResponses(t *testing.T) {
	itRequireDeps(t, "httpd")
	m := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		if f, ok := hostileAnswers[r.URI]; ok {
			f(w)
			return
		}
		w.SendHeaders(400)
		w.End(true)
	})
	t.Cleanup(m.Close)
	workers := fmt.Sprintf("worker.list=w\nworker.w.type=ajp13\nworker.w.host=127.0.0.1\nworker.w.port=%s\n",
		strings.TrimPrefix(m.Addr(), "127.0.0.1:"))
	spec := itSpec{workers: workers, jkMounts: []string{"/* w"}}
	h := itStartHTTPD(t, spec)
	j := itStartJKB(t, spec, "")
	for _, path := range []string{"/short", "/twice", "/101", "/204", "/304", "/nul", "/crlf"} {
		var got [2]string
		for i, addr := range []string{h.addr, j.addr} {
			r, err := itRawGet(addr, path)
			switch {
			case err != nil:
				got[i] = "no answer: " + err.Error()
			default:
				got[i] = fmt.Sprintf("%d X-App=%q X-Evil=%q errorpage=%v body=%d", r.status, r.header.Get("X-App"),
					r.header.Get("X-Evil"), isErrorPage(r), len(r.body))
			}
		}
		t.Logf("%s\n  mod_jk:     %s\n  jkbalancer: %s", path, got[0], got[1])
	}
}
