package worker

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// writeHead writes the request line and the headers for the member. The
// path is req.Forward.URI, the URI exactly as an AJP member would get it
// (re-encoded per the ForwardURI option), with the raw query. The Host
// header goes through unchanged (ProxyPreserveHost On), so the
// application builds its URLs for the name the client used, as Tomcat
// behind mod_jk does.
func writeHead(bw *bufio.Writer, req *Request, length int64) error {
	r := req.HTTP
	uri, query := req.Forward.URI, req.Forward.QueryString
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(uri)
	if req.Forward.HasQuery || query != "" {
		bw.WriteByte('?')
		bw.WriteString(query)
	}
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	host := r.Host
	if host == "" {
		host = net.JoinHostPort(req.Forward.ServerName, strconv.Itoa(req.Forward.ServerPort))
	}
	writeValue(bw, host)
	bw.WriteString("\r\n")
	forwardHeaders(req, func(name, value string) {
		bw.WriteString(name)
		bw.WriteString(": ")
		writeValue(bw, value)
		bw.WriteString("\r\n")
	})
	switch {
	case length > 0 || (length == 0 && !lacksBody(r.Method)):
		// Like net/http, POST, PUT and the like say they have no body.
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.FormatInt(length, 10))
		bw.WriteString("\r\n")
	case length < 0:
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	_, err := bw.WriteString("\r\n")
	return err
}

// writeValue writes a header value with any CR or LF turned into a blank,
// as net/http does: a value can never start another header.
func writeValue(bw *bufio.Writer, v string) {
	if strings.IndexByte(v, '\r') >= 0 || strings.IndexByte(v, '\n') >= 0 { // not ContainsAny: its set costs more than the bytes
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	}
	bw.WriteString(v)
}

// checkTarget refuses a request target that would not be one line on the
// wire, as net/http does.
func checkTarget(req *Request) error {
	if hasCTL(req.Forward.URI) || hasCTL(req.Forward.QueryString) {
		return fmt.Errorf("request URI %q has a control character or a blank", req.Forward.URI)
	}
	return nil
}

// hasCTL reports bytes that may not appear in a request target.
func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// lacksBody lists the methods that normally have no body: with an empty
// one they are sent without a Content-Length.
func lacksBody(method string) bool {
	switch method {
	case "GET", "HEAD", "DELETE", "OPTIONS", "PROPFIND", "SEARCH", "TRACE", "CONNECT":
		return true
	}
	return false
}
