package ajptest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// DrainHandler reads the body to EOF, as a servlet reading its input
// would (including Tomcat's GET_BODY_CHUNK past the end), and answers 200
// with no body. It is the default handler.
func DrainHandler(w *ResponseWriter, r *Request) {
	io.Copy(io.Discard, r.Body)
}

// EchoHandler answers 200 text/plain with the method, URI, query, route
// and body length it saw, like a tiny Tomcat with jvmRoute=route. On first
// contact (no JSESSIONID cookie) it sets JSESSIONID=<32 hex>.<route>, the
// session id form sticky routing keys on (docs/ajp13.md#tomcat-connector-settings).
func EchoHandler(route string) Handler {
	return func(w *ResponseWriter, r *Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			w.CloseConn()
			return
		}
		body := fmt.Sprintf("method=%s\nuri=%s\nquery=%s\nroute=%s\nbody=%d\n",
			r.Method, r.URI, r.QueryString, route, n)
		hs := []ajp.Header{{Name: "Content-Type", Value: "text/plain;charset=UTF-8"}}
		if !hasSession(r.Request) {
			hs = append(hs, ajp.Header{Name: "Set-Cookie", Value: "JSESSIONID=" + sessionID(route) + "; Path=/; HttpOnly"})
		}
		hs = append(hs, ajp.Header{Name: "Content-Length", Value: strconv.Itoa(len(body))})
		w.SendHeaders(200, hs...)
		w.Write([]byte(body))
		w.End(true)
	}
}

func hasSession(r *ajp.Request) bool {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, "cookie") && strings.Contains(h.Value, "JSESSIONID=") {
			return true
		}
	}
	return false
}

// sessionID makes a Tomcat-style id: 32 upper-case hex digits, then
// ".route" when a route is set.
func sessionID(route string) string {
	var b [16]byte
	rand.Read(b[:])
	id := strings.ToUpper(hex.EncodeToString(b[:]))
	if route != "" {
		id += "." + route
	}
	return id
}
