//go:build integration

// Differential test of the statuses the proxy itself produces when a
// directly mounted AJP worker fails (docs/compat.md#status-codes): connect refused,
// backend closing before the headers, protocol garbage, an invalid AJP
// message, a reply timeout, oversized request headers, a mount naming a
// worker that does not exist. Only the status is compared: the error
// document's text is each front end's own.

package server

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

func TestModJKErrorStatus(t *testing.T) {
	itRequireDeps(t, "httpd")
	m := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		switch strings.TrimPrefix(r.URI, "/e/") {
		case "close_before_headers":
			w.CloseConn()
		case "bad_magic":
			w.Raw([]byte{'X', 'Y', 0, 2, 5, 1})
			w.CloseConn()
		case "unknown_message_type":
			w.Raw([]byte{'A', 'B', 0, 1, 0x0F})
			w.CloseConn()
		case "headers_twice":
			w.SendHeaders(200)
			w.Raw([]byte{'A', 'B', 0, 7, 4, 0, 200, 0, 0, 0, 0})
			w.CloseConn()
		case "truncated_headers":
			w.Raw([]byte{'A', 'B', 0, 40, 4, 0, 200})
			w.CloseConn()
		case "slow":
			select { // reply_timeout is 300 ms
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
				return
			}
			w.SendHeaders(200)
		default:
			w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "2"})
			w.Write([]byte("ok"))
		}
		w.End(true)
	})
	t.Cleanup(m.Close)
	port := strings.TrimPrefix(m.Addr(), "127.0.0.1:")
	dead := itFreePort(t) // nothing listens there
	workers := fmt.Sprintf(`worker.list=w,slow,dead
worker.w.type=ajp13
worker.w.host=127.0.0.1
worker.w.port=%s
worker.slow.type=ajp13
worker.slow.host=127.0.0.1
worker.slow.port=%s
worker.slow.reply_timeout=300
worker.dead.type=ajp13
worker.dead.host=127.0.0.1
worker.dead.port=%d
`, port, port, dead)
	spec := itSpec{workers: workers, jkMounts: []string{"/e/* w", "/e/slow slow", "/dead/* dead", "/ghost/* nosuchworker"}}
	h := itStartHTTPD(t, spec)
	j := itStartJKB(t, spec, "")

	big := "X-Big: " + strings.Repeat("b", 8100)
	for _, tc := range []struct {
		name, target string
		headers      []string
	}{
		{"ok", "/e/ok", nil},
		{"connect_refused", "/dead/x", nil},
		{"close_before_headers", "/e/close_before_headers", nil},
		{"bad_magic", "/e/bad_magic", nil},
		{"unknown_message_type", "/e/unknown_message_type", nil},
		{"headers_twice", "/e/headers_twice", nil},
		{"truncated_headers", "/e/truncated_headers", nil},
		{"reply_timeout", "/e/slow", nil},
		{"headers_over_packet_size", "/e/ok", []string{big}},
		{"worker_not_in_worker.list", "/ghost/x", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A connection closed without a complete response counts as
			// an outcome of its own: "aborted".
			var st [2]string
			for i, addr := range []string{h.addr, j.addr} {
				r, err := itRawGet(addr, tc.target, tc.headers...)
				if err != nil {
					st[i] = "aborted (" + err.Error() + ")"
					continue
				}
				st[i] = fmt.Sprint(r.status)
			}
			if st[0] != st[1] {
				t.Errorf("GET %s: mod_jk answers %s, jkbalancer %s\n--- mod_jk\n%s\n--- jkbalancer\n%s",
					tc.target, st[0], st[1], h.logs(), j.logs())
			} else if testing.Verbose() {
				t.Logf("both %s", st[0])
			}
		})
	}
}
