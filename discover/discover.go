// Package discover finds the members of an lb in DNS (worker.LB.discover,
// config/discover.go). mod_jk resolves a member's host once, at startup;
// an lb in front of a Kubernetes StatefulSet needs its members to follow
// the pods. So an lb may name a DNS name, and every discover_interval
// seconds it is asked for again (loop.go). Each answer becomes one member:
//
//   - SRV: one member per record, at the record's port; its route is the
//     first label of the target ("tomcat-0.tomcat.ns.svc.cluster.local."
//     gives "tomcat-0", the pod name a StatefulSet's Tomcat takes as its
//     jvmRoute);
//   - A/AAAA: one member per address, at the configured port; its route
//     is the first label of the address's PTR name, or the address itself
//     with '.' and ':' turned into '-' ("10.0.0.7" gives "10-0-0-7", the
//     form Kubernetes gives pods in DNS) when there is no PTR record.
//
// The member's worker name is "<lb>/<route>": no workers.properties name
// can hold '/', and it stays the same as long as the route does, so lb
// state, counters, metrics, status worker edits and the state file follow
// the member from one resolution to the next.
//
// When the set of members changes, the server reloads (Owner.ReloadLocked)
// with the configuration as loaded plus the members found, so the reload's
// guarantees hold: requests in flight finish, unchanged members keep
// their pools and their state, removed members are closed after their
// requests; a session whose member is gone fails over as it would for a
// member removed from workers.properties.
//
// What to ask, how often, how answers become members and what the metrics
// say live here; putting a configuration to use is the owner's (Owner,
// implemented by the server), so this package does not import server.
package discover

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
)

// Resolver is what member discovery asks DNS. *net.Resolver implements
// it; tests inject answers.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// found is one discovered member.
type found struct {
	route string // the first label of host, or the address in DNS form
	// collided is the route this member was named after when another
	// member had it first (uniqueRoutes); "" otherwise.
	collided string
	host     string // the host name it came from ("" when none)
	ip       string
	port     int
}

// errEmpty is an answer without any member: NXDOMAIN, no records, or no
// address for them.
var errEmpty = errors.New("DNS gave no member")

// lookupMembers asks DNS for the members of one lb, sorted by route.
func lookupMembers(ctx context.Context, r Resolver, d *config.Discover) ([]found, error) {
	var out []found
	var err error
	if d.Kind == config.DiscoverSRV {
		out, err = lookupSRV(ctx, r, d)
	} else {
		out, err = lookupA(ctx, r, d)
	}
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return nil, errEmpty
		}
		return nil, err
	}
	if len(out) == 0 {
		return nil, errEmpty
	}
	return uniqueRoutes(out), nil
}

// lookupSRV resolves the SRV records and each target's address. A
// target that does not resolve fails the whole lookup, so the current
// members stay: a member is removed only by an answer that lacks it.
func lookupSRV(ctx context.Context, r Resolver, d *config.Discover) ([]found, error) {
	_, srvs, err := r.LookupSRV(ctx, "", "", d.Name)
	if err != nil {
		return nil, err
	}
	out := make([]found, 0, len(srvs))
	for _, s := range srvs {
		host := strings.TrimSuffix(s.Target, ".")
		if host == "" || s.Port == 0 { // "." means: no service here (RFC 2782)
			continue
		}
		addrs, err := r.LookupIPAddr(ctx, host)
		if err != nil {
			// %v: a target without an address is a failed lookup, not
			// an empty answer (NXDOMAIN of the name asked).
			return nil, fmt.Errorf("SRV target %s: %v", host, err)
		}
		ip := pickAddr(addrs, d.Member.PreferIPv6)
		if ip == "" {
			return nil, fmt.Errorf("SRV target %s: no address", host)
		}
		out = append(out, found{route: firstLabel(host), host: host, ip: ip, port: int(s.Port)})
	}
	return out, nil
}

