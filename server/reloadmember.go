package server

import (
	"crypto/sha256"
	"os"
	"reflect"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// Which members a reload keeps. A member instance is its pool of backend
// connections, its live attributes and its transport; rebuilding it would
// close warm connections. Keeping it only keeps the pool warm: the state
// that survives a reload (counters, lb state, status edits) is in the
// registry either way (package registry). So a reload keeps the instance
// of the same lb and name when everything it would be built from is the
// same: the attributes (compiled, with the state file's saved edits
// applied), the resolved address, the lb secret, the JkOptions a member
// reads and, for an https member, the contents of its certificate files.
// Only the balancing attributes the lb owns (lbfactor, distance,
// activation) may differ: the lb takes them from the new configuration. So
// an edit saved in the state file since the last build (connect_timeout,
// say) rebuilds that member once, and its pool gets the new value, as the
// status worker promises; without a state file the edits are kept in
// memory and count the same way.

// instanceKey names a member instance: the lb it belongs to ("" for a
// worker used directly) and its worker name. mod_jk gives every lb its
// own instance of a worker.
type instanceKey struct{ lb, name string }

// instance is a member with what it was built from.
type instance struct {
	m      *worker.Member
	sig    memberSig
	noAddr bool
}

// memberSig is what decides whether an instance can be kept.
type memberSig struct {
	ajp     config.Member // with saved status edits; lb weights zeroed
	addr    string
	secret  string // the lb's, pushed into members without their own
	options [3]bool
	files   [sha256.Size]byte // https members: certificate file contents
}

func (rt *runtime) signature(a *config.Member, addr, lbSecret string) memberSig {
	sig := memberSig{ajp: *a, addr: addr, secret: lbSecret}
	sig.ajp.LBFactor, sig.ajp.Distance, sig.ajp.Activation = 0, 0, 0
	o := &rt.cfg.Server.Options
	sig.options = [3]bool{o.FlushPackets, o.FlushHeader, o.DisableReuse}
	if h := a.HTTP; h != nil {
		sig.files = hashFiles(h.TLSCAFile, h.TLSCertFile, h.TLSKeyFile)
	}
	return sig
}

// equal compares two signatures field by field, through the pointers of
// config.Member (HTTP, Proxy) and its slices.
func (s *memberSig) equal(o *memberSig) bool { return reflect.DeepEqual(s, o) }

// hashFiles digests the named files ("" skipped); a file that cannot be
// read contributes its error, so a fixed file counts as a change.
func hashFiles(names ...string) [sha256.Size]byte {
	h := sha256.New()
	for _, n := range names {
		if n == "" {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			b = []byte(err.Error())
		}
		h.Write([]byte(n))
		h.Write([]byte{0})
		h.Write(b)
		h.Write([]byte{0})
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// instance returns the instance of key in rt (nil when rt is nil or has
// none).
func (rt *runtime) instance(key instanceKey) *instance {
	if rt == nil {
		return nil
	}
	return rt.instances[key]
}

// holds reports whether m is one of rt's member instances (false for a
// nil rt).
func (rt *runtime) holds(m *worker.Member) bool {
	if rt == nil {
		return false
	}
	for _, in := range rt.instances {
		if in.m == m {
			return true
		}
	}
	return false
}
