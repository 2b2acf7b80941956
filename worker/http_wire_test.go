package worker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"net/textproto"
	"reflect"
	"strings"
	"testing"
)

// readAll reads a response (head and body) the way the transport does.
func readAll(raw, method string) (*memberResponse, string, error) {
	br := bufio.NewReaderSize(strings.NewReader(raw), 4096)
	resp, err := readResponse(br, method)
	if err != nil {
		return nil, "", err
	}
	if resp.body == nil {
		return resp, "", nil
	}
	b, err := io.ReadAll(resp.body)
	return resp, string(b), err
}

func TestReadResponseFraming(t *testing.T) {
	for _, tc := range []struct {
		name, raw, method string
		status            int
		body              string
		close             bool
		header, trailer   string // "Name=value" expected, when set
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "GET", 200, "hello", false, "Content-Length=5", ""},
		{"no reason", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", "GET", 200, "ok", false, "", ""},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", "GET", 200, "ok", false, "", ""},
		{"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD", 200, "", false, "Content-Length=5", ""},
		{"204", "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", "GET", 204, "", false, "", ""},
		// A 204 that announces a body may send one: the connection is not
		// used again (the bytes would be read as the next response).
		{"204 with a length", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "GET", 204, "", true, "", ""},
		{"304 chunked", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", "GET", 304, "", true, "", ""},
		{"304 with a length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", "GET", 304, "", false, "", ""},
		{"304", "HTTP/1.1 304 Not Modified\r\n\r\n", "GET", 304, "", false, "", ""},
		{"chunked with trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n" +
			"5\r\nhello\r\n1\r\n!\r\n0\r\nX-Sum: 42\r\n\r\n", "GET", 200, "hello!", false, "", "X-Sum=42"},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", "GET", 200, "ok", false, "", ""},
		{"length and chunked", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
			"GET", 200, "ok", true, "Content-Length=", ""},
		{"100 and 103 skipped", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" +
			"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", "POST", 201, "", false, "Link=", ""},
		{"up to the close", "HTTP/1.1 200 OK\r\n\r\nall of it", "GET", 200, "all of it", true, "", ""},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", "GET", 200, "ok", true, "", ""},
		{"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", "GET", 200, "ok", false, "", ""},
		{"Connection close", "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 2\r\n\r\nok", "GET", 200, "ok", true, "", ""},
		{"equal lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", "GET", 200, "ok", false, "", ""},
		{"101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "GET", 101, "", false, "Upgrade=websocket", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body, err := readAll(tc.raw, tc.method)
			if err != nil {
				t.Fatal(err)
			}
			if resp.status != tc.status || body != tc.body || resp.close != tc.close {
				t.Fatalf("got %d %q close=%v, want %d %q close=%v", resp.status, body, resp.close, tc.status, tc.body, tc.close)
			}
			if name, want, ok := strings.Cut(tc.header, "="); ok && resp.header.Get(name) != want {
				t.Fatalf("header %s = %q, want %q", name, resp.header.Get(name), want)
			}
			if name, want, ok := strings.Cut(tc.trailer, "="); ok && resp.trailer.Get(name) != want {
				t.Fatalf("trailer %s = %q, want %q", name, resp.trailer.Get(name), want)
			}
			if _, ok := resp.header["Transfer-Encoding"]; ok {
				t.Fatal("Transfer-Encoding is the transport's business, not passed on")
			}
		})
	}
}

// Heads a member gets wrong are protocol errors (502), never a guess.
func TestReadResponseRefusesMalformedHeads(t *testing.T) {
	for name, raw := range map[string]string{
		"HTTP/2 status line":  "HTTP/2 200 OK\r\n\r\n",
		"not HTTP":            "ICY 200 OK\r\n\r\n",
		"short status":        "HTTP/1.1 20\r\n\r\n",
		"status glued":        "HTTP/1.1 200OK\r\n\r\n",
		"letter in status":    "HTTP/1.1 2x0 OK\r\n\r\n",
		"status under 100":    "HTTP/1.1 099 OK\r\n\r\n",
		"lengths disagree":    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
		"negative length":     "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"gzip coding":         "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"folded line":         "HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n",
		"space in name":       "HTTP/1.1 200 OK\r\nX A: 1\r\n\r\n",
		"no colon":            "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n",
		"line over buffer":    "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", memberLineMax) + "\r\n\r\n", // grown as far as it goes
		"endless interim":     strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", maxInterim+1),
		"bad chunk size":      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"head over the limit": "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Pad: "+strings.Repeat("p", 1000)+"\r\n", maxMemberHead/1000+1) + "\r\n",
	} {
		_, _, err := readAll(raw, "GET")
		var head *errMemberHead
		if !errors.As(err, &head) {
			t.Errorf("%s: %v, want a malformed-response error", name, err)
		}
	}
}

// A body shorter than its Content-Length is an unexpected EOF, not a
// complete response.
func TestReadResponseShortBody(t *testing.T) {
	_, _, err := readAll("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "GET")
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("%v, want io.ErrUnexpectedEOF", err)
	}
}