// lookupA resolves the addresses of the name, one family (IPv4 unless
// the template says prefer_ipv6, the other when the preferred one has
// none: a dual-stack pod must not become two members), and names each
// by its PTR record. A PTR lookup that fails for another reason than
// "no such name" fails the lookup: the route must not flip between a
// name and an address.
func lookupA(ctx context.Context, r Resolver, d *config.Discover) ([]found, error) {
	addrs, err := r.LookupIPAddr(ctx, d.Name)
	if err != nil {
		return nil, err
	}
	var out []found
	for _, ip := range familyOf(addrs, d.Member.PreferIPv6) {
		f := found{ip: ip, port: d.Port, route: addrRoute(ip)}
		names, err := r.LookupAddr(ctx, ip)
		var dnsErr *net.DNSError
		switch {
		case err == nil && len(names) > 0:
			f.host = strings.TrimSuffix(names[0], ".")
			if l := firstLabel(f.host); l != "" {
				f.route = l
			}
		case err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound):
			return nil, fmt.Errorf("PTR of %s: %w", ip, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// pickAddr returns the first address of the preferred family, else the
// first of the other (mod_jk jk_resolve's order), "" when there is none.
func pickAddr(addrs []net.IPAddr, preferIPv6 bool) string {
	if ips := familyOf(addrs, preferIPv6); len(ips) > 0 {
		return ips[0]
	}
	return ""
}

// familyOf returns the distinct addresses of the preferred family, or of
// the other when there is none of it.
func familyOf(addrs []net.IPAddr, preferIPv6 bool) []string {
	for _, want4 := range []bool{!preferIPv6, preferIPv6} {
		var out []string
		seen := make(map[string]bool)
		for _, a := range addrs {
			if (a.IP.To4() != nil) != want4 || a.Zone != "" {
				continue
			}
			if s := a.IP.String(); !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// firstLabel returns the host name up to its first '.'.
func firstLabel(host string) string {
	label, _, _ := strings.Cut(host, ".")
	return label
}

// addrRoute is the route of an address without a PTR name: Kubernetes'
// pod DNS form, '.' and ':' replaced by '-' ("10-0-0-7", "fd00--7").
func addrRoute(ip string) string {
	return strings.NewReplacer(".", "-", ":", "-").Replace(ip)
}

// uniqueRoutes gives every member a route of its own and returns them
// sorted by route. The same address and port found twice (two SRV names
// for one target) is one member. Distinct members whose names give one
// route (PTR names web.a.example and web.b.example both give "web") must
// not be merged, which would drop an address, nor share the route, which
// would send the sessions of one to the other: the lowest address keeps
// the route and each other one becomes "<route>-<address in DNS form>"
// (collided records the route it was named after, for the log), stable as
// long as its address is. Its Tomcat still hands out sessions with its own
// jvmRoute, which the session-route doctor then reports.
func uniqueRoutes(fs []found) []found {
	sort.Slice(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.route != b.route {
			return a.route < b.route
		}
		if a.ip != b.ip {
			return a.ip < b.ip
		}
		return a.port < b.port
	})
	seen := make(map[string]bool, len(fs))
	natural := make(map[string]bool, len(fs))
	out := fs[:0]
	for _, f := range fs {
		if k := net.JoinHostPort(f.ip, strconv.Itoa(f.port)); !seen[k] {
			seen[k] = true
			natural[f.route] = true
			out = append(out, f)
		}
	}
	taken := make(map[string]bool, len(out))
	for i := range out {
		f := &out[i]
		if !taken[f.route] {
			taken[f.route] = true
			continue
		}
		base := f.route + "-" + addrRoute(f.ip)
		name := base
		for n := 2; taken[name] || natural[name]; n++ {
			name = base + "-" + strconv.Itoa(n) // another port of the same address
		}
		f.collided, f.route = f.route, name
		taken[name] = true
	}
	sort.Slice(out, func(i, j int) bool { return out[i].route < out[j].route })
	return out
}

// describe lists found members for the log: "tomcat-0=10.0.0.5:8009".
func describe(fs []found) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.route + "=" + net.JoinHostPort(f.ip, strconv.Itoa(f.port))
	}
	return out
}
