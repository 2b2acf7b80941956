package server

import (
	"log/slog"
	"net"
	"strconv"
)

// inherited holds the listening sockets of systemd's socket activation
// until Listen hands them to the configured listeners
// (docs/deploy.md#socket-activation). A nil *inherited is an empty pool.
type inherited struct {
	lns   []net.Listener // nil once taken or closed
	taken []string       // the addresses served from an inherited socket
}

// take removes and returns the inherited socket bound to the address a
// listener is configured with, nil when there is none (the listener is
// then bound as without socket activation).
func (p *inherited) take(addr string) net.Listener {
	if p == nil {
		return nil
	}
	for i, ln := range p.lns {
		if ln != nil && sameAddr(addr, ln.Addr()) {
			p.lns[i] = nil
			p.taken = append(p.taken, ln.Addr().String())
			return ln
		}
	}
	return nil
}

// closeRest logs which listeners serve inherited sockets and closes the
// sockets no listener took, each with a warning (log nil: quietly, when
// Listen failed anyway). systemd keeps its own copy open: closing ours
// refuses nobody.
func (p *inherited) closeRest(log *slog.Logger) {
	if p == nil {
		return
	}
	if log != nil && len(p.taken) > 0 {
		log.Info("socket activation: serving inherited sockets", "listen", p.taken)
	}
	for i, ln := range p.lns {
		if ln == nil {
			continue
		}
		if log != nil {
			log.Warn("socket activation: inherited socket matches no configured listener; not served",
				"addr", ln.Addr().String())
		}
		ln.Close()
		p.lns[i] = nil
	}
	p.lns = nil
}

// sameAddr reports whether the configured address addr ("host:port",
// ":port", "[::]:port") names the bound address got. Ports must be equal;
// an empty or unspecified host matches only a wildcard socket; a host
// name matches when it resolves to got's address.
func sameAddr(addr string, got net.Addr) bool {
	ta, ok := got.(*net.TCPAddr)
	if !ok {
		return false
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	port, err := net.LookupPort("tcp", portStr)
	if err != nil || port != ta.Port {
		return false
	}
	if host == "" {
		return ta.IP.IsUnspecified()
	}
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsUnspecified() {
			return ta.IP.IsUnspecified()
		}
		return ip.Equal(ta.IP)
	}
	r, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	return err == nil && r.IP.Equal(ta.IP)
}
