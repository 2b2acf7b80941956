package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
)

// testServer runs a jkbalancer on 127.0.0.1:0 with the given files.
type testServer struct {
	srv  *Server
	base string
	log  *syncBuf
}

// files maps a file name to its content; "jkbalancer.yaml", when present,
// is the config file, "workers.properties" the workers file.
func startServer(t *testing.T, files map[string]string, mounts ...string) *testServer {
	t.Helper()
	return startServerSources(t, files, []string{"127.0.0.1:0"}, mounts...)
}

func startServerSources(t *testing.T, files map[string]string, listen []string, mounts ...string) *testServer {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := config.Sources{Mounts: mounts, Listen: listen}
	if _, ok := files["jkbalancer.yaml"]; ok {
		src.ConfigFile = filepath.Join(dir, "jkbalancer.yaml")
	}
	if _, ok := files["workers.properties"]; ok {
		src.WorkersFile = filepath.Join(dir, "workers.properties")
	}
	cfg, problems := config.Load(src)
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	return serveTest(t, cfg)
}

// serveTest runs cfg with a text log kept in memory until the test ends.
func serveTest(t *testing.T, cfg *config.Config) *testServer {
	t.Helper()
	logBuf := new(syncBuf)
	srv, _ := runServer(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(logBuf, nil))})
	return &testServer{srv: srv, base: "http://" + srv.Addrs()[0], log: logBuf}
}

// runServer builds, binds and serves cfg until the test ends; stop ends
// it earlier (and may be called again).
func runServer(t testing.TB, cfg *config.Config, opts Options) (srv *Server, stop func()) {
	t.Helper()
	srv, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return srv, stop
}

// syncBuf is a log sink the server's goroutines may write concurrently.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// twoMembers is an lb over two ajptest members t1 and t2.
func twoMembers(t1, t2 *ajptest.Server, extra string) string {
	return "worker.list=lb\n" +
		"worker.t1.host=127.0.0.1\nworker.t1.port=" + portOf(t1) + "\nworker.t1.retries=1\n" +
		"worker.t2.host=127.0.0.1\nworker.t2.port=" + portOf(t2) + "\nworker.t2.retries=1\n" +
		"worker.lb.type=lb\nworker.lb.balance_workers=t1,t2\n" + extra
}

func portOf(s *ajptest.Server) string {
	_, p, _ := net.SplitHostPort(s.Addr())
	return p
}

func get(t *testing.T, url string, hdr ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestMountDispatchAndPathStatuses(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	ts := startServer(t, map[string]string{"workers.properties": twoMembers(t1, t2, "")},
		"/app/*=lb", "!/app/static/*=lb", "/ghost/*=nosuchworker")
	cases := []struct {
		path   string
		status int
	}{
		{"/app/x", 200},
		{"/app/x;jsessionid=A.t1", 200},
		{"/app/static/a.css", 404},         // excluded
		{"/app/..;/app/static/a.css", 404}, // exclusion holds on the normalised path
		{"/app/%2e%2e/app/static/a.css", 404},
		{"/other", 404},         // not mapped
		{"/ghost/x", 500},       // mapped to a worker that does not exist
		{"/app/../../etc", 400}, // climbs above /
		{"/app/a%2Fb", 404},     // encoded slash, like httpd
	}
	for _, c := range cases {
		if got, body, _ := get(t, ts.base+c.path); got != c.status {
			t.Errorf("%s: status %d, want %d (%q)", c.path, got, c.status, body)
		}
	}
}

// TestForwardRequestFields checks what the backend receives, field by
// field, against what mod_jk sends (docs/compat.md#forwarding-a-request).
func TestForwardRequestFields(t *testing.T) {
	seen := make(chan *ajptest.Request, 1)
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		seen <- r
		w.SendHeaders(200)
		w.End(true)
	})
	defer be.Close()
	ts := startServer(t, map[string]string{"workers.properties": "worker.list=w\nworker.w.host=127.0.0.1\nworker.w.port=" +
		portOf(be) + "\nworker.w.secret=s3cret\n"}, "/*=w")
	req, _ := http.NewRequest("GET", ts.base+"/a%20b/x.jsp;jsessionid=S.t1?q=%C3%A9&x", nil)
	req.Host = "www.example.com:8443"
	req.Header.Set("Connection", "X-Hop")
	req.Header.Set("X-Hop", "gone")
	req.Header.Set("Javax.servlet.include.request_uri", "/WEB-INF/web.xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r := <-seen
	checks := []struct{ name, got, want string }{
		{"uri", r.URI, "/a%20b/x.jsp;jsessionid=S.t1"},
		{"query", r.QueryString, "q=%C3%A9&x"},
		{"server name", r.ServerName, "www.example.com"},
		{"secret", r.Secret, "s3cret"},
		{"remote addr", r.RemoteAddr, "127.0.0.1"},
		{"local addr", r.LocalAddr, "127.0.0.1"},
		{"activation", r.Activation, "ACT"},
		{"protocol", r.Protocol, "HTTP/1.1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if r.ServerPort != 8443 || r.RemotePort == "" || r.RemotePort == "0" {
		t.Errorf("server port %d remote port %q", r.ServerPort, r.RemotePort)
	}
	hdr := map[string]string{}
	for _, h := range r.Headers {
		hdr[strings.ToLower(h.Name)] = h.Value
	}
	if hdr["content-length"] != "0" || hdr["host"] != "www.example.com:8443" {
		t.Errorf("content-length %q host %q", hdr["content-length"], hdr["host"])
	}
	if _, ok := hdr["connection"]; ok {
		t.Error("Connection header forwarded")
	}
	if _, ok := hdr["x-hop"]; ok {
		t.Error("header listed in Connection forwarded")
	}
	for _, a := range r.Attributes {
		if strings.HasPrefix(a.Name, "javax.") {
			t.Errorf("client header became an AJP attribute: %s", a.Name)
		}
	}
}

// TestPostFailoverResendsKeptBody: with recovery_options=0 (mod_jk's
// default) a POST whose member died after receiving it is sent to the other
// member with its whole (kept) body; with recovery_options=1 it is not.
func TestPostFailoverResendsKeptBody(t *testing.T) {
	for _, tc := range []struct {
		opts   string
		status int
		t2Saw  int64
	}{
		{"0", 200, 1},
		{"1", 502, 0},
	} {
		dead := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
			// Exactly the declared length, as Tomcat reads a form: asking
			// for body past the end would make the request unrecoverable.
			io.CopyN(io.Discard, r.Body, r.ContentLength)
			w.CloseConn()
		})
		var got string
		alive := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
			b, _ := io.ReadAll(r.Body)
			got = string(b)
			w.SendHeaders(200)
			w.End(true)
		})
		files := map[string]string{"workers.properties": twoMembers(dead, alive,
			"worker.t1.recovery_options="+tc.opts+"\nworker.t2.recovery_options="+tc.opts+"\nworker.lb.sticky_session=1\n")}
		ts := startServer(t, files, "/*=lb")
		req, _ := http.NewRequest("POST", ts.base+"/order", strings.NewReader("item=42&qty=1"))
		req.Header.Set("Cookie", "JSESSIONID=abc.t1") // route to the dying member first
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || alive.Requests() != tc.t2Saw || dead.Requests() != 1 {
			t.Errorf("recovery_options=%s: status %d, t1 saw %d, t2 saw %d; want %d, 1, %d",
				tc.opts, resp.StatusCode, dead.Requests(), alive.Requests(), tc.status, tc.t2Saw)
		}
		if tc.t2Saw == 1 && got != "item=42&qty=1" {
			t.Errorf("replayed body %q", got)
		}
		dead.Close()
		alive.Close()
	}
}

