package dumpmember

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
)

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// TestAJPDumpAndMisbehave: the dump notes coded and string header names
// and the framing; the answer carries the registered reason phrase
// verbatim and is cut after Cut body bytes.
func TestAJPDumpAndMisbehave(t *testing.T) {
	tab := NewTable()
	s, err := NewAJP(tab)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tab.Set("c1", Behaviour{Status: 200, Reason: "Fine", Headers: []Header{{Name: "Content-Type", Value: "a/b"},
		{Name: "content-type", Value: "c/d"}}, Body: []byte("0123456789"), Mode: Truncate, Cut: 4})
	req := &ajp.Request{Method: "POST", Protocol: "HTTP/1.1", URI: "/x", RemoteAddr: "127.0.0.1", ServerName: "h",
		ServerPort: 80, SSLKeySize: -1, Headers: []ajp.Header{{Name: "Content-Length", Value: "3"},
			{Name: "X-Odd", Value: "v"}, {Name: CaseHeader, Value: "c1"}}}
	p, err := ajp.AppendForward(nil, req, 8192)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, s.Addr())
	c.Write(p)
	c.Write([]byte{0x12, 0x34, 0, 5, 0, 3, 'a', 'b', 'c'}) // the unasked first body packet
	br := bufio.NewReader(c)
	// GET_BODY_CHUNK once past the end, then the empty packet.
	if pk := readPk(t, br); pk[0] != 6 {
		t.Fatalf("want GET_BODY_CHUNK, got % x", pk)
	}
	c.Write([]byte{0x12, 0x34, 0, 0})
	head := readPk(t, br)
	if !strings.Contains(string(head), "Fine") || head[0] != 4 {
		t.Fatalf("SEND_HEADERS % x", head)
	}
	if b := readPk(t, br); b[0] != 3 || string(b[3:7]) != "0123" {
		t.Fatalf("body % x", b)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("want a close after the cut, got %v", err)
	}
	recs := tab.Records("c1")
	if len(recs) != 1 {
		t.Fatalf("records %d", len(recs))
	}
	for _, want := range []string{`header coded "content-length": "3"`, `header string "X-Odd": "v"`,
		`body-framing content-length "3"`, `body 3 bytes`, `"abc"`} {
		if !strings.Contains(recs[0].Dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, recs[0].Dump)
		}
	}
	if strings.Contains(recs[0].Dump, CaseHeader) {
		t.Errorf("the case header is in the dump:\n%s", recs[0].Dump)
	}
}

func readPk(t *testing.T, br *bufio.Reader) []byte {
	t.Helper()
	var h [4]byte
	if _, err := io.ReadFull(br, h[:]); err != nil || h[0] != 'A' || h[1] != 'B' {
		t.Fatalf("packet head % x: %v", h, err)
	}
	p := make([]byte, int(h[2])<<8|int(h[3]))
	if _, err := io.ReadFull(br, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHTTPDumpAndMisbehave: names keep their spelling, a chunked body is
// noted as such, and the answer goes out byte for byte (two heads).
func TestHTTPDumpAndMisbehave(t *testing.T) {
	tab := NewTable()
	s, err := NewHTTP(tab)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tab.Set("h1", Behaviour{Status: 204, Reason: "No", Headers: []Header{{Name: "x-LOW", Value: "1"}}, Body: []byte("zz"),
		Mode: SecondHead})
	c := dial(t, s.Addr())
	io.WriteString(c, "PUT /p HTTP/1.1\r\nhOsT: a\r\nX-Diff-Case: h1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"+
		"3\r\nabc\r\n0\r\n\r\n")
	got, _ := io.ReadAll(c)
	want := "HTTP/1.1 204 No\r\nx-LOW: 1\r\n\r\nHTTP/1.1 204 No\r\nx-LOW: 1\r\n\r\nzz"
	if string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	d := tab.Records("h1")[0].Dump
	for _, w := range []string{`header "hOsT": "a"`, "body-framing chunked", `"abc"`} {
		if !strings.Contains(d, w) {
			t.Errorf("dump lacks %q:\n%s", w, d)
		}
	}
}
