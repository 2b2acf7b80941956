//go:build integration

// The corpus of the generated differential harness: testdata/diffcorpus/
// holds one file per difference the harness has found, replayed on every
// run. A file is lines of "key value"; strings are Go-quoted so that any
// byte survives. JKB_DIFF_RENOTE=1 refreshes the "# kind:" notes of every
// file (what the case shows under the current rules).
//
//	# note: what it found
//	request "GET / HTTP/1.1\r\nHost: {{HOST}}\r\nX-Diff-Case: {{CASE}}\r\n\r\n"
//	status 200
//	reason "OK"
//	header "Content-Type" "text/plain"
//	header-string "content-type" "text/plain"   (a name sent as an AJP string)
//	body "hello\n"
//	mode truncate                               (normal, close-before-head, truncate, second-head, no-reuse)
//	cut 3
//	flush true
//	chunk 100

package server

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/internal/dumpmember"
)

const genCorpusDir = "../testdata/diffcorpus"

// genCase is one generated input: a raw request ({{HOST}} and {{CASE}}
// filled in per proxy) and the member's behaviour.
type genCase struct {
	id   string
	raw  string
	beh  dumpmember.Behaviour
	note string
}

func (c genCase) text() string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(c.note), "\n") {
		if l != "" {
			fmt.Fprintf(&b, "# %s\n", l)
		}
	}
	fmt.Fprintf(&b, "request %q\nstatus %d\nreason %q\n", c.raw, c.beh.Status, c.beh.Reason)
	for _, h := range c.beh.Headers {
		k := "header"
		if h.String {
			k = "header-string"
		}
		fmt.Fprintf(&b, "%s %q %q\n", k, h.Name, h.Value)
	}
	fmt.Fprintf(&b, "body %q\nmode %s\n", c.beh.Body, c.beh.Mode)
	if c.beh.Mode == dumpmember.Truncate {
		fmt.Fprintf(&b, "cut %d\n", c.beh.Cut)
	}
	if c.beh.Flush {
		b.WriteString("flush true\n")
	}
	if c.beh.Chunk > 0 {
		fmt.Fprintf(&b, "chunk %d\n", c.beh.Chunk)
	}
	return b.String()
}

// genParseCase reads a corpus file.
func genParseCase(id, text string) (genCase, error) {
	c := genCase{id: id}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if note, ok := strings.CutPrefix(line, "#"); ok {
			c.note += strings.TrimSpace(note) + "\n"
			continue
		}
		key, rest, _ := strings.Cut(line, " ")
		if err := genParseLine(&c, key, rest); err != nil {
			return c, fmt.Errorf("%s:%d: %s: %v", id, n+1, key, err)
		}
	}
	if c.raw == "" || c.beh.Status == 0 {
		return c, fmt.Errorf("%s: needs a request and a status", id)
	}
	return c, nil
}

func genParseLine(c *genCase, key, rest string) error {
	var err error
	switch key {
	case "request":
		c.raw, err = strconv.Unquote(rest)
	case "status":
		c.beh.Status, err = strconv.Atoi(rest)
	case "reason":
		c.beh.Reason, err = strconv.Unquote(rest)
	case "header", "header-string":
		var name, value string
		name, value, err = genTwoQuoted(rest)
		c.beh.Headers = append(c.beh.Headers, dumpmember.Header{Name: name, Value: value, String: key == "header-string"})
	case "body":
		var s string
		s, err = strconv.Unquote(rest)
		c.beh.Body = []byte(s)
	case "mode":
		var ok bool
		if c.beh.Mode, ok = dumpmember.ParseMode(rest); !ok {
			err = fmt.Errorf("unknown mode %q", rest)
		}
	case "cut":
		c.beh.Cut, err = strconv.Atoi(rest)
	case "flush":
		c.beh.Flush, err = strconv.ParseBool(rest)
	case "chunk":
		c.beh.Chunk, err = strconv.Atoi(rest)
	default:
		err = fmt.Errorf("unknown key")
	}
	return err
}

func genTwoQuoted(s string) (string, string, error) {
	p, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", err
	}
	a, _ := strconv.Unquote(p)
	b, err := strconv.Unquote(strings.TrimSpace(s[len(p):]))
	return a, b, err
}

// genLoadCorpus reads every *.case file of the corpus, sorted by name.
func genLoadCorpus() ([]genCase, error) {
	files, err := filepath.Glob(filepath.Join(genCorpusDir, "*.case"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []genCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		c, err := genParseCase("corpus/"+strings.TrimSuffix(filepath.Base(f), ".case"), string(b))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// genSaveCase writes c to the corpus as name.case.
func genSaveCase(name string, c genCase) error {
	if err := os.MkdirAll(genCorpusDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(genCorpusDir, name+".case"), []byte(c.text()), 0o644)
}
