package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// compileAllow reads worker.NAME.allow (docs/config.md#status-worker-keys):
// addresses and CIDR blocks. Every invalid entry is its own error naming
// its line, so an operator sees all of them at once.
func compileAllow(r attrReader) []netip.Prefix {
	toks := r.list("allow")
	if len(toks) == 0 {
		return nil
	}
	out := make([]netip.Prefix, 0, len(toks))
	for _, t := range toks {
		p, err := ParseAllowEntry(t.Text)
		if err != nil {
			r.c.Errorf(t.Pos, r.name, "allow", "%v", err)
			continue
		}
		out = append(out, p)
	}
	return out
}

// ParseAllowEntry reads one allow entry: an IPv4 or IPv6 address (one
// host) or a CIDR block. Host bits after the prefix length are cleared; an
// IPv4-mapped IPv6 entry (::ffff:10.0.0.0/104) becomes the IPv4 block it
// names, as client addresses are compared unmapped. Zones are refused: a
// client address never carries one the entry could match.
func ParseAllowEntry(s string) (netip.Prefix, error) {
	if strings.Contains(s, "%") {
		return netip.Prefix{}, fmt.Errorf("allow entry %q has a zone (%%...): give the address or block without it", s)
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("allow entry %q is not an address or CIDR block (10.0.0.0/8, fd00::/8)", s)
		}
		a, bits := p.Addr(), p.Bits()
		if a.Is4In6() && bits >= 96 {
			a, bits = a.Unmap(), bits-96
		}
		return netip.PrefixFrom(a, bits).Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("allow entry %q is not an address or CIDR block (127.0.0.1, ::1, 10.0.0.0/8)", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// AllowsAddr reports whether addr (a host:port or a bare address, as
// http.Request.RemoteAddr holds it) is in one of the blocks. An address
// that does not parse (a Unix socket peer) is not allowed.
func AllowsAddr(blocks []netip.Prefix, addr string) bool {
	a, ok := peerAddr(addr)
	if !ok {
		return false
	}
	for _, p := range blocks {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr parses a RemoteAddr without allocating.
func peerAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}
