package h1

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// TestParseOriginMatchesNetURL: wherever parseOrigin takes a target, it
// makes the URL url.ParseRequestURI makes, for every byte in the path and
// in the query; and it takes the targets clients mostly send.
func TestParseOriginMatchesNetURL(t *testing.T) {
	targets := []string{"/", "/app/items/list.jsp?page=2", "/a?", "/a??", "/a?b?c", "/?", "/a;jsessionid=X.t1",
		"/a/b.c/~d/e-f_g/$&+,:;=@", "/a?x=1&y=%41+b", "//x/y", "/a%20b", "/a b", "/a#f", "/ä", "/a?ä", "*", "http://h/x"}
	for c := 0; c < 256; c++ {
		b := string(rune(c))
		if c >= 0x80 {
			b = string([]byte{byte(c)})
		}
		targets = append(targets, "/a"+b+"z", "/a?q="+b, "/"+b)
	}
	taken := 0
	for _, target := range targets {
		var got url.URL
		if !parseOrigin(&got, target) {
			continue
		}
		taken++
		want, err := url.ParseRequestURI(target)
		if err != nil {
			t.Errorf("%q: taken, but url.ParseRequestURI refuses it: %v", target, err)
			continue
		}
		if !reflect.DeepEqual(&got, want) {
			t.Errorf("%q: %#v, url.ParseRequestURI %#v", target, got, *want)
		}
	}
	for _, target := range []string{"/", "/app/items/list.jsp?page=2", "/a;jsessionid=X.t1", "/a?x=1&y=%41+b"} {
		if !parseOrigin(new(url.URL), target) {
			t.Errorf("%q not taken", target)
		}
	}
	if taken < 100 {
		t.Errorf("only %d targets taken", taken)
	}
}

// TestKeptConnectionHeadAllocs: the second and later requests of a kept
// connection that repeat the target and the field values (common field
// names) allocate nothing to read their head: the strings of the last
// request are reused, the URL is the connection's own.
func TestKeptConnectionHeadAllocs(t *testing.T) {
	const head = "GET /app/items/list.jsp?page=2 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench/1\r\n" +
		"Accept: */*\r\nCookie: JSESSIONID=S0123.t1\r\n\r\n"
	sr := strings.NewReader(head)
	c := &conn{srv: &Server{}, br: bufio.NewReader(sr), tmpl: (&http.Request{}).WithContext(context.Background())}
	var r *http.Request
	read := func() {
		sr.Reset(head)
		c.br.Reset(sr)
		r = c.newRequest()
		if status, reason := c.readHead(r); status != 0 {
			t.Fatal(status, reason)
		}
	}
	read()
	want, _ := url.ParseRequestURI("/app/items/list.jsp?page=2")
	if !reflect.DeepEqual(r.URL, want) || r.RequestURI != "/app/items/list.jsp?page=2" || r.Host != "example.com" ||
		r.Header.Get("Cookie") != "JSESSIONID=S0123.t1" || r.Header.Get("Accept") != "*/*" || len(r.Header) != 3 {
		t.Fatalf("URL %#v, RequestURI %q, Host %q, header %v", r.URL, r.RequestURI, r.Host, r.Header)
	}
	if n := testing.AllocsPerRun(100, read); n != 0 {
		t.Errorf("%v allocations per repeated head, want 0", n)
	}
	// A different value is a new string, not the last request's.
	other := strings.Replace(head, "S0123", "S4567", 1)
	sr.Reset(other)
	c.br.Reset(sr)
	r = c.newRequest()
	if status, _ := c.readHead(r); status != 0 || r.Header.Get("Cookie") != "JSESSIONID=S4567.t1" {
		t.Fatalf("status %d, Cookie %q", status, r.Header.Get("Cookie"))
	}
}

// TestKeptConnectionBrowserHeadAllocs: a browser's repeated head, with
// names that are not common ones and names in lower case, allocates
// nothing from its second request on, and the names come out right also
// when the next request has other fields in other places.
func TestKeptConnectionBrowserHeadAllocs(t *testing.T) {
	const head = "GET / HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive\r\nsec-ch-ua: \"Chromium\";v=\"131\"\r\n" +
		"sec-ch-ua-mobile: ?0\r\nsec-ch-ua-platform: \"Linux\"\r\nUpgrade-Insecure-Requests: 1\r\nUser-Agent: Mozilla/5.0\r\n" +
		"Sec-Fetch-User: ?1\r\nX-Custom-Thing: 1\r\naccept-language: en\r\n\r\n"
	sr := strings.NewReader(head)
	c := &conn{srv: &Server{}, br: bufio.NewReader(sr), tmpl: (&http.Request{}).WithContext(context.Background())}
	read := func(text string) *http.Request {
		sr.Reset(text)
		c.br.Reset(sr)
		r := c.newRequest()
		if status, reason := c.readHead(r); status != 0 {
			t.Fatal(status, reason)
		}
		return r
	}
	names := func() string {
		var b strings.Builder
		for i := range c.fields.Len() {
			key, name := c.fields.At(i)
			b.WriteString(key + "=" + name + " ")
		}
		return b.String()
	}
	read(head)
	want := names()
	if n := testing.AllocsPerRun(100, func() { read(head) }); n != 0 {
		t.Errorf("%v allocations per repeated browser head, want 0", n)
	}
	if got := names(); got != want || !strings.Contains(got, "Sec-Ch-Ua-Mobile=sec-ch-ua-mobile ") {
		t.Errorf("names %q, first time %q", got, want)
	}
	// Other fields in the places of the last ones: their own names.
	r := read("GET / HTTP/1.1\r\nHost: example.com\r\nSEC-CH-UA: x\r\nX-Other: 2\r\nsec-ch-ua-mobile: ?1\r\n\r\n")
	if got := names(); got != "Host=Host Sec-Ch-Ua=SEC-CH-UA X-Other=X-Other Sec-Ch-Ua-Mobile=sec-ch-ua-mobile " ||
		r.Header.Get("X-Other") != "2" || r.Header.Get("Sec-Ch-Ua-Mobile") != "?1" {
		t.Errorf("names %q, header %v", got, r.Header)
	}
}
