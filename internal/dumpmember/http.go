package dumpmember

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// HTTP is a dump member speaking HTTP/1.1 on a raw socket (not net/http),
// so that it records header names as spelled and in order, and can
// misbehave at the byte level.
type HTTP struct{ srv }

// NewHTTP listens on 127.0.0.1:0 and serves tab's behaviours over HTTP/1.1.
func NewHTTP(tab *Table) (*HTTP, error) {
	s := &HTTP{}
	if err := s.start(tab, s.serveConn); err != nil {
		return nil, err
	}
	return s, nil
}

// httpReq is one parsed request.
type httpReq struct {
	line          string
	names, values []string
	body          []byte
	framing       string
	close         bool
	head          bool
}

func (s *HTTP) serveConn(nc net.Conn) {
	br := bufio.NewReader(nc)
	bw := bufio.NewWriter(nc)
	for {
		r, err := readHTTPRequest(br)
		if err != nil {
			return
		}
		dump := dumpHTTP(r, nc.RemoteAddr().String())
		b, ok := s.tab.take(caseID(r.names, r.values), Record{Dump: dump})
		if !ok {
			b = Behaviour{Status: 200, Reason: "OK", Body: []byte(dump),
				Headers: []Header{{Name: "Content-Type", Value: "text/plain"}, {Name: "Content-Length", Value: strconv.Itoa(len(dump))}}}
		}
		if !writeHTTPResponse(bw, b, r.head) || r.close {
			return
		}
	}
}

func readLine(br *bufio.Reader) (string, error) {
	l, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(l) > 1<<16 {
		return "", errors.New("line too long")
	}
	return strings.TrimRight(l, "\r\n"), nil
}

func readHTTPRequest(br *bufio.Reader) (*httpReq, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, err
	}
	r := &httpReq{line: line, framing: "none"}
	r.head = strings.HasPrefix(line, "HEAD ")
	r.close = strings.HasSuffix(line, "HTTP/1.0")
	cl, chunked := int64(-1), false
	for n := 0; ; n++ {
		h, err := readLine(br)
		if err != nil || n > 500 {
			return nil, errors.New("bad head")
		}
		if h == "" {
			break
		}
		name, value, _ := strings.Cut(h, ":")
		value = strings.Trim(value, " \t")
		r.names, r.values = append(r.names, name), append(r.values, value)
		switch strings.ToLower(name) {
		case "content-length":
			cl, _ = strconv.ParseInt(value, 10, 64)
			r.framing = "content-length " + strconv.Quote(value)
		case "transfer-encoding":
			chunked = strings.EqualFold(value, "chunked")
		case "connection":
			r.close = strings.EqualFold(value, "close")
		}
	}
	switch {
	case chunked:
		r.framing = "chunked"
		r.body, err = readChunked(br)
	case cl > 0 && cl <= maxBody:
		r.body = make([]byte, cl)
		_, err = io.ReadFull(br, r.body)
	}
	return r, err
}

func readChunked(br *bufio.Reader) ([]byte, error) {
	var body []byte
	for len(body) <= maxBody {
		l, err := readLine(br)
		if err != nil {
			return nil, err
		}
		size, _, _ := strings.Cut(l, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		if err != nil || n < 0 || n > maxBody {
			return nil, errors.New("bad chunk size")
		}
		if n == 0 {
			for { // trailers
				if t, err := readLine(br); err != nil || t == "" {
					return body, err
				}
			}
		}
		chunk := make([]byte, n+2)
		if _, err := io.ReadFull(br, chunk); err != nil {
			return nil, err
		}
		body = append(body, chunk[:n]...)
	}
	return nil, errors.New("body too large")
}

func dumpHTTP(r *httpReq, peer string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "request-line %q\npeer %q\n", r.line, peer)
	for i, n := range r.names {
		if strings.EqualFold(n, CaseHeader) {
			continue
		}
		fmt.Fprintf(&b, "header %q: %q\n", n, r.values[i])
	}
	fmt.Fprintf(&b, "body-framing %s\n%s", r.framing, dumpBody(r.body))
	return b.String()
}

// writeHTTPResponse writes b byte for byte; false means the connection
// ends. A HEAD response gets no body whatever b says.
func writeHTTPResponse(bw *bufio.Writer, b Behaviour, head bool) bool {
	if b.Mode == CloseBeforeHead {
		return false
	}
	var h strings.Builder
	fmt.Fprintf(&h, "HTTP/1.1 %03d %s\r\n", b.Status, b.Reason)
	for _, x := range b.Headers {
		fmt.Fprintf(&h, "%s: %s\r\n", x.Name, x.Value)
	}
	h.WriteString("\r\n")
	bw.WriteString(h.String())
	if b.Mode == SecondHead {
		bw.WriteString(h.String())
	}
	body := b.Body
	if head {
		body = nil
	}
	if b.Mode == Truncate && b.Cut < len(body) {
		body = body[:max(b.Cut, 0)]
	}
	bw.Write(body)
	return bw.Flush() == nil && b.Mode != Truncate && b.Mode != NoReuse
}
