package status

import (
	"strconv"
	"strings"
	"time"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// The views are copies taken once per request: the lb snapshot (under its
// lock), the counters (atomics) and the current member attributes. The
// renderers read only these.

// lbView is one lb worker.
type lbView struct {
	Name                  string
	Snap                  balancer.Snapshot
	Members               []memberView
	Good, Degraded, Bad   int
	Maps                  []mapView
	LastResetAgo          int
	NextMaintenanceMinMax string
}

// memberView is an lb member, or a plain ajp worker (Snap nil).
type memberView struct {
	Name, Type string
	LB         string // the lb's name, "" for a plain worker
	A          *config.Member
	Snap       *balancer.MemberSnapshot
	C          counterView
	Conn       worker.ConnStats
	Address    string
	State      string // member state, or the plain worker's state
	Activation string // ACT/DIS/STP, "" for a plain worker
	Rate       int    // 1 good, 0 degraded, -1 bad
	RsMin      int
	RsMax      int
	ErrorTime  time.Time // LE: first error of the period (member), last error (plain)
	ResetAgo   int
	Maps       []mapView // plain workers only
}

// counterView holds one read of a worker's counters.
type counterView struct {
	Used, Busy, MaxBusy, Errors, ClientErrors, ReplyTimeouts int64
	Transferred, Read                                        int64
	LastReset                                                time.Time
}

// mapView is one mount rule shown for a worker.
type mapView struct {
	ID                                      int
	Server, URI, Type, Source               string
	ReplyTimeout, StickyIgnore, Stateless   int
	FailOnStatus, Active, Disabled, Stopped string
	UseServerErrors                         int
}

func readCounters(c *worker.Counters) counterView {
	if c == nil {
		return counterView{}
	}
	return counterView{
		Used: c.Used(), Busy: c.Busy(), MaxBusy: c.MaxBusy(), Errors: c.Errors(),
		ClientErrors: c.ClientErrors(), ReplyTimeouts: c.ReplyTimeouts(),
		Transferred: c.Transferred(), Read: c.Read(),
		LastReset: c.LastReset(),
	}
}

// since is now - t in whole seconds, as mod_jk's difftime of time_t values.
func since(now, t time.Time) int { return int(now.Unix() - t.Unix()) }

func (rq *request) lbView(w *Worker) lbView {
	h := rq.h
	snap := w.LB.Snapshot()
	v := lbView{Name: w.Name, Snap: snap, LastResetAgo: since(rq.now, snap.LastReset)}
	v.NextMaintenanceMinMax = strconv.Itoa(snap.NextMaintainMin) + "/" + strconv.Itoa(snap.NextMaintainMax)
	for i := range snap.Members {
		ms := &snap.Members[i]
		mv := rq.memberView(ms.Name, ms.Member)
		mv.LB, mv.Snap = w.Name, ms
		mv.State, mv.Activation = ms.State.String(), ms.Activation.Code()
		mv.Rate = h.rate(ms.Activation, ms.State)
		mv.RsMin, mv.RsMax = ms.TimeToRecoverMin, ms.TimeToRecoverMax
		mv.ErrorTime = ms.FirstErrorTime
		switch mv.Rate {
		case 1:
			v.Good++
		case -1:
			v.Bad++
		default:
			v.Degraded++
		}
		v.Members = append(v.Members, mv)
	}
	v.Maps = rq.maps(w.Name)
	return v
}

// memberView reads what every AJP worker shows. m may be a balancer
// member that is not a *worker.Member (tests); it then shows zeros.
func (rq *request) memberView(name string, m any) memberView {
	mv := memberView{Name: name, Type: rq.h.typeOf(name), A: &config.Member{}}
	wm, _ := m.(*worker.Member)
	if wm == nil {
		return mv
	}
	mv.A = wm.Config()
	mv.C = readCounters(wm.Counters())
	mv.Conn = wm.ConnStats()
	mv.Address = address(mv.A, wm.Addr())
	mv.ResetAgo = since(rq.now, mv.C.LastReset)
	return mv
}

func (rq *request) ajpView(w *Worker) memberView {
	mv := rq.memberView(w.Name, w.Member)
	mv.Type = w.Type
	if w.Member != nil {
		mv.State = w.Member.State()
		if t := w.Member.Counters().LastErrorTime(); !t.IsZero() {
			mv.ErrorTime = t
		}
	}
	mv.Maps = rq.maps(w.Name)
	return mv
}

// address is mod_jk's dump_ajp_addr: the resolved address, or "invalid"
// for port 0 and "unresolved" when the host did not resolve.
func address(a *config.Member, addr string) string {
	switch {
	case a.Port <= 0:
		return "invalid"
	case addr == "" || strings.HasPrefix(addr, "0.0.0.0:0"):
		return "unresolved"
	}
	return addr
}

func (h *Handler) typeOf(name string) string {
	if t := h.spec.Types[name]; t != "" {
		return t
	}
	return config.TypeAJP13
}

// maps lists the mount rules of a worker (or of every worker, "*"), in
// precedence order, numbered from 1 (mod_jk display_map).
func (rq *request) maps(name string) []mapView {
	t := rq.h.spec.Mounts()
	if t == nil {
		return nil
	}
	var out []mapView
	for i := range t.Rules {
		r := &t.Rules[i]
		if r.Worker != name && r.Worker != "*" {
			continue
		}
		out = append(out, mapView{
			ID: len(out) + 1, Server: rq.h.serverName(), URI: r.Pattern, Type: matchType(r),
			Source: r.Source.String(), ReplyTimeout: r.Ext.ReplyTimeout,
			StickyIgnore: b2i(r.Ext.StickyIgnore), Stateless: b2i(r.Ext.Stateless),
			FailOnStatus: joinInts(r.Ext.FailOnStatus), Active: strings.Join(r.Ext.Active, ","),
			Disabled: strings.Join(r.Ext.Disabled, ","), Stopped: strings.Join(r.Ext.Stopped, ","),
			UseServerErrors: r.Ext.UseServerErrors,
		})
	}
	return out
}

func (h *Handler) serverName() string {
	if h.spec.ServerName != "" {
		return h.spec.ServerName
	}
	return "localhost"
}

// matchType is uri_worker_map_get_match.
func matchType(r *config.Mount) string {
	var b strings.Builder
	if r.Disabled {
		b.WriteString("Disabled ")
	}
	if r.Exclude {
		b.WriteString("Unmount ")
	}
	if r.Wildcard {
		b.WriteString("Wildchar")
	} else {
		b.WriteString("Exact")
	}
	return b.String()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// Rating masks (jk_status.c JK_STATUS_MASK_*): one byte per activation,
// one bit per state within it.
const (
	maskActive      = 0x000000FF
	maskDisabled    = 0x0000FF00
	maskStopped     = 0x00FF0000
	maskOK          = 0x00010101
	maskIdle        = 0x00020202
	maskBusy        = 0x00040404
	maskRecover     = 0x00080808
	maskError       = 0x00101010
	maskGoodDefault = 0x0000000F
	maskBadDefault  = 0x00FF1010
)

// ratingMask ORs the rules of good or bad (status_get_rating); an empty
// list gives def.
func ratingMask(rules []string, def uint32) uint32 {
	if len(rules) == 0 {
		return def
	}
	var m uint32
	for _, r := range rules {
		m |= ruleMask(r)
	}
	return m
}

// ruleMask reads one rule: a letter, or "activation.state" (AND), after
// leading blanks and dots.
func ruleMask(r string) uint32 {
	i := 0
	for i < len(r) && (r[i] == ' ' || r[i] == '\t' || r[i] == '.') {
		i++
	}
	if i == len(r) {
		return 0
	}
	m := letterMask(r[i])
	for i < len(r) && r[i] != '.' {
		i++
	}
	if i < len(r) {
		i++
	}
	if i < len(r) {
		m &= letterMask(r[i])
	}
	return m
}

func letterMask(c byte) uint32 {
	switch c {
	case 'A', 'a':
		return maskActive
	case 'D', 'd':
		return maskDisabled
	case 'S', 's':
		return maskStopped
	case 'O', 'o':
		return maskOK
	case 'I', 'i', 'N', 'n':
		return maskIdle
	case 'B', 'b':
		return maskBusy
	case 'R', 'r':
		return maskRecover
	case 'E', 'e':
		return maskError
	}
	return 0
}

// rate is status_rate: -1 when the member matches bad, 1 when it
// matches good, else 0 (degraded).
func (h *Handler) rate(a config.Activation, s balancer.State) int {
	var m uint32
	switch a {
	case config.Active:
		m = maskActive
	case config.Disabled:
		m = maskDisabled
	case config.Stopped:
		m = maskStopped
	}
	switch s {
	case balancer.StateIdle:
		m &= maskIdle
	case balancer.StateOK:
		m &= maskOK
	case balancer.StateRecover, balancer.StateForce, balancer.StateProbe:
		m &= maskRecover
	case balancer.StateBusy:
		m &= maskBusy
	case balancer.StateError:
		m &= maskError
	default:
		m = 0
	}
	switch {
	case m&h.bad != 0:
		return -1
	case m&h.good != 0:
		return 1
	}
	return 0
}
