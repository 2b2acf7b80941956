package dumpmember

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"sync"
)

// srv is the listener and connection bookkeeping both members share.
type srv struct {
	tab   *Table
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func (s *srv) start(tab *Table, serve func(net.Conn)) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.tab, s.ln, s.conns = tab, ln, map[net.Conn]struct{}{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			if s.conns == nil {
				s.mu.Unlock()
				nc.Close()
				return
			}
			s.conns[nc] = struct{}{}
			s.wg.Add(1)
			s.mu.Unlock()
			go func() {
				defer s.wg.Done()
				defer func() {
					s.mu.Lock()
					delete(s.conns, nc)
					s.mu.Unlock()
					nc.Close()
				}()
				serve(nc)
			}()
		}
	}()
	return nil
}

// Addr is the listening address, 127.0.0.1:port.
func (s *srv) Addr() string { return s.ln.Addr().String() }

// Close stops listening, closes every connection and waits for their
// goroutines.
func (s *srv) Close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.conns = nil
	s.mu.Unlock()
	s.wg.Wait()
}

// dumpBody renders a body: its length and digest, and the bytes when
// small or the first 64 otherwise.
func dumpBody(body []byte) string {
	sum := sha256.Sum256(body)
	show := body
	more := ""
	if len(show) > 256 {
		show, more = show[:64], " ..."
	}
	return fmt.Sprintf("body %d bytes sha256 %s %q%s\n", len(body), hex.EncodeToString(sum[:8]), show, more)
}
