package server

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"

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
