//go:build integration

// The client half of the generated differential harness: send raw bytes,
// read exactly what comes back (status line as sent, header names as
// spelled, framing, whether the body was cut, bytes after the response).

package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// genClientResult is what the client saw.
type genClientResult struct {
	interim []string // 1xx status lines before the final one
	proto   string
	status  int
	reason  string
	headers [][2]string
	framing string // content-length, chunked, eof, none
	body    []byte
	cut     bool   // the connection ended before the body its framing announced
	extra   []byte // bytes after the response, before the close
	// keepAlive: for a request that did not ask for the close, whether
	// the proxy kept the connection ("kept", "closed").
	keepAlive string
	err       string // no response at all, or a malformed one
}

// genTimeout bounds one exchange; JKB_DIFF_TIMEOUT (a Go duration)
// changes it.
func genTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("JKB_DIFF_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	return 5 * time.Second
}

// genExchange sends raw to addr on a fresh connection and reads one
// response and whatever follows it until the close.
//
// A request that keeps the connection alive (probe not empty) is followed
// by probe, another request, once the response is read: whether it gets
// an answer tells whether the proxy kept the connection.
func genExchange(addr, raw, probe string) genClientResult {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return genClientResult{err: "connect: " + err.Error()}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(genTimeout()))
	// A write error is not the end: the proxy may answer before it read
	// everything (an early error) and then close.
	go io.WriteString(c, raw)
	br := bufio.NewReader(c)
	method, _, _ := strings.Cut(raw, " ")
	var res genClientResult
	for {
		if err := genReadHead(br, &res); err != nil {
			res.err = err.Error()
			return res
		}
		if res.status >= 100 && res.status < 200 && res.status != 101 {
			res.interim = append(res.interim, fmt.Sprintf("%s %d %s", res.proto, res.status, res.reason))
			res.headers = nil
			continue
		}
		break
	}
	genReadBody(br, &res, method == "HEAD")
	if probe != "" && res.framing != "eof" {
		res.keepAlive = genProbe(c, br, probe)
		return res
	}
	rest, err := io.ReadAll(br)
	res.extra = rest
	if isTimeout(err) {
		res.extra = append(res.extra, "(connection left open)"...)
	}
	return res
}

// genProbe sends probe on a connection the request left open and says
// what became of it: "kept" when a status line answers it, else "closed"
// (or, after a response with stray bytes, what came instead).
func genProbe(c net.Conn, br *bufio.Reader, probe string) string {
	if _, err := io.WriteString(c, probe); err != nil {
		return "closed"
	}
	line, err := br.ReadString('\n')
	switch {
	case strings.HasPrefix(line, "HTTP/1.1 "):
		return "kept"
	case line == "" && err != nil:
		return "closed"
	}
	return fmt.Sprintf("kept, then %q", line)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func genReadHead(br *bufio.Reader, res *genClientResult) error {
	line, err := br.ReadString('\n')
	if err != nil {
		if isTimeout(err) {
			return errors.New("no response (timeout)")
		}
		if line == "" {
			return errors.New("closed without a response")
		}
		return fmt.Errorf("cut in the status line %q", line)
	}
	line = strings.TrimRight(line, "\r\n")
	proto, rest, _ := strings.Cut(line, " ")
	code, reason, _ := strings.Cut(rest, " ")
	st, err := strconv.Atoi(code)
	if err != nil || !strings.HasPrefix(proto, "HTTP/") {
		return fmt.Errorf("malformed status line %q", line)
	}
	res.proto, res.status, res.reason = proto, st, reason
	for n := 0; n < 1000; n++ {
		h, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("cut in the head after %d header lines", n)
		}
		h = strings.TrimRight(h, "\r\n")
		if h == "" {
			return nil
		}
		name, value, _ := strings.Cut(h, ":")
		res.headers = append(res.headers, [2]string{name, strings.Trim(value, " \t")})
	}
	return errors.New("more than 1000 header lines")
}

func (res *genClientResult) header(name string) (string, bool) {
	for _, h := range res.headers {
		if strings.EqualFold(h[0], name) {
			return h[1], true
		}
	}
	return "", false
}

func genReadBody(br *bufio.Reader, res *genClientResult, head bool) {
	te, _ := res.header("Transfer-Encoding")
	cl, hasCL := res.header("Content-Length")
	switch {
	case head || res.status == 204 || res.status == 304:
		res.framing = "none"
	case strings.EqualFold(te, "chunked"):
		res.framing = "chunked"
		res.body, res.cut = genReadChunked(br)
	case hasCL:
		res.framing = "content-length"
		n, err := strconv.Atoi(cl)
		if err != nil || n < 0 {
			res.framing = "content-length (unparsable)"
			return
		}
		res.body = make([]byte, n)
		got, _ := io.ReadFull(br, res.body)
		res.body, res.cut = res.body[:got], got < n
	default:
		res.framing = "eof"
		res.body, _ = io.ReadAll(br)
	}
}

func genReadChunked(br *bufio.Reader) ([]byte, bool) {
	var body []byte
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return body, true
		}
		size, _, _ := strings.Cut(strings.TrimRight(l, "\r\n"), ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 32)
		if err != nil || n < 0 {
			return body, true
		}
		if n == 0 {
			for {
				t, err := br.ReadString('\n')
				if err != nil {
					return body, true
				}
				if strings.TrimRight(t, "\r\n") == "" {
					return body, false
				}
			}
		}
		chunk := make([]byte, n+2)
		got, err := io.ReadFull(br, chunk)
		body = append(body, chunk[:min(got, int(n))]...)
		if err != nil {
			return body, true
		}
	}
}
