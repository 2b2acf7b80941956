package status

import (
	"strconv"
	"time"

	"github.com/jkbalancer/jkbalancer/editable"
)

// A record is one element of the machine formats: a "Balancer Worker:"
// line in txt, a <jk:balancer> element in xml, a block of
// worker.lb.key=value lines in prop. The three formats print the same
// fields in the same order, with a few quirks of jk_status.c kept on
// purpose (they are what scripts parse): see field.
type record struct {
	elem  string // xml element name (without the ns prefix)
	label string // txt line label, e.g. "Member:"
	owner string // prop: the name after the prefix ("" = none)
	// item, when set, prints prop lines as prefix.owner.item.key (the
	// maps: worker.lb.map.1.uri).
	item   string
	fields []field
}

// field is one key=value. The zero flags mean: owner = the record's,
// key = key, printed in txt without quotes.
type field struct {
	key, val string
	quote    bool   // txt: key="value"
	powner   string // prop: a different owner name ...
	noOwner  bool   // ... or none (worker.list=lb)
	pkey     string // prop: a different key
	noProp   bool   // not printed in prop (the map id)
}

func (r *record) add(key, val string) { r.fields = append(r.fields, field{key: key, val: val}) }

func (r *record) addInt(key string, v int64) { r.add(key, strconv.FormatInt(v, 10)) }

func (r *record) addQ(key, val string) {
	r.fields = append(r.fields, field{key: key, val: val, quote: true})
}

// lbRecord is display_worker_lb's lb part.
func (rq *request) lbRecord(v *lbView) record {
	s := &v.Snap
	r := record{elem: "balancer", label: "Balancer Worker:", owner: v.Name}
	r.fields = append(r.fields, field{key: "name", val: v.Name, noOwner: true, pkey: "list"})
	r.add("type", "lb")
	r.add("sticky_session", editable.BoolText(s.StickySession))
	r.add("sticky_session_force", editable.BoolText(s.StickySessionForce))
	r.addInt("retries", int64(s.Retries))
	r.addInt("recover_time", int64(s.RecoverTime))
	r.addInt("error_escalation_time", int64(s.ErrorEscalationTime))
	r.addInt("max_reply_timeouts", int64(s.MaxReplyTimeouts))
	r.add("method", s.Method.String())
	r.add("lock", s.Lock.String())
	r.addInt("member_count", int64(len(s.Members)))
	r.addInt("good", int64(v.Good))
	r.addInt("degraded", int64(v.Degraded))
	r.addInt("bad", int64(v.Bad))
	r.addInt("busy", s.Busy)
	r.addInt("max_busy", s.MaxBusy)
	r.addInt("map_count", int64(len(v.Maps)))
	r.addInt("time_to_maintenance_min", int64(s.NextMaintainMin))
	r.addInt("time_to_maintenance_max", int64(s.NextMaintainMax))
	r.addInt("last_reset_at", s.LastReset.Unix())
	r.addInt("last_reset_ago", int64(v.LastResetAgo))
	return r
}

// workerRecord is display_worker_ajp_details for an lb member (mv.Snap
// set) or a plain ajp worker. The xml format prints
// connection_ping_interval before retries; txt and prop after.
func (rq *request) workerRecord(mv *memberView, xml bool) record {
	a := mv.A
	r := record{elem: "ajp", label: "AJP Worker:", owner: mv.Name}
	// Where prop prints the times: under the lb's name for a member (a
	// jk_status.c quirk), under the worker's own otherwise.
	timeOwner := mv.Name
	if mv.Snap != nil {
		r.elem, r.label, timeOwner = "member", "Member:", mv.LB
		r.fields = append(r.fields, field{key: "name", val: mv.Name, powner: mv.LB, pkey: "balance_workers"})
	} else {
		r.fields = append(r.fields, field{key: "name", val: mv.Name, pkey: "list"})
	}
	r.add("type", mv.Type)
	r.add("host", a.Host)
	r.addInt("port", int64(a.Port))
	r.add("address", mv.Address)
	src := a.Source
	if src == "" {
		src = "undefined"
	}
	r.add("source", src)
	r.addInt("connection_pool_timeout", int64(a.ConnectionPoolTimeout))
	r.addInt("ping_timeout", int64(a.PingTimeout))
	r.addInt("connect_timeout", int64(a.ConnectTimeout))
	r.addInt("prepost_timeout", int64(a.PrepostTimeout))
	r.addInt("reply_timeout", int64(a.ReplyTimeout))
	if xml {
		r.addInt("connection_ping_interval", int64(a.ConnectionPingInterval))
		r.addInt("retries", int64(a.Retries))
	} else {
		r.addInt("retries", int64(a.Retries))
		r.addInt("connection_ping_interval", int64(a.ConnectionPingInterval))
	}
	r.addInt("recovery_options", int64(uint32(a.RecoveryOptions)))
	r.addInt("busy_limit", int64(a.BusyLimit))
	r.addInt("max_packet_size", int64(uint32(a.MaxPacketSize)))
	if mv.Snap != nil {
		rq.memberFields(&r, mv)
	} else {
		r.addInt("used", mv.C.Used)
		r.addInt("errors", mv.C.Errors)
	}
	rq.trafficFields(&r, mv, timeOwner)
	return r
}

