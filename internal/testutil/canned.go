package testutil

import (
	"bufio"
	"bytes"
	"net"
	"testing"
)

// CannedHTTP is a keep-alive HTTP/1.1 member on loopback that answers
// every request, body-less (it ends with an empty line), with reply and
// allocates nothing per request, so a benchmark counts only what the
// proxy allocates. It returns its address; it stops when tb ends.
func CannedHTTP(tb testing.TB, reply []byte) string {
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
			}()
		}
	}()
	tb.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}