// TestAbortAfterHeaders: when the member dies mid-body the client sees a
// broken response, never a second one appended.
func TestAbortAfterHeaders(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "1000"})
		w.Write([]byte("partial"))
		w.Flush()
		w.CloseConn()
	})
	defer be.Close()
	other := ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer other.Close()
	ts := startServer(t, map[string]string{"workers.properties": twoMembers(be, other, "")}, "/*=lb")
	resp, err := http.Get(ts.base + "/x")
	if err != nil {
		t.Fatal(err)
	}
	b, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr == nil || string(b) != "partial" || other.Requests() != 0 {
		t.Fatalf("body %q read error %v; other member saw %d requests", b, rerr, other.Requests())
	}
}

func TestRequestLogFormat(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "req.log")
	yaml := "workers_file: workers.properties\nmounts: [\"/*=lb\"]\nlog:\n  request_format: \"w=%w R=%R s=%s U=%U q=%q m=%m\"\n  request_file: " + logFile + "\n"
	ts := startServer(t, map[string]string{"workers.properties": twoMembers(t1, t2, ""), "jkbalancer.yaml": yaml})
	get(t, ts.base+"/a/./b;jsessionid=x.t2?k=v", "Cookie", "JSESSIONID=x.t2")
	get(t, ts.base+"/missing/../..")
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("log lines: %q", lines)
	}
	if !strings.HasSuffix(lines[0], "] w=lb R=t2 s=200 U=/a/b q=?k=v m=GET") || lines[0][0] != '[' {
		t.Errorf("line 1: %q", lines[0])
	}
	if !strings.HasSuffix(lines[1], "w=- R=- s=400 U=- q= m=GET") {
		t.Errorf("line 2: %q", lines[1])
	}
}

// TestRequestLogMemberAfterFailover: after a sticky request fails over,
// %R stays the route sent first, as mod_jk logs it, and %M names the
// member that answered.
func TestRequestLogMemberAfterFailover(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t2.Close()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "req.log")
	yaml := "workers_file: workers.properties\nmounts: [\"/*=lb\"]\nlog:\n  request_format: \"R=%R M=%M s=%s\"\n  request_file: " + logFile + "\n"
	ts := startServer(t, map[string]string{"workers.properties": twoMembers(t1, t2, ""), "jkbalancer.yaml": yaml})
	t1.Close() // the session's member is gone: the lb fails over to t2
	get(t, ts.base+"/a", "Cookie", "JSESSIONID=x.t1")
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if line := strings.TrimSpace(string(b)); !strings.HasSuffix(line, "] R=t1 M=t2 s=200") {
		t.Errorf("log line %q, want R=t1 M=t2 s=200", line)
	}
}

func TestShutdownDrainsInFlight(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		close(started)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.SendHeaders(200)
		w.Write([]byte("done"))
		w.End(true)
	})
	defer be.Close()
	cfg, problems := config.Load(config.Sources{Mounts: []string{"/*=w"}, Listen: []string{"127.0.0.1:0"},
		WorkersFile: writeTemp(t, "worker.list=w\nworker.w.host=127.0.0.1\nworker.w.port="+portOf(be)+"\n")})
	if cfg == nil {
		t.Fatal(problems)
	}
	srv, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	result := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + srv.Addrs()[0] + "/slow")
		if err != nil {
			result <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		result <- string(b)
	}()
	<-started
	cancel() // SIGTERM: stop accepting, let the request finish
	close(release)
	if got := <-result; got != "done" {
		t.Fatalf("in-flight request got %q", got)
	}
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after drain")
	}
}

func writeTemp(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "workers.properties")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
