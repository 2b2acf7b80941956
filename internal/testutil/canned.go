package testutil

import (
	"bufio"
	"bytes"
	"net"
	"testing"
)

// ServeConns listens on loopback and hands each connection to serve, in
// a goroutine of its own, closing it when serve returns. It returns the
// address; the listener closes when tb ends.
func ServeConns(tb testing.TB, serve func(net.Conn)) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	tb.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// CannedHTTP is a keep-alive HTTP/1.1 member on loopback that answers
// every request, body-less (it ends with an empty line), with reply and
// allocates nothing per request, so a benchmark counts only what the
// proxy allocates. It returns its address; it stops when tb ends.
func CannedHTTP(tb testing.TB, reply []byte) string {
	tb.Helper()
	return ServeConns(tb, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(bytes.TrimSpace(line)) == 0 {
				if _, err := c.Write(reply); err != nil {
					return
				}
			}
		}
	})
}
