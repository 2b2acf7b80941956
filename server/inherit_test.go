package server

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestSameAddr: an inherited socket goes to the listener configured with
// its address, written any of the ways jkbalancer.yaml allows.
func TestSameAddr(t *testing.T) {
	v4 := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	any4 := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}
	any6 := &net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}
	cases := []struct {
		addr string
		got  net.Addr
		want bool
	}{
		{"127.0.0.1:8080", v4, true},
		{"localhost:8080", v4, true},
		{"127.0.0.1:http-alt", v4, true},
		{"127.0.0.1:8081", v4, false},
		{"127.0.0.2:8080", v4, false},
		{":8080", v4, false}, // a wildcard listener is not a specific socket
		{":8080", any4, true},
		{":8080", any6, true},
		{"0.0.0.0:8080", any6, true},
		{"[::]:8080", any4, true},
		{"[::1]:8080", v4, false},
		{"127.0.0.1:8080", any4, false},
		{"garbage", v4, false},
		{"127.0.0.1:8080", &net.UnixAddr{Name: "/run/x", Net: "unix"}, false},
	}
	for _, c := range cases {
		if got := sameAddr(c.addr, c.got); got != c.want {
			t.Errorf("sameAddr(%q, %v) = %v, want %v", c.addr, c.got, got, c.want)
		}
	}
}

// TestInheritedTakeAndRest: each socket is taken once, by address; the
// ones no listener took are closed with a warning naming them.
func TestInheritedTakeAndRest(t *testing.T) {
	a, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &inherited{lns: []net.Listener{a, b}}
	if got := p.take(a.Addr().String()); got != a {
		t.Fatalf("take(a) = %v", got)
	}
	if got := p.take(a.Addr().String()); got != nil {
		t.Fatalf("a taken twice")
	}
	defer a.Close()
	var buf bytes.Buffer
	p.closeRest(slog.New(slog.NewTextHandler(&buf, nil)))
	if !strings.Contains(buf.String(), "matches no configured listener") || !strings.Contains(buf.String(), b.Addr().String()) {
		t.Errorf("no warning for the unmatched socket: %q", buf.String())
	}
	b.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second)) // bounded if it is still open
	if _, err := b.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the unmatched socket: %v, want closed", err)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, a.Addr().String()) {
			t.Errorf("the taken socket was warned about: %s", line)
		}
	}
	var nilPool *inherited
	if nilPool.take("127.0.0.1:1") != nil {
		t.Error("a nil pool gave a socket")
	}
	nilPool.closeRest(nil)
}

// TestListenInherited: Listen serves an inherited socket on the listener
// of its address, binds a listener no socket matches as usual, and
// closes a socket no listener names with a warning.
func TestListenInherited(t *testing.T) {
	matched, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stray, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{Listen: []string{matched.Addr().String(), "127.0.0.1:0"}})
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	logBuf := new(syncBuf)
	srv, _ := runServer(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(logBuf, nil)),
		Inherited: []net.Listener{stray, matched}})
	addrs := srv.Addrs()
	if len(addrs) != 2 || addrs[0] != matched.Addr().String() || addrs[1] == stray.Addr().String() ||
		strings.HasSuffix(addrs[1], ":0") {
		t.Fatalf("listeners %v; want %s first (inherited), then a bound one", addrs, matched.Addr())
	}
	resp, err := http.Get("http://" + addrs[0] + "/")
	if err != nil {
		t.Fatalf("the inherited socket is not served: %v", err)
	}
	resp.Body.Close()
	if !strings.Contains(logBuf.String(), "matches no configured listener") || !strings.Contains(logBuf.String(), stray.Addr().String()) {
		t.Errorf("no warning for the stray socket:\n%s", logBuf)
	}
	if !strings.Contains(logBuf.String(), `msg="socket activation: serving inherited sockets" listen=[`+matched.Addr().String()+`]`) {
		t.Errorf("no line naming the inherited socket served:\n%s", logBuf)
	}
	stray.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second)) // bounded if it is still open
	if _, err := stray.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the stray socket: %v, want closed", err)
	}
}
