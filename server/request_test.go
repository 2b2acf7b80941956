package server

import (
	"crypto/tls"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"unsafe"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestServerNamePort: the AJP server name and port come from Host, then
// the configured server name, then the local address, with the scheme's
// port when none says one (mod_jk takes httpd's ServerName and port).
func TestServerNamePort(t *testing.T) {
	for _, c := range []struct {
		host, serverName string
		tls              bool
		wantName         string
		wantPort         int
	}{
		{"shop.example:8080", "", false, "shop.example", 8080},
		{"shop.example", "", false, "shop.example", 80},
		{"shop.example", "", true, "shop.example", 443},
		{"shop.example", "front.example:81", false, "shop.example", 81},
		{"[::1]:8443", "", false, "::1", 8443},
		{"[::1]", "", false, "::1", 80},
		// httpd's fix_hostname: lowercased, one trailing dot dropped.
		{"EXAMPLE.com.", "", false, "example.com", 80},
		{"EXAMPLE.com.:8080", "", false, "example.com", 8080},
		{"[::A]:99", "", false, "::a", 99},
		{"10.0.0.1.", "", false, "10.0.0.1", 80},
		{"a_b.c", "", false, "a_b.c", 80},
		{"shop.example:0", "", false, "shop.example", 80},
		{"", "front.example:81", false, "front.example", 81},
		{"", "", false, "10.0.0.7", 9009},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = c.host
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		srv := &config.Server{ServerName: c.serverName}
		name, port := serverNamePort(r, srv, "10.0.0.7", "9009")
		if name != c.wantName || port != c.wantPort {
			t.Errorf("Host %q, server name %q, TLS %v: got %s %d, want %s %d",
				c.host, c.serverName, c.tls, name, port, c.wantName, c.wantPort)
		}
	}
}

// TestServerNamePortWithoutPortAllocatesNothing: a Host without a port is
// what browsers send; working it out must not allocate error values.
func TestServerNamePortWithoutPortAllocatesNothing(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "shop.example"
	srv := &config.Server{}
	if n := testing.AllocsPerRun(100, func() { serverNamePort(r, srv, "10.0.0.7", "9009") }); n != 0 {
		t.Errorf("%v allocations per request", n)
	}
}

// TestConnAddrSplitsRemoteOnce: a connection's remote address is split at
// its first request, and later requests get the same strings back (they
// point into the first request's RemoteAddr), unless a handler in front
// changed RemoteAddr.
func TestConnAddrSplitsRemoteOnce(t *testing.T) {
	a := newConnAddr(&net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 8009})
	first := "192.0.2.7:4711"
	ip, port := a.remote(first)
	if ip != "192.0.2.7" || port != "4711" {
		t.Fatalf("%q %q", ip, port)
	}
	again := strings.Clone(first)
	ip2, port2 := a.remote(again)
	if ip2 != ip || port2 != port || unsafe.StringData(ip2) != unsafe.StringData(first) {
		t.Errorf("second request: %q %q, split again instead of reused", ip2, port2)
	}
	if ip, port := a.remote("[2001:db8::1]:7"); ip != "2001:db8::1" || port != "7" {
		t.Errorf("a changed RemoteAddr: %q %q", ip, port)
	}
	if ip, port := (*connAddr)(nil).remote("203.0.113.5:80"); ip != "203.0.113.5" || port != "80" {
		t.Errorf("no connection: %q %q", ip, port)
	}
}
