package dumpmember

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// AJP is a dump member speaking AJP13 like Tomcat's AJP connector with
// packetSize 8192: CPing gets CPong, the first body packet of a request
// with a Content-Length > 0 arrives unasked and every later one is asked
// for with GET_BODY_CHUNK, a request without a length is asked for from
// the start, and the body is read until the empty packet (Tomcat's
// AjpProcessor.refillReadBuffer).
type AJP struct{ srv }

// maxBody bounds what the member keeps of one request body.
const maxBody = 64 << 20

const ajpPacket = 8192

// NewAJP listens on 127.0.0.1:0 and serves tab's behaviours over AJP13.
func NewAJP(tab *Table) (*AJP, error) {
	s := &AJP{}
	if err := s.start(tab, s.serveConn); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *AJP) serveConn(nc net.Conn) {
	br := bufio.NewReaderSize(nc, 1<<16+4)
	bw := bufio.NewWriterSize(nc, 1<<16+4)
	for {
		p, err := readAJPPacket(br)
		if err != nil || len(p) == 0 {
			return
		}
		switch p[0] {
		case 0x0A: // CPing
			bw.Write([]byte{'A', 'B', 0, 1, 9})
			if bw.Flush() != nil {
				return
			}
		case 0x02: // FORWARD_REQUEST
			if !s.request(br, bw, p) {
				return
			}
		default:
			return
		}
	}
}

// request serves one forward request; false means the connection ends.
func (s *AJP) request(br *bufio.Reader, bw *bufio.Writer, p []byte) bool {
	req, err := ajp.DecodeForward(p)
	if err != nil {
		return false // Tomcat answers 500 and closes; a dump member just closes
	}
	coded := scanCoded(p)
	body, framing, err := readAJPBody(br, bw, req)
	if err != nil {
		return false
	}
	dump := dumpAJP(req, coded, body, framing)
	var names, values []string
	for _, h := range req.Headers {
		names, values = append(names, h.Name), append(values, h.Value)
	}
	b, ok := s.tab.take(caseID(names, values), Record{Dump: dump})
	if !ok {
		b = Behaviour{Status: 200, Reason: "OK", Body: []byte(dump),
			Headers: []Header{{Name: "Content-Type", Value: "text/plain"}, {Name: "Content-Length", Value: strconv.Itoa(len(dump))}}}
	}
	return writeAJPResponse(bw, b)
}

func readAJPPacket(br *bufio.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, err
	}
	if h[0] != 0x12 || h[1] != 0x34 {
		return nil, errors.New("bad magic")
	}
	p := make([]byte, int(h[2])<<8|int(h[3]))
	_, err := io.ReadFull(br, p)
	return p, err
}

// readAJPBody pulls the body the way Tomcat does and says how it was
// framed: "content-length N" or "unknown-length".
func readAJPBody(br *bufio.Reader, bw *bufio.Writer, req *ajp.Request) ([]byte, string, error) {
	cl, framing := int64(-1), "unknown-length"
	for _, h := range req.Headers {
		if strings.EqualFold(h.Name, "content-length") {
			framing = "content-length " + strconv.Quote(h.Value)
			if n, err := strconv.ParseInt(h.Value, 10, 64); err == nil && n >= 0 {
				cl = n
			}
			break
		}
	}
	if cl == 0 {
		return nil, framing, nil
	}
	var body []byte
	asked := cl < 0
	for len(body) <= maxBody {
		if asked {
			bw.Write([]byte{'A', 'B', 0, 3, 6, byte((ajpPacket - 6) >> 8), byte((ajpPacket - 6) & 0xFF)})
			if err := bw.Flush(); err != nil {
				return nil, framing, err
			}
		}
		asked = true
		p, err := readAJPPacket(br)
		if err != nil {
			return nil, framing, err
		}
		if len(p) < 2 || int(p[0])<<8|int(p[1]) == 0 {
			return body, framing, nil
		}
		if int(p[0])<<8|int(p[1]) != len(p)-2 {
			return nil, framing, errors.New("malformed body packet")
		}
		body = append(body, p[2:]...)
	}
	return nil, framing, errors.New("body too large")
}

// scanCoded reports, for each request header of a FORWARD_REQUEST payload
// in order, whether its name came as a 0xA0xx code (true) or as a string.
// DecodeForward has checked the framing already.
func scanCoded(p []byte) []bool {
	i := 2 // type, method
	str := func() {
		if i+2 > len(p) {
			i = len(p)
			return
		}
		n := int(p[i])<<8 | int(p[i+1])
		i += 2
		if n != 0xFFFF {
			i += n + 1
		}
	}
	for range 5 { // protocol, uri, remote_addr, remote_host, server_name
		str()
	}
	i += 3 // server_port, is_ssl
	if i+2 > len(p) {
		return nil
	}
	n := int(p[i])<<8 | int(p[i+1])
	i += 2
	var out []bool
	for range n {
		if i+2 > len(p) {
			break
		}
		if p[i] == 0xA0 {
			out = append(out, true)
			i += 2
		} else {
			out = append(out, false)
			str()
		}
		str()
	}
	return out
}

