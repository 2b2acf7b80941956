//go:build integration

// The request half of the generated differential harness: seeded,
// deterministic raw HTTP requests. {{HOST}} stands for the proxy's own
// host:port and {{CASE}} for the case id; the runner fills both in per
// proxy, so both proxies get the same bytes otherwise.

package server

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// pick returns one of xs, chosen by weight (xs[i] has weight ws[i]).
func genPick[T any](r *rand.Rand, xs []T, ws []int) T {
	total := 0
	for _, w := range ws {
		total += w
	}
	n := r.IntN(total)
	for i, w := range ws {
		if n < w {
			return xs[i]
		}
		n -= w
	}
	return xs[len(xs)-1]
}

func genPickOne[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

var (
	genMethods       = []string{"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND", "FOO", "get", "TRACE", "CONNECT"}
	genMethodWeights = []int{30, 15, 10, 6, 5, 5, 3, 2, 2, 1, 1, 1}
	genSegments      = []string{"a", "b", "app", "x.jsp", "%7Euser", "a%20b", "%C3%A9", "x+y", "%25", "%2F", "%2e%2e", "..", ".", "",
		";jsessionid=ABC.m1", "s;jsessionid=XYZ.m1", "p;q=1", "%3B", "!$&'()*,=:@", "%00", "\xc3\xa9", "A%2fb", "index.html"}
	genQueries = []string{"a=1", "b=%20z", "a=1&a=2", "%zz", `q="x"`, "<d>", "\xc3\xa9=1", "empty=", "=v", "x=%00",
		"jsessionid=Q.m1", "a+b=c+d", "%26=%3D", "k=v;w"}
)

// genRequest builds one raw request. lb says the path goes to the lb
// mount (/lb/...).
func genRequest(r *rand.Rand, lb bool) string {
	method := genPick(r, genMethods, genMethodWeights)
	target := genTarget(r, lb)
	if method == "CONNECT" {
		target = genPickOne(r, "{{HOST}}", "www.example.com:443")
	}
	proto := genPick(r, []string{"HTTP/1.1", "HTTP/1.0"}, []int{85, 15})
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\r\n", method, target, proto)
	var hs []string
	switch host := r.IntN(20); {
	case proto == "HTTP/1.0" && host < 10:
	case host < 17:
		hs = append(hs, "Host: {{HOST}}")
	case host < 18:
		hs = append(hs, "Host: EXAMPLE.com.")
	case host < 19:
		hs = append(hs, "host: www.example.com:8080")
	default:
		hs = append(hs, "Host: www.example.com")
	}
	hs = append(hs, "X-Diff-Case: {{CASE}}")
	for range r.IntN(6) {
		hs = append(hs, genHeader(r)...)
	}
	r.Shuffle(len(hs)-1, func(i, j int) { hs[i+1], hs[j+1] = hs[j+1], hs[i+1] })
	body := genBody(r, method, &hs)
	if proto == "HTTP/1.1" {
		// Mostly the close; without it the client probes whether the
		// proxy kept the connection (genExchange).
		if c := genPick(r, []string{"Connection: close", "connection: Close", "Connection: close, TE", ""}, []int{14, 2, 2, 4}); c != "" {
			hs = append(hs, c)
		}
	}
	for _, h := range hs {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return b.String()
}

func genTarget(r *rand.Rand, lb bool) string {
	var p strings.Builder
	if lb {
		p.WriteString("/lb")
	}
	for range 1 + r.IntN(4) {
		p.WriteString("/" + genPickOne(r, genSegments...))
	}
	if r.IntN(8) == 0 {
		p.WriteString("/") // a trailing slash, or // after an empty segment
	}
	switch q := r.IntN(10); {
	case q < 5:
	case q < 6:
		p.WriteString("?")
	default:
		var qs []string
		for range 1 + r.IntN(3) {
			qs = append(qs, genPickOne(r, genQueries...))
		}
		p.WriteString("?" + strings.Join(qs, "&"))
	}
	return p.String()
}

// genHeader returns one header line, or a group (repeats).
func genHeader(r *rand.Rand) []string {
	switch r.IntN(22) {
	case 0:
		return []string{"User-Agent: gen/1.0 (differential)"}
	case 1:
		return []string{"Accept: */*"}
	case 2:
		return []string{"accept-language: en, ko;q=0.5"}
	case 3:
		return []string{"X-Custom: a", "X-Custom: b"}
	case 4:
		return []string{"X-UPPER: 1"}
	case 5:
		return []string{"x-lower: 2"}
	case 6:
		return []string{"X-MiXeD-CaSe: 3"}
	case 7:
		return []string{"Cookie: a=1"}
	case 8:
		return []string{"Cookie: a=1", "Cookie: b=2"}
	case 9:
		return []string{"Cookie: JSESSIONID=C00KIE.m1; other=x"}
	case 10:
		return []string{"Referer: http://r.example/?a=b&c"}
	case 11:
		return []string{"X-Empty:"}
	case 12:
		return []string{"X-Spaces:   padded  value   "}
	case 13:
		return []string{"Authorization: Basic Zm9vOmJhcg=="}
	case 14:
		return []string{"Pragma: no-cache"}
	case 15:
		return []string{"Accept-Encoding: gzip, deflate"}
	case 16:
		return []string{`If-None-Match: "v1"`}
	case 17:
		return []string{"X-Forwarded-For: 10.0.0.1"}
	case 18:
		return []string{"X-High: caf\xc3\xa9"}
	case 19:
		return []string{"accept: text/html", "Accept: text/plain"}
	case 20:
		return []string{"Cache-Control: max-age=0"}
	default:
		return []string{"X-Tab:\tv\t1"}
	}
}

// genBody appends the body's framing headers to hs and returns the body.
func genBody(r *rand.Rand, method string, hs *[]string) string {
	wants := method == "POST" || method == "PUT" || method == "PATCH"
	if !wants && r.IntN(10) != 0 {
		return ""
	}
	n := genPickOne(r, 0, 1, 12, 100, 3000, 9000, 20000)
	data := genBytes(r, n)
	form := r.IntN(3) == 0
	if form {
		*hs = append(*hs, "Content-Type: application/x-www-form-urlencoded")
		data = genForm(n)
	} else if r.IntN(2) == 0 {
		*hs = append(*hs, "Content-Type: text/plain")
	}
	switch k := r.IntN(10); {
	case k < 6:
		*hs = append(*hs, fmt.Sprintf("Content-Length: %d", len(data)))
		return data
	case k < 8:
		*hs = append(*hs, fmt.Sprintf("Content-Length: %d", len(data)), "Expect: 100-continue")
		return data
	default:
		*hs = append(*hs, "Transfer-Encoding: chunked")
		return genChunked(r, data)
	}
}

func genBytes(r *rand.Rand, n int) string {
	const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n"
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[r.IntN(len(alpha))]
	}
	return string(b)
}

func genForm(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte('&')
		}
		fmt.Fprintf(&b, "k%d=v%d%%C3%%A9", i, i)
	}
	return b.String()
}

func genChunked(r *rand.Rand, data string) string {
	var b strings.Builder
	for len(data) > 0 {
		n := min(len(data), 1+r.IntN(5000))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, data[:n])
		data = data[n:]
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}
