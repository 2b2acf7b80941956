//go:build integration

// The member half of the generated differential harness: seeded member
// behaviours (status, reason phrase, header set, body and its framing,
// and how the response ends).

package server

import (
	"math/rand/v2"
	"net/http"
	"strconv"

	"github.com/jkbalancer/jkbalancer/internal/dumpmember"
)

var (
	genStatuses = []int{200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405, 410, 418, 500, 502, 503, 103, 299, 599}
	genStatusW  = []int{40, 3, 5, 1, 2, 3, 5, 2, 2, 2, 4, 1, 1, 1, 4, 1, 2, 1, 1, 1}
)

// genBehaviour builds one member answer. failures allows the behaviours
// that break a connection (for the lb mount they would put the member in
// error and leak state into the next cases).
func genBehaviour(r *rand.Rand, failures bool) dumpmember.Behaviour {
	st := genPick(r, genStatuses, genStatusW)
	b := dumpmember.Behaviour{Status: st}
	switch k := r.IntN(20); {
	case k < 14:
		b.Reason = http.StatusText(st)
	case k < 16:
		b.Reason = strconv.Itoa(st) // what Tomcat 10 sends as status_msg
	case k < 17:
		b.Reason = ""
	case k < 19:
		b.Reason = genPickOne(r, "Fine", "Custom Reason", "ok")
	default:
		b.Reason = "Tr\xc3\xa8s bien"
	}
	switch r.IntN(10) {
	case 0, 1, 2:
	case 3, 4:
		b.Body = []byte("hello\n")
	case 5, 6:
		b.Body = []byte(genBytes(r, 2000))
	case 7:
		b.Body = []byte(genBytes(r, 20000))
	default:
		b.Body = []byte(genBytes(r, 1+r.IntN(300)))
	}
	b.Headers = genRespHeaders(r, st, len(b.Body))
	b.Flush = r.IntN(5) == 0
	if r.IntN(4) == 0 {
		b.Chunk = 1 + r.IntN(3000)
	}
	if failures {
		switch k := r.IntN(100); {
		case k < 5:
			b.Mode = dumpmember.NoReuse
		case k < 10 && len(b.Body) > 1:
			b.Mode, b.Cut = dumpmember.Truncate, r.IntN(len(b.Body))
		case k < 13:
			b.Mode = dumpmember.CloseBeforeHead
		case k < 16:
			b.Mode = dumpmember.SecondHead
		}
	}
	return b
}

func genRespHeaders(r *rand.Rand, status, bodyLen int) []dumpmember.Header {
	var hs []dumpmember.Header
	add := func(n, v string) { hs = append(hs, dumpmember.Header{Name: n, Value: v}) }
	switch k := r.IntN(20); {
	case k < 14:
		add("Content-Type", genPickOne(r, "text/plain", "text/html;charset=UTF-8", "application/json"))
	case k < 15:
		add("Content-Type", "text/plain")
		add("Content-Type", "text/html") // two Content-Type (known open)
	case k < 16:
		add("content-type", "text/plain") // odd case: sent as a string
	}
	for range r.IntN(5) {
		switch r.IntN(12) {
		case 0:
			add("X-App", "1")
			add("X-App", "2")
		case 1:
			add("Set-Cookie", "a=1; Path=/")
			add("Set-Cookie", "b=2; HttpOnly")
		case 2:
			add("Cache-Control", "no-store")
		case 3:
			add("ETag", `"v1"`)
		case 4:
			add("x-lower", "l")
		case 5:
			add("X-UPPER", "U")
		case 6:
			add("Location", "http://127.0.0.1/elsewhere")
		case 7:
			add("X-Empty", "")
		case 8:
			add("Vary", "Accept-Encoding")
		case 9:
			add("X-Nul", "a\x00b") // NUL in a value (known open)
		case 10:
			add("Last-Modified", "Mon, 07 Dec 2026 10:00:00 GMT")
		default:
			add("X-Spaces", "  v  ")
		}
	}
	switch k := r.IntN(10); {
	case k < 6:
		add(genPickOne(r, "Content-Length", "Content-Length", "content-length"), strconv.Itoa(bodyLen))
	case k < 8:
	case k < 9:
		add("Content-Length", strconv.Itoa(bodyLen+5))
	default:
		if bodyLen > 0 {
			add("Content-Length", strconv.Itoa(bodyLen-1))
		}
	}
	if status >= 300 && status < 400 && r.IntN(2) == 0 {
		add("Location", "/moved")
	}
	r.Shuffle(len(hs), func(i, j int) { hs[i], hs[j] = hs[j], hs[i] })
	return hs
}