func dumpAJP(r *ajp.Request, coded []bool, body []byte, framing string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "method %q\nprotocol %q\nuri %q\nremote_addr %q\nremote_host %q\nserver_name %q\nserver_port %d\nis_ssl %v\n",
		r.Method, r.Protocol, r.URI, r.RemoteAddr, r.RemoteHost, r.ServerName, r.ServerPort, r.IsSSL)
	for i, h := range r.Headers {
		if strings.EqualFold(h.Name, CaseHeader) {
			continue
		}
		how := "string"
		if i < len(coded) && coded[i] {
			how = "coded"
		}
		fmt.Fprintf(&b, "header %s %q: %q\n", how, h.Name, h.Value)
	}
	if r.HasQuery {
		fmt.Fprintf(&b, "attr query_string %q\n", r.QueryString)
	}
	for _, a := range [][2]string{{"route", r.Route}, {"secret", r.Secret}, {"remote_user", r.RemoteUser},
		{"auth_type", r.AuthType}, {"ssl_cert", r.SSLCert}, {"ssl_cipher", r.SSLCipher}, {"ssl_session", r.SSLSession},
		{"ssl_protocol", r.SSLProtocol}, {"AJP_REMOTE_PORT", r.RemotePort}, {"AJP_LOCAL_ADDR", r.LocalAddr},
		{"JK_LB_ACTIVATION", r.Activation}} {
		if a[1] != "" {
			fmt.Fprintf(&b, "attr %s %q\n", a[0], a[1])
		}
	}
	if r.SSLKeySize >= 0 {
		fmt.Fprintf(&b, "attr ssl_key_size %d\n", r.SSLKeySize)
	}
	for _, a := range r.Attributes {
		fmt.Fprintf(&b, "attr req_attribute %q=%q\n", a.Name, a.Value)
	}
	fmt.Fprintf(&b, "body-framing %s\n%s", framing, dumpBody(body))
	return b.String()
}

// writeAJPResponse sends b as Tomcat's AJP connector would frame it;
// false means the connection ends.
func writeAJPResponse(bw *bufio.Writer, b Behaviour) bool {
	if b.Mode == CloseBeforeHead {
		return false
	}
	head := sendHeaders(b)
	bw.Write(head)
	if b.Mode == SecondHead {
		bw.Write(head)
	}
	body := b.Body
	if b.Mode == Truncate && b.Cut < len(body) {
		body = body[:max(b.Cut, 0)]
	}
	chunk := b.Chunk
	if chunk <= 0 || chunk > ajpPacket-8 {
		chunk = ajpPacket - 8
	}
	for len(body) > 0 {
		n := min(len(body), chunk)
		bw.Write([]byte{'A', 'B', byte((n + 4) >> 8), byte(n + 4), 3, byte(n >> 8), byte(n)})
		bw.Write(body[:n])
		bw.WriteByte(0)
		body = body[n:]
		if b.Flush {
			bw.Write([]byte{'A', 'B', 0, 4, 3, 0, 0, 0})
		}
	}
	if b.Mode == Truncate {
		bw.Flush()
		return false
	}
	reuse := byte(1)
	if b.Mode == NoReuse {
		reuse = 0
	}
	bw.Write([]byte{'A', 'B', 0, 2, 5, reuse})
	return bw.Flush() == nil && reuse == 1
}

// sendHeaders encodes SEND_HEADERS: names Tomcat codes go as 0xA0xx
// unless the behaviour asks for a string.
func sendHeaders(b Behaviour) []byte {
	p := []byte{'A', 'B', 0, 0, 4, byte(b.Status >> 8), byte(b.Status)}
	p = appendAJPString(p, b.Reason)
	p = append(p, byte(len(b.Headers)>>8), byte(len(b.Headers)))
	for _, h := range b.Headers {
		if code := ajp.ResponseHeaderCode(h.Name); code != 0 && !h.String {
			p = append(p, byte(code>>8), byte(code))
		} else {
			p = appendAJPString(p, h.Name)
		}
		p = appendAJPString(p, h.Value)
	}
	n := len(p) - 4
	p[2], p[3] = byte(n>>8), byte(n)
	return p
}

func appendAJPString(b []byte, s string) []byte {
	b = append(b, byte(len(s)>>8), byte(len(s)))
	b = append(b, s...)
	return append(b, 0)
}
