package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// A lean AJP13 container loop: one goroutine per connection, preallocated
// buffers, the body pulled like Tomcat pulls it. It is a measuring
// instrument, fast enough that the proxies in front of it are what a load
// run measures.

const (
	maxChunk = 8192 - 8 // SEND_BODY_CHUNK data at packetSize 8192
	askChunk = 8192 - 6 // what Tomcat asks for in GET_BODY_CHUNK
)

var errBadMagic = errors.New("bad magic")

func (m *member) serveAJP(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go m.ajpConn(c)
	}
}

type ajpConn struct {
	r    *bufio.Reader
	w    *bufio.Writer
	pkt  []byte
	resp []byte
}

func (m *member) ajpConn(nc net.Conn) {
	defer nc.Close()
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	c := &ajpConn{r: bufio.NewReaderSize(nc, 16<<10), w: bufio.NewWriterSize(nc, 16<<10),
		pkt: make([]byte, 65536), resp: make([]byte, 0, 16<<10)}
	for {
		p, err := c.read()
		if err != nil || len(p) == 0 {
			return
		}
		switch p[0] {
		case 10: // CPing
			c.w.Write([]byte{'A', 'B', 0, 1, 9})
			if c.w.Flush() != nil {
				return
			}
			continue
		case 2:
		default:
			return
		}
		req, err := ajp.DecodeForward(p)
		if err != nil || !m.serveOne(c, req) {
			return
		}
	}
}

func (c *ajpConn) read() ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(c.r, h[:]); err != nil {
		return nil, err
	}
	if h[0] != 0x12 || h[1] != 0x34 {
		return nil, errBadMagic
	}
	n := int(binary.BigEndian.Uint16(h[2:]))
	_, err := io.ReadFull(c.r, c.pkt[:n])
	return c.pkt[:n], err
}

// drain reads the request body the way a servlet reading to EOF makes
// Tomcat read it: the unsolicited first packet when there is a
// Content-Length, then GET_BODY_CHUNK until the end, and once past it.
func (c *ajpConn) drain(cl int64) (int64, error) {
	var got int64
	if cl > 0 {
		p, err := c.read()
		if err != nil {
			return got, err
		}
		got += int64(dataLen(p))
	}
	for cl < 0 || got <= cl {
		c.w.Write([]byte{'A', 'B', 0, 3, 6, byte(askChunk >> 8), byte(askChunk & 0xff)})
		if err := c.w.Flush(); err != nil {
			return got, err
		}
		p, err := c.read()
		if err != nil {
			return got, err
		}
		n := dataLen(p)
		if n == 0 {
			return got, nil
		}
		got += int64(n)
	}
	return got, nil
}

func dataLen(p []byte) int {
	if len(p) < 2 {
		return 0
	}
	return int(binary.BigEndian.Uint16(p))
}

// serveOne answers one forward request; false closes the connection.
func (m *member) serveOne(c *ajpConn, req *ajp.Request) bool {
	cl, session := int64(-1), false
	for _, h := range req.Headers {
		switch strings.ToLower(h.Name) {
		case "content-length":
			cl, _ = strconv.ParseInt(h.Value, 10, 64)
		case "cookie":
			session = session || strings.Contains(h.Value, "JSESSIONID=")
		}
	}
	if m.secret != "" && req.Secret != m.secret {
		c.head(403, nil)
		c.end(false)
		return false
	}
	n := int64(0)
	if cl != 0 {
		var err error
		if n, err = c.drain(cl); err != nil {
			return false
		}
	}
	m.record(req.Method, req.URI)
	status := m.behave(req.URI, req.QueryString)
	head := fmt.Sprintf("route=%s method=%s uri=%s body=%d\n", m.route, req.Method, req.URI, n)
	body := m.bodyFor(req.QueryString)
	hs := []ajp.Header{
		{Name: "Content-Type", Value: "text/plain"},
		{Name: "X-Route", Value: m.route},
		{Name: "Content-Length", Value: strconv.Itoa(len(head) + len(body))},
	}
	if !session {
		hs = append(hs, ajp.Header{Name: "Set-Cookie", Value: m.newSession()})
	}
	c.head(status, hs)
	c.body([]byte(head))
	c.body(body)
	return c.end(true)
}

// Tomcat's response header codes (docs/ajp13.md#response-packets) for the names it sends.
var respCodes = map[string]int{"Content-Type": 0xA001, "Content-Length": 0xA003, "Set-Cookie": 0xA007}

func (c *ajpConn) head(status int, hs []ajp.Header) {
	b := append(c.resp[:0], 'A', 'B', 0, 0, 4)
	b = binary.BigEndian.AppendUint16(b, uint16(status))
	b = appendStr(b, strconv.Itoa(status))
	b = binary.BigEndian.AppendUint16(b, uint16(len(hs)))
	for _, h := range hs {
		if code, ok := respCodes[h.Name]; ok {
			b = binary.BigEndian.AppendUint16(b, uint16(code))
		} else {
			b = appendStr(b, h.Name)
		}
		b = appendStr(b, h.Value)
	}
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)-4))
	c.w.Write(b)
	c.resp = b
}

func (c *ajpConn) body(p []byte) {
	for len(p) > 0 {
		n := min(len(p), maxChunk)
		b := append(c.resp[:0], 'A', 'B', 0, 0, 3)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
		b = append(b, p[:n]...)
		b = append(b, 0)
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)-4))
		c.w.Write(b)
		c.resp = b
		p = p[n:]
	}
}

func (c *ajpConn) end(reuse bool) bool {
	r := byte(0)
	if reuse {
		r = 1
	}
	c.w.Write([]byte{'A', 'B', 0, 2, 5, r})
	return c.w.Flush() == nil && reuse
}

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	b = append(b, s...)
	return append(b, 0)
}
