package server

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

// cannedHTTPMember is a keep-alive HTTP/1.1 member that answers every
// request with the same bytes (what bench/member sends, less the Date,
// plus extra fields) and allocates nothing per request, so a benchmark
// counts jkbalancer's allocations only.
func cannedHTTPMember(tb testing.TB, route string, body int, extra string) string {
	tb.Helper()
	reply := fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nSet-Cookie: JSESSIONID=S0123456789.%s; Path=/\r\nX-Route: %s\r\n"+
		"Content-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n", route, route, body, extra)
	reply = append(reply, bytes.Repeat([]byte{'a'}, body)...)
	return testutil.CannedHTTP(tb, reply)
}

// benchmarkFrontLB measures keep-alive GETs of 64 bytes through a real
// listener (server/h1), an lb with sticky_session over two members of
// type typ ("http" or "ajp13"), as bench/run's jkbalancer targets are set
// up. The client reads each response with a few slices of its own
// buffer, so allocs/op are jkbalancer's, both sides of it.
func benchmarkFrontLB(b *testing.B, typ, cookie string) { benchmarkFrontLBWith(b, typ, cookie, "") }

// benchmarkFrontLBWith is benchmarkFrontLB with extra fields in the
// HTTP members' responses.
func benchmarkFrontLBWith(b *testing.B, typ, fields, memberFields string) {
	var w bytes.Buffer
	fmt.Fprintf(&w, "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=t1,t2\nworker.lb.sticky_session=1\n")
	for _, route := range []string{"t1", "t2"} {
		var addr string
		if typ == "http" {
			addr = cannedHTTPMember(b, route, 64, memberFields)
		} else {
			addr = newCannedMember(b, 64).ln.Addr().String()
		}
		_, port, _ := net.SplitHostPort(addr)
		fmt.Fprintf(&w, "worker.%s.type=%s\nworker.%s.host=127.0.0.1\nworker.%s.port=%s\nworker.%s.route=%s\n",
			route, typ, route, route, port, route, route)
	}
	dir := b.TempDir()
	path := filepath.Join(dir, "workers.properties")
	if err := os.WriteFile(path, w.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	c, br := benchClient(b, config.Sources{WorkersFile: path, Mounts: []string{"/*=lb"}, Listen: []string{"127.0.0.1:0"}})
	req := []byte("GET /b?size=64 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" + fields + "\r\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if err := readCanned(br); err != nil {
			b.Fatal(err)
		}
	}
}

// benchClient serves the configuration src loads (a listener on
// loopback, no log) and returns a client's connection to it; both end
// with b.
func benchClient(b *testing.B, src config.Sources) (net.Conn, *bufio.Reader) {
	b.Helper()
	cfg, problems := config.Load(src)
	if cfg == nil {
		b.Fatal(problems)
	}
	srv, _ := runServer(b, cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	c, err := net.Dial("tcp", srv.Addrs()[0])
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() }) // before runServer's stop
	return c, bufio.NewReader(c)
}

// readCanned reads one response of status 200 with a Content-Length,
// allocating nothing.
func readCanned(br *bufio.Reader) error {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q", line)
	}
	length := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			length, _ = strconv.Atoi(string(v))
		}
	}
	if length < 0 {
		return fmt.Errorf("no Content-Length")
	}
	_, err = br.Discard(length)
	return err
}

// BenchmarkFrontLBHTTP is bench/run's jkbalancer-http case in process:
// client, h1, lb, http member and back, no session cookie.
func BenchmarkFrontLBHTTP(b *testing.B) { benchmarkFrontLB(b, "http", "") }

// BenchmarkFrontLBHTTPSticky is the same with a session cookie naming t2.
func BenchmarkFrontLBHTTPSticky(b *testing.B) {
	benchmarkFrontLB(b, "http", "Cookie: JSESSIONID=S0123456789.t2\r\n")
}

// BenchmarkFrontLBAJP is bench/run's jkbalancer-ajp case in process.
func BenchmarkFrontLBAJP(b *testing.B) { benchmarkFrontLB(b, "ajp13", "") }

// BenchmarkFrontLBHTTPBrowser is a browser's kept-alive GET (Connection:
// keep-alive, client hints in lower case, a session cookie naming t1)
// through an http member answering with Tomcat's keep-alive fields.
func BenchmarkFrontLBHTTPBrowser(b *testing.B) {
	benchmarkFrontLBWith(b, "http", browserFields, "Keep-Alive: timeout=20\r\nConnection: keep-alive\r\n")
}

// BenchmarkFrontLBAJPBrowser is the same GET to an AJP member.
func BenchmarkFrontLBAJPBrowser(b *testing.B) { benchmarkFrontLBWith(b, "ajp13", browserFields, "") }

const browserFields = "Connection: keep-alive\r\nsec-ch-ua: \"Chromium\";v=\"131\"\r\nsec-ch-ua-mobile: ?0\r\n" +
	"sec-ch-ua-platform: \"Linux\"\r\nUpgrade-Insecure-Requests: 1\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n" +
	"Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\nSec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\n" +
	"Sec-Fetch-User: ?1\r\nSec-Fetch-Dest: document\r\nAccept-Encoding: gzip, deflate, br\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\nCookie: JSESSIONID=S0123456789.t1\r\n"
