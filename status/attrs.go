package status

import "github.com/jkbalancer/jkbalancer/editable"

// The attributes an update may change (docs/status-worker.md#updates-and-ranges)
// are the one table of package editable: it serves the update command
// (parameter, parsing, range: update.go), the HTML forms (label, input
// kind, current value: htmledit.go), the state file (name as key, value in
// Format's form: state.go), and applying a value to the running lb or
// member (apply, live.go). The names below are the status worker's for it.

type (
	attr  = editable.Attr
	scope = editable.Scope
)

const (
	scopeLB     = editable.ScopeLB     // lb settings (no sw)
	scopeMember = editable.ScopeMember // per (lb, member)
	scopeAJP    = editable.ScopeAJP    // per AJP worker name
)

// attrs is the table, in form order within each scope. Read-only.
var attrs = editable.Table

// attrByParam and attrByName find table entries.
func attrByParam(p string) *attr { return editable.ByParam(p) }

func attrByName(s scope, name string) *attr { return editable.ByName(s, name) }