func (rq *request) memberFields(r *record, mv *memberView) {
	s := mv.Snap
	r.add("activation", mv.Activation)
	r.addInt("lbfactor", int64(s.LBFactor))
	r.addQ("route", s.Route)
	r.addQ("redirect", s.Redirect)
	r.addQ("domain", s.Domain)
	r.addInt("distance", int64(s.Distance))
	r.add("state", mv.State)
	r.add("lbmult", strconv.FormatUint(s.LBMult, 10))
	r.add("lbvalue", strconv.FormatUint(s.LBValue, 10))
	// mod_jk prints the AJP worker's request count as "elected".
	r.addInt("elected", mv.C.Used)
	r.add("sessions", strconv.FormatUint(s.Sessions, 10))
	r.add("errors", strconv.FormatUint(s.Errors, 10))
}

func (rq *request) trafficFields(r *record, mv *memberView, timeOwner string) {
	r.addInt("client_errors", mv.C.ClientErrors)
	r.addInt("reply_timeouts", mv.C.ReplyTimeouts)
	r.addInt("transferred", mv.C.Transferred)
	r.addInt("read", mv.C.Read)
	r.addInt("busy", mv.C.Busy)
	r.addInt("max_busy", mv.C.MaxBusy)
	r.addInt("connected", int64(mv.Conn.Open))
	r.addInt("max_connected", int64(mv.Conn.MaxOpen))
	if mv.Snap != nil {
		r.addInt("time_to_recover_min", int64(mv.RsMin))
		r.addInt("time_to_recover_max", int64(mv.RsMax))
	} else {
		r.fields = append(r.fields, field{key: "map_count", val: strconv.Itoa(len(mv.Maps)), powner: timeOwner})
	}
	r.fields = append(r.fields,
		field{key: "last_reset_at", val: strconv.FormatInt(mv.C.LastReset.Unix(), 10), powner: timeOwner},
		field{key: "last_reset_ago", val: strconv.Itoa(mv.ResetAgo), powner: timeOwner})
	if !mv.ErrorTime.IsZero() {
		t := mv.ErrorTime.In(rq.h.spec.Location)
		r.fields = append(r.fields,
			field{key: "error_time_datetime", val: t.Format(timeText), powner: timeOwner},
			field{key: "error_time_tz", val: t.Format(timeZone), powner: timeOwner},
			// prop spells these two with a space, as jk_status.c does.
			field{key: "error_time_unix_seconds", val: strconv.FormatInt(t.Unix(), 10), powner: timeOwner,
				pkey: "error_time_unix seconds"},
			field{key: "error_time_ago", val: strconv.Itoa(since(rq.now, t)), powner: timeOwner,
				pkey: "error_time_ago seconds"})
	}
}

// mapRecord is display_map for one rule of worker owner.
func mapRecord(owner string, m *mapView) record {
	r := record{elem: "map", label: "Map:", owner: owner, item: "map." + strconv.Itoa(m.ID)}
	r.fields = append(r.fields, field{key: "id", val: strconv.Itoa(m.ID), noProp: true})
	r.addQ("server", m.Server)
	r.addQ("uri", m.URI)
	r.addQ("type", m.Type)
	r.addQ("source", m.Source)
	r.addQ("reply_timeout", strconv.Itoa(m.ReplyTimeout))
	r.addQ("sticky_ignore", strconv.Itoa(m.StickyIgnore))
	r.addQ("stateless", strconv.Itoa(m.Stateless))
	r.addQ("fail_on_status", m.FailOnStatus)
	r.addQ("active", m.Active)
	r.addQ("disabled", m.Disabled)
	r.addQ("stopped", m.Stopped)
	r.addQ("use_server_errors", strconv.Itoa(m.UseServerErrors))
	return r
}

// Time formats of jk_status.c (strftime): machine formats and HTML.
const (
	timeText = "20060102150405"
	timeZone = "-0700"
	timeHTML = "2006-01-02 15:04:05 -0700"
)

// headRecords are the server, time and software lines.
func (rq *request) serverRecord() record {
	r := record{elem: "server", label: "Server:"}
	r.fields = []field{{key: "name", val: rq.serverName, pkey: "server_name"},
		{key: "port", val: strconv.Itoa(rq.serverPort), pkey: "server_port"}}
	return r
}

func (rq *request) timeRecord(now time.Time) record {
	t := now.In(rq.h.spec.Location)
	r := record{elem: "time", label: "Time:"}
	r.fields = []field{{key: "datetime", val: t.Format(timeText), pkey: "time_datetime"},
		{key: "tz", val: t.Format(timeZone), pkey: "time_tz"},
		{key: "unix", val: strconv.FormatInt(t.Unix(), 10), pkey: "time_unix"}}
	return r
}

func (rq *request) softwareRecord() record {
	r := record{elem: "software", label: "Software:"}
	r.fields = []field{{key: "web_server", val: rq.h.spec.Software, quote: true},
		{key: "jk_version", val: JKVersion}}
	return r
}
