// Command member is jkbalancer's own backend for failure tests and load
// runs: an AJP13 (and optionally HTTP) server that answers like a Tomcat
// with a jvmRoute, as a separate process so tests can SIGKILL and SIGSTOP
// it. Traffic stays on the addresses it is given (loopback in the tests).
//
// Every request answers 200 with a body of -size bytes (the route and
// request line first), sets JSESSIONID=<id>.<route> when the request has
// no session, and sends X-Route. Paths with special meaning:
//
//	/die       exit the process right after receiving the request (the
//	           "member died after the POST reached it" case)
//	/slow?ms=N answer after N milliseconds
//	/status?code=N answer with status N
//
// With -log FILE every request is appended as "METHOD URI" before it is
// answered, so a test can count what the backend really saw.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type member struct {
	route  string
	body   []byte
	seq    atomic.Uint64
	bodies sync.Map // int -> []byte
	mu     sync.Mutex
	logF   *os.File
	secret string
}

func main() {
	ajpAddr := flag.String("ajp", "127.0.0.1:18009", "AJP listen address")
	httpAddr := flag.String("http", "", "HTTP listen address ('' = none)")
	route := flag.String("route", "t1", "jvmRoute appended to session ids")
	size := flag.Int("size", 64, "response body size in bytes")
	logPath := flag.String("log", "", "append one line per request to this file")
	secret := flag.String("secret", "", "required AJP secret ('' = none)")
	flag.Parse()

	m := &member{route: *route, body: makeBody(*size), secret: *secret}
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			log.Fatal(err)
		}
		m.logF = f
	}
	ln, err := net.Listen("tcp", *ajpAddr)
	if err != nil {
		log.Fatal(err)
	}
	go func() { log.Fatal(m.serveAJP(ln)) }()
	if *httpAddr != "" {
		go func() { log.Fatal(http.ListenAndServe(*httpAddr, http.HandlerFunc(m.serveHTTP))) }()
	}
	fmt.Printf("member %s ajp=%s http=%s\n", m.route, ln.Addr(), *httpAddr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}

func makeBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

// record writes the request line before anything is answered.
func (m *member) record(method, uri string) {
	if m.logF == nil {
		return
	}
	m.mu.Lock()
	fmt.Fprintf(m.logF, "%s %s\n", method, uri)
	m.mu.Unlock()
}

// behave applies the special paths; it returns the status to answer with.
func (m *member) behave(uri, query string) int {
	switch uri {
	case "/die":
		os.Exit(3)
	case "/slow":
		ms, _ := strconv.Atoi(strings.TrimPrefix(query, "ms="))
		time.Sleep(time.Duration(ms) * time.Millisecond)
	case "/status":
		if code, err := strconv.Atoi(strings.TrimPrefix(query, "code=")); err == nil {
			return code
		}
	}
	return http.StatusOK
}

// bodyFor returns the response body for a query: "size=N" anywhere in it
// asks for N bytes instead of -size (bodies are built once per size).
func (m *member) bodyFor(query string) []byte {
	i := strings.Index(query, "size=")
	if i < 0 {
		return m.body
	}
	v := query[i+len("size="):]
	if j := strings.IndexByte(v, '&'); j >= 0 {
		v = v[:j]
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 64<<20 {
		return m.body
	}
	if b, ok := m.bodies.Load(n); ok {
		return b.([]byte)
	}
	b, _ := m.bodies.LoadOrStore(n, makeBody(n))
	return b.([]byte)
}

func (m *member) newSession() string {
	return fmt.Sprintf("JSESSIONID=%016X.%s; Path=/; HttpOnly", m.seq.Add(1), m.route)
}

func (m *member) serveHTTP(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, r.Body)
	m.record(r.Method, r.URL.Path)
	status := m.behave(r.URL.Path, r.URL.RawQuery)
	head := fmt.Sprintf("route=%s method=%s uri=%s body=%d\n", m.route, r.Method, r.URL.Path, n)
	h := w.Header()
	h.Set("Content-Type", "text/plain")
	h.Set("X-Route", m.route)
	body := m.bodyFor(r.URL.RawQuery)
	h.Set("Content-Length", strconv.Itoa(len(head)+len(body)))
	if _, err := r.Cookie("JSESSIONID"); err != nil {
		h.Add("Set-Cookie", m.newSession())
	}
	w.WriteHeader(status)
	io.WriteString(w, head)
	w.Write(body)
}
