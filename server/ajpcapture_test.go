package server

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// ajpCapture is an AJP container that records, for each forward request,
// the request headers and every body packet it got, the way Tomcat's
// AjpProcessor pulls them: the first packet unasked when Content-Length
// is positive, then one GET_BODY_CHUNK per packet until the length is
// reached or, without a length, until an empty packet ends the body. It
// answers 200 with no body.
type ajpCapture struct {
	ln net.Listener
	wg sync.WaitGroup

	mu   sync.Mutex
	recs []capRecord
}

// capRecord is one captured request.
type capRecord struct {
	headers []ajp.Header
	packets []int // payload length of each body packet, in order; 0 = empty packet
	body    []byte
	err     error
}

// header returns the value of the named request header and whether it was
// sent.
func (r capRecord) header(name string) (string, bool) {
	for _, h := range r.headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

func newAJPCapture(t *testing.T) *ajpCapture {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &ajpCapture{ln: ln}
	c.wg.Add(1)
	go c.accept()
	t.Cleanup(func() { ln.Close(); c.wg.Wait() })
	return c
}

func (c *ajpCapture) accept() {
	defer c.wg.Done()
	for {
		nc, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.wg.Add(1)
		go c.serve(nc)
	}
}

// take returns the records so far and forgets them.
func (c *ajpCapture) take() []capRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.recs
	c.recs = nil
	return r
}

func capPacket(br *bufio.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, err
	}
	if h[0] != 0x12 || h[1] != 0x34 {
		return nil, fmt.Errorf("bad magic %x", h[:2])
	}
	p := make([]byte, binary.BigEndian.Uint16(h[2:]))
	_, err := io.ReadFull(br, p)
	return p, err
}

// capSend writes one container-to-server packet ("AB", length, payload).
func capSend(w io.Writer, payload ...byte) error {
	_, err := w.Write(append([]byte{'A', 'B', byte(len(payload) >> 8), byte(len(payload))}, payload...))
	return err
}

func (c *ajpCapture) serve(nc net.Conn) {
	defer c.wg.Done()
	defer nc.Close()
	br := bufio.NewReader(nc)
	for {
		nc.SetDeadline(time.Now().Add(30 * time.Second))
		p, err := capPacket(br)
		if err != nil || len(p) == 0 {
			return
		}
		if p[0] == 0x0A { // CPing
			if capSend(nc, 0x09) != nil {
				return
			}
			continue
		}
		req, err := ajp.DecodeForward(p)
		if err != nil {
			return
		}
		rec := capRecord{headers: req.Headers}
		rec.err = capBody(nc, br, &rec)
		c.mu.Lock()
		c.recs = append(c.recs, rec)
		c.mu.Unlock()
		if rec.err != nil {
			return
		}
		// SEND_HEADERS 200 "OK", no headers; END_RESPONSE reuse.
		if capSend(nc, 0x04, 0, 200, 0, 2, 'O', 'K', 0, 0, 0) != nil || capSend(nc, 0x05, 1) != nil {
			return
		}
	}
}

// capBody reads the body as Tomcat would and records its packets.
func capBody(nc net.Conn, br *bufio.Reader, rec *capRecord) error {
	cl := int64(-1)
	if v, ok := rec.header("Content-Length"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return err
		}
		cl = n
	}
	if cl == 0 {
		return nil
	}
	asked := cl < 0 // Tomcat only gets the first packet unasked with a length
	for i := 0; i < 1000; i++ {
		if asked {
			// GET_BODY_CHUNK for 8186 bytes (packetSize 8192 - 6).
			if err := capSend(nc, 0x06, 0x1F, 0xFA); err != nil {
				return err
			}
		}
		asked = true
		p, err := capPacket(br)
		if err != nil {
			return err
		}
		n := 0
		if len(p) >= 2 {
			n = int(binary.BigEndian.Uint16(p))
			if n > len(p)-2 {
				return fmt.Errorf("body packet says %d bytes, has %d", n, len(p)-2)
			}
			rec.body = append(rec.body, p[2:2+n]...)
		}
		rec.packets = append(rec.packets, n)
		if n == 0 || (cl > 0 && int64(len(rec.body)) >= cl) {
			return nil
		}
	}
	return fmt.Errorf("more than 1000 body packets")
}

// chunkedRequest builds a POST of target with a chunked body of the given
// chunks and trailer lines.
func chunkedRequest(target, host, ctype string, chunks []string, trailers ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", target, host, ctype)
	for _, c := range chunks {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(c), c)
	}
	b.WriteString("0\r\n")
	for _, t := range trailers {
		b.WriteString(t + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// chunkedCases are the chunked uploads compared with mod_jk.
func chunkedCases() []struct {
	name     string
	chunks   []string
	trailers []string
} {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1500) // 24000 bytes: three AJP packets
	var bigChunks []string
	for i := 0; i < len(big); i += 3000 {
		bigChunks = append(bigChunks, string(big[i:i+3000]))
	}
	return []struct {
		name     string
		chunks   []string
		trailers []string
	}{
		{"form", []string{"echo=x"}, nil},
		{"larger than a packet", bigChunks, nil},
		{"empty", nil, nil},
		{"trailers", []string{"echo=", "with-trailer"}, []string{"X-Trailer: t1"}},
	}
}
