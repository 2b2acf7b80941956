package ajptest

import (
	"io"
	"strconv"
	"sync/atomic"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// Scripting a misbehaving container: the packet builders make the bytes
// of container -> proxy packets (well-formed, or not, by editing them),
// RawReply sends them instead of a response, and Routes and Sequence
// choose a behaviour per request.

// Packet frames payload as a container -> proxy packet: "AB", the
// payload length, the payload. The length is payload's;
// to lie about it, edit bytes 2 and 3 of the result.
func Packet(payload ...byte) []byte {
	n := len(payload)
	return append([]byte{'A', 'B', byte(n >> 8), byte(n)}, payload...)
}

// HeadersPacket is SEND_HEADERS as Tomcat encodes it (see SendHeaders),
// whatever its size.
func HeadersPacket(status int, headers ...ajp.Header) []byte {
	p := []byte{4, byte(status >> 8), byte(status)}
	p = appendString(p, strconv.Itoa(status))
	p = append(p, byte(len(headers)>>8), byte(len(headers)))
	for _, h := range headers {
		if code := ajp.ResponseHeaderCode(h.Name); code != 0 {
			p = append(p, byte(code>>8), byte(code))
		} else {
			p = appendString(p, h.Name)
		}
		p = appendString(p, h.Value)
	}
	return Packet(p...)
}

// BodyPacket is one SEND_BODY_CHUNK carrying data, with Tomcat's
// trailing 0x00, whatever its size.
func BodyPacket(data []byte) []byte {
	n := len(data)
	p := append([]byte{3, byte(n >> 8), byte(n)}, data...)
	return Packet(append(p, 0)...)
}

// EndPacket is END_RESPONSE with the given reuse byte (1 = reuse).
func EndPacket(reuse byte) []byte { return Packet(5, reuse) }

// RawReply returns a handler that drains the request body and answers
// with the bytes of packets instead of a response. With keep false the
// connection is closed afterwards; with keep true it stays open and the
// next request is read from it, as if the bytes had been a whole
// response ending with a reuse END_RESPONSE.
func RawReply(keep bool, packets ...[]byte) Handler {
	return func(w *ResponseWriter, r *Request) {
		io.Copy(io.Discard, r.Body)
		for _, p := range packets {
			w.c.bw.Write(p)
		}
		w.c.flush()
		if !keep {
			w.CloseConn()
			return
		}
		w.body.swallow()
		w.ended, w.reuse = true, true
		w.c.s.setBusy(w.c, false)
	}
}

// Routes dispatches on the request URI; others go to fallback (nil:
// DrainHandler).
func Routes(routes map[string]Handler, fallback Handler) Handler {
	if fallback == nil {
		fallback = DrainHandler
	}
	return func(w *ResponseWriter, r *Request) {
		if h, ok := routes[r.URI]; ok {
			h(w, r)
			return
		}
		fallback(w, r)
	}
}

// Sequence serves the n-th request the server gets (counted across
// connections, from 0) with hs[n], and every request after the last with
// the last handler: a member that fails once and then recovers, say.
func Sequence(hs ...Handler) Handler {
	var n atomic.Int64
	return func(w *ResponseWriter, r *Request) {
		i := int(n.Add(1) - 1)
		hs[min(i, len(hs)-1)](w, r)
	}
}