// The request head: the URI byte for byte, Host kept, a length for a
// POST without a body, chunked for an unknown length, no CR or LF
// smuggled in through a value, a bare one neither. Checked: with either
// of writeValue's two tests dropped, red.
func TestWriteHead(t *testing.T) {
	r := httptest.NewRequest("POST", "http://shop.example/a%2Fb?x=1", nil)
	r.Header.Set("X-Note", "one\r\nInjected: yes")
	r.Header.Set("X-Lf", "two\nBareLF: yes")
	r.Header.Set("X-Cr", "three\rBareCR: yes")
	req := toRequest(t, r, 0)
	req.Forward.URI, req.Forward.QueryString, req.Forward.HasQuery = "/a%2Fb", "x=1", true
	for _, tc := range []struct {
		length int64
		want   string
	}{{0, "Content-Length: 0\r\n"}, {-1, "Transfer-Encoding: chunked\r\n"}, {7, "Content-Length: 7\r\n"}} {
		var buf bytes.Buffer
		bw := bufio.NewWriter(&buf)
		if err := writeHead(bw, req, tc.length); err != nil {
			t.Fatal(err)
		}
		bw.Flush()
		head := buf.String()
		if !strings.HasPrefix(head, "POST /a%2Fb?x=1 HTTP/1.1\r\nHost: shop.example\r\n") ||
			!strings.Contains(head, tc.want) || !strings.HasSuffix(head, "\r\n\r\n") ||
			strings.Contains(head, "\nInjected") || strings.Contains(head, "\nBareLF") || strings.Contains(head, "\rBareCR") {
			t.Fatalf("length %d: head\n%s", tc.length, head)
		}
	}
	if checkTarget(&Request{HTTP: r, Forward: req.Forward}) != nil {
		t.Fatal("a clean target refused")
	}
	bad := *req
	bad.Forward.URI = "/a b"
	if checkTarget(&bad) == nil {
		t.Fatal("a target with a blank was accepted")
	}
}

// TestReadFieldsMatchesTextproto: the fields come out as net/textproto
// reads them (canonical names, values trimmed, repeats in order), also
// past the inline space for fields and values, and one name's values
// never share room with another's.
func TestReadFieldsMatchesTextproto(t *testing.T) {
	var many strings.Builder
	for i := range 40 {
		fmt.Fprintf(&many, "x-field-%d: %s\r\n", i%7, strings.Repeat("v", i*9))
	}
	for _, head := range []string{
		"Content-Length: 5\r\ncontent-type:  text/plain \r\nDate: Mon\r\n",
		"Set-Cookie: a=1\r\nVary: Accept\r\nSet-Cookie: b=2\r\nset-cookie: c=3\r\n",
		"X-Empty:\r\nETag: \"x\"\r\nwww-authenticate: Basic\r\n",
		many.String(),
	} {
		budget := 1 << 20
		got, err := readFields(bufio.NewReader(strings.NewReader(head+"\r\n")), &budget, nil, nil)
		if err != nil {
			t.Fatalf("%q: %v", head, err)
		}
		want, err := textproto.NewReader(bufio.NewReader(strings.NewReader(head + "\r\n"))).ReadMIMEHeader()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(map[string][]string(got), map[string][]string(want)) {
			t.Errorf("%q:\n got %v\nwant %v", head, got, want)
		}
		for name := range got {
			got[name] = append(got[name], "appended")
		}
		for name, values := range want {
			if !reflect.DeepEqual(got[name][:len(values)], values) {
				t.Errorf("%q: appending to one field changed %s: %v", head, name, got[name])
			}
		}
	}
}

// TestMemberResponseReuseAllocs: a response head read into a connection's
// kept memberResponse costs the values' string and slice array, nothing
// per field: names that are not common ones and the member's own
// spelling come out of the same string, the header map is reused, and a
// list of lengths is parsed without a split.
func TestMemberResponseReuseAllocs(t *testing.T) {
	const raw = "HTTP/1.1 200 OK\r\nX-Route: t1\r\ncontent-type: text/plain\r\nSet-Cookie: a=1\r\n" +
		"x-powered-BY: Servlet/6.0\r\nContent-Length: 2, 2\r\n\r\nok"
	sr := strings.NewReader(raw)
	br := bufio.NewReaderSize(sr, 4096)
	var resp memberResponse
	read := func() {
		sr.Reset(raw)
		br.Reset(sr)
		if err := resp.read(br, "GET"); err != nil {
			t.Fatal(err)
		}
	}
	read()
	want := []string{"X-Route", "X-Route", "Content-Type", "content-type", "Set-Cookie", "Set-Cookie",
		"X-Powered-By", "x-powered-BY", "Content-Length", "Content-Length"}
	if !reflect.DeepEqual(resp.names, want) || resp.header.Get("X-Powered-By") != "Servlet/6.0" || resp.length != 2 {
		t.Fatalf("names %q, header %v, length %d", resp.names, resp.header, resp.length)
	}
	if n := testing.AllocsPerRun(100, read); n != 2 {
		t.Errorf("%v allocations per response head, want 2", n)
	}
}

// TestListedInAllocs: a member's Connection field is checked against
// every field of its response (Tomcat sends "Connection: keep-alive"),
// and a client's against every forwarded field: no allocation.
func TestListedInAllocs(t *testing.T) {
	conn := []string{"keep-alive, X-Hop", " upgrade "}
	for name, want := range map[string]bool{"X-Hop": true, "Upgrade": true, "Keep-Alive": true, "Accept": false, "X": false} {
		if got := ListedIn(conn, name); got != want {
			t.Errorf("ListedIn(%q) = %v, want %v", name, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { ListedIn(conn, "Accept") }); n != 0 {
		t.Errorf("%v allocations per check, want 0", n)
	}
}
