package httpdimport

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
)

// accessOf returns the access rules of a location, created in reading
// order.
func (im *importer) accessOf(loc *hSection) *hAccess {
	for _, a := range im.accesses {
		if a.sect == loc {
			return a
		}
	}
	a := &hAccess{sect: loc}
	im.accesses = append(im.accesses, a)
	return a
}

// errorLeftover reports d as an error: an access rule not carried over.
func (im *importer) errorLeftover(d *hDirective, reason string) {
	im.leftover(d, reason)
	im.left[len(im.left)-1].Error = true
}

// requireIP turns one argument of `Require ip` into an allow entry:
// a full address, a network/nnn or network/netmask block, or a partial
// IPv4 address ("10.1" is 10.1.0.0/16), as mod_authz_host reads them.
func requireIP(s string) (string, bool) {
	if net, mask, ok := strings.Cut(s, "/"); ok && strings.Contains(mask, ".") {
		m, err := netip.ParseAddr(mask)
		if err != nil || !m.Is4() {
			return "", false
		}
		bits, ok := maskBits(m.As4())
		if !ok {
			return "", false
		}
		s = net + "/" + strconv.Itoa(bits)
	} else if !ok && !strings.Contains(s, ":") && strings.Count(s, ".") < 3 {
		parts := strings.Split(strings.TrimSuffix(s, "."), ".")
		bits := 8 * len(parts)
		for len(parts) < 4 {
			parts = append(parts, "0")
		}
		s = strings.Join(parts, ".") + "/" + strconv.Itoa(bits)
	}
	p, err := config.ParseAllowEntry(s)
	if err != nil {
		return "", false
	}
	if p.IsSingleIP() {
		return p.Addr().String(), true
	}
	return p.String(), true
}

// maskBits is the prefix length of a contiguous netmask.
func maskBits(m [4]byte) (int, bool) {
	v := uint32(m[0])<<24 | uint32(m[1])<<16 | uint32(m[2])<<8 | uint32(m[3])
	n := 0
	for v&(1<<31) != 0 {
		v <<= 1
		n++
	}
	return n, v == 0
}

// applyAccess carries the access rules of every location over to the
// status worker it maps to, once the mount table is settled.
func (im *importer) applyAccess() {
	carried := map[string]*hAccess{}
	for _, a := range im.accesses {
		for _, p := range a.bad {
			im.errorLeftover(p.d, p.reason+"; NOT carried over, so jkbalancer is less restrictive than httpd here")
		}
		if a.onlyGranted() {
			for _, d := range a.dirs {
				if !a.isBad(d) {
					im.take()
				}
			}
			continue
		}
		w := im.locationWorker(a.sect)
		switch {
		case w == "" && im.mountFile == "":
			im.accessLeft(a, "<Location "+a.sect.arg+"> maps to no worker: jkbalancer answers 404 there, so nothing needs guarding", false)
		case w == "":
			im.accessLeft(a, "<Location "+a.sect.arg+"> maps to no JkMount the import sees (the JkMountFile may map it): jkbalancer restricts access only for status workers; NOT carried over", true)
		case !im.isStatusWorker(w):
			im.accessLeft(a, "<Location "+a.sect.arg+"> maps to worker "+w+", not a status worker: jkbalancer has no access control for it and serves every client; NOT carried over", true)
		case carried[w] != nil && !carried[w].same(a):
			im.accessLeft(a, "status worker "+w+" already takes its access rules from <Location "+carried[w].sect.arg+"> ("+carried[w].sect.pos.String()+"); these differ and are NOT carried over", true)
		case carried[w] != nil:
			im.accessTake(a)
		default:
			carried[w] = a
			im.carryAccess(a, w)
		}
	}
}

func (a *hAccess) onlyGranted() bool {
	return a.granted && len(a.allow) == 0 && len(a.users) == 0 && !a.validUser && a.userFile == ""
}

func (a *hAccess) isBad(d *hDirective) bool {
	for _, p := range a.bad {
		if p.d == d {
			return true
		}
	}
	return false
}

func (a *hAccess) same(b *hAccess) bool {
	return strings.Join(a.allow, " ") == strings.Join(b.allow, " ") && strings.Join(a.users, " ") == strings.Join(b.users, " ") &&
		a.validUser == b.validUser && a.userFile == b.userFile
}

