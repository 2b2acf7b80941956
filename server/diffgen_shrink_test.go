//go:build integration

// Shrinking for the corpus of the generated differential harness: a
// found case is cut down, one piece at a time, while it still shows the
// kind of difference it was saved for, so the corpus holds short
// reproductions.

package server

import (
	"regexp"
	"strings"

	"github.com/jkbalancer/jkbalancer/internal/dumpmember"
)

// genKeepLineRE: request lines the shrinker keeps: the case id, the
// close every exchange relies on to end, and the body's framing, which
// must match the body.
var genKeepLineRE = regexp.MustCompile(`(?i)^(x-diff-case|content-length|transfer-encoding|connection):`)

// shrink returns the smallest variant of c it finds that still shows
// kind. Bounded: each step tries each piece once.
func (e *genEnv) shrink(c genCase, kind string) genCase {
	still := func(x genCase) bool {
		o, _, _ := e.check(x)
		for _, k := range genKinds(o) {
			if k == kind {
				return true
			}
		}
		return false
	}
	// The member's headers, one at a time.
	for i := 0; i < len(c.beh.Headers); {
		x := c
		x.beh.Headers = append(append([]dumpmember.Header(nil), c.beh.Headers[:i]...), c.beh.Headers[i+1:]...)
		if still(x) {
			c = x
		} else {
			i++
		}
	}
	// The member's body and flags.
	for _, f := range []func(*dumpmember.Behaviour){
		func(b *dumpmember.Behaviour) { b.Body = nil },
		func(b *dumpmember.Behaviour) { b.Body = []byte("hello\n"); b.Cut = min(b.Cut, 3) },
		func(b *dumpmember.Behaviour) { b.Flush = false },
		func(b *dumpmember.Behaviour) { b.Chunk = 0 },
		func(b *dumpmember.Behaviour) { b.Mode, b.Cut = dumpmember.Normal, 0 },
	} {
		x := c
		x.beh.Headers = append([]dumpmember.Header(nil), c.beh.Headers...)
		f(&x.beh)
		if still(x) {
			c = x
		}
	}
	// The request's body: one byte, in the same framing.
	if x, ok := genShrinkBody(c); ok && still(x) {
		c = x
	}
	// The request's header lines, one at a time.
	head, body, _ := strings.Cut(c.raw, "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	for i := 1; i < len(lines); {
		if genKeepLineRE.MatchString(lines[i]) {
			i++
			continue
		}
		rest := append(append([]string(nil), lines[:i]...), lines[i+1:]...)
		x := c
		x.raw = strings.Join(rest, "\r\n") + "\r\n\r\n" + body
		if still(x) {
			c, lines = x, rest
		} else {
			i++
		}
	}
	return c
}

var genCLLineRE = regexp.MustCompile(`(?im)^(content-length: *)[0-9]+`)

// genShrinkBody replaces a request body longer than one byte by "x",
// keeping its framing (Content-Length or chunked).
func genShrinkBody(c genCase) (genCase, bool) {
	head, body, _ := strings.Cut(c.raw, "\r\n\r\n")
	switch {
	case len(body) <= 1:
		return c, false
	case regexp.MustCompile(`(?im)^transfer-encoding: *chunked`).MatchString(head):
		body = "1\r\nx\r\n0\r\n\r\n"
	case genCLLineRE.MatchString(head):
		head, body = genCLLineRE.ReplaceAllString(head, "${1}1"), "x"
	default:
		return c, false
	}
	c.raw = head + "\r\n\r\n" + body
	return c, true
}
