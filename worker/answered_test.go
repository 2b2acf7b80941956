package worker

import (
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestNoResendOnceTheMemberAnswered: a member that sent any reply packet
// has the request and is acting on it; whatever goes wrong next, it must
// not get the request again, even with recovery_options 0 and retries 2.
// mod_jk's ajp_get_reply makes the request unrecoverable once Tomcat asks
// for body (GET_BODY_CHUNK); a 1xx in SEND_HEADERS, which jkbalancer
// refuses as an invalid answer (500), was resent (the generated
// differential harness saw a member get one POST twice).
func TestNoResendOnceTheMemberAnswered(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer []byte
		status int
	}{
		{"1xx in SEND_HEADERS", ajptest.HeadersPacket(103, ajp.Header{Name: "Link", Value: "</a.css>"}), 500},
		{"GET_BODY_CHUNK past the end", ajptest.Packet(6, 0x1F, 0xFA), 502},
	} {
		for _, method := range []string{"POST", "GET"} {
			var seen atomic.Int32
			be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
				seen.Add(1)
				w.Raw(tc.answer)
				w.CloseConn()
			})
			m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "recovery_options=0", "retries=2"))
			body := ""
			if method == "POST" {
				body = "order=42"
			}
			_, err := m.Forward(httptest.NewRecorder(), newReq(method, "/buy", body), &Attempt{})
			be.Close()
			we := classOf(t, err)
			if n := seen.Load(); n != 1 {
				t.Errorf("%s, %s: the member got the request %d times, want 1", tc.name, method, n)
			}
			if we.Recoverable {
				t.Errorf("%s, %s: recoverable (an lb would send it to the next member)", tc.name, method)
			}
			if s := Status(err); s != tc.status {
				t.Errorf("%s, %s: status %d, want %d", tc.name, method, s, tc.status)
			}
		}
	}
}

// TestHeadBodyNeverReachesTheFrontEnd: a member that answers HEAD with
// body bytes and no Content-Length: the bytes are dropped before the
// front end sees them, as mod_jk's ws_write drops them for a HEAD
// (r->header_only). Handed on, the front end counted them into a
// Content-Length: 6 that httpd never sends (found by the generated
// differential harness).
func TestHeadBodyNeverReachesTheFrontEnd(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200, ajp.Header{Name: "Content-Type", Value: "text/plain"})
		w.Write([]byte("hello\n"))
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr()))
	rec := httptest.NewRecorder()
	if _, err := m.Forward(rec, newReq("HEAD", "/", ""), &Attempt{}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != "" {
		t.Errorf("HEAD: status %d, %d body bytes, Content-Length %q; want 200, none, none",
			rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}