// accessLeft reports every directive of a that is not already reported.
func (im *importer) accessLeft(a *hAccess, reason string, isErr bool) {
	for _, d := range a.dirs {
		switch {
		case a.isBad(d):
		case isErr:
			im.errorLeftover(d, reason)
		default:
			im.leftover(d, reason)
		}
	}
}

func (im *importer) accessTake(a *hAccess) {
	for _, d := range a.dirs {
		if !a.isBad(d) {
			im.take()
		}
	}
}

// carryAccess writes a's rules as JkWorkerProperty lines of status worker
// w: they are read with workers.properties, and allow, as a list key,
// adds to whatever the file already allows.
func (im *importer) carryAccess(a *hAccess, w string) {
	login := a.validUser || len(a.users) > 0
	if login && (a.authType != "basic" || a.userFile == "" || a.provider != nil) {
		im.accessLoginLeft(a, "a login needs AuthType Basic with an AuthUserFile to be carried over (as worker."+w+".user_file); NOT carried over")
		login = false
	}
	for _, u := range a.users {
		if strings.ContainsAny(u, " \t,") {
			im.accessLoginLeft(a, "user "+strconv.Quote(u)+" cannot be written in worker."+w+".user (a list split at spaces and commas); NOT carried over")
			login = false
		}
	}
	if len(a.allow) > 0 && login {
		for _, d := range a.dirs {
			if d.name == "require" {
				im.errorLeftover(d, "httpd admits a client that satisfies any one Require line; jkbalancer requires both the address (worker."+w+".allow) and the login (user_file): carried over stricter than httpd")
				break
			}
		}
	}
	if len(a.allow) > 0 {
		im.workerProps = append(im.workerProps, "worker."+w+".allow="+strings.Join(a.allow, " "))
	}
	if login {
		im.workerProps = append(im.workerProps, "worker."+w+".user_file="+a.userFile)
		if len(a.users) > 0 {
			im.workerProps = append(im.workerProps, "worker."+w+".user="+strings.Join(a.users, ","))
		}
	}
	im.accessTake(a)
}

// accessLoginLeft reports the login directives of a as errors.
func (im *importer) accessLoginLeft(a *hAccess, reason string) {
	for _, d := range a.dirs {
		login := d.name == "authtype" || d.name == "authuserfile" || d.name == "require" && len(d.args) > 0 &&
			(strings.EqualFold(d.args[0], "valid-user") || strings.EqualFold(d.args[0], "user"))
		if login && !a.isBad(d) {
			im.errorLeftover(d, reason)
			a.fail(d, reason) // not counted as carried
		}
	}
}

// locationWorker is the worker the mount table sends the location's own
// path to: a JkMount inside the location, or one whose pattern is the
// path (with /* or * after it). "" when none does.
func (im *importer) locationWorker(loc *hSection) string {
	path := strings.TrimSuffix(loc.arg, "/")
	for _, r := range im.mounts {
		pattern, worker, ok := strings.Cut(r.text, "=")
		if !ok || strings.HasPrefix(pattern, "!") {
			continue
		}
		worker, _, _ = strings.Cut(worker, ";")
		p := strings.TrimSuffix(strings.TrimSuffix(pattern, "*"), "/")
		if r.d.in("location") == loc || p == path {
			return worker
		}
	}
	return ""
}

// isStatusWorker reads worker.NAME.type from the workers file and the
// JkWorkerProperty lines (the last value wins, as in mod_jk). A type set
// through $(variables) or reference= is not seen: the access rules are
// then reported as not carried over.
func (im *importer) isStatusWorker(w string) bool {
	key := "worker." + w + ".type"
	typ := ""
	scan := func(line string) {
		line, _, _ = strings.Cut(line, "#")
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == key {
			typ = strings.TrimSpace(v)
		}
	}
	for _, l := range im.workerProps {
		scan(l)
	}
	if im.workersFile != "" && im.read != nil {
		if data, err := im.read(im.workersFile); err == nil {
			for l := range strings.SplitSeq(string(data), "\n") {
				scan(l)
			}
		}
	}
	return typ == "status"
}
