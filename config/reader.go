package config

import (
	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/props"
)

// attrReader reads the attributes of one worker from the resolved map,
// reporting values mod_jk would silently misread.
type attrReader struct {
	m    *props.Map
	name string // worker name
	c    *diag.Collector
}

func (r attrReader) get(attr string) *props.Prop { return r.m.Get("worker." + r.name + "." + attr) }

func (r attrReader) has(attr string) bool { return r.get(attr) != nil }

// pos returns the line of attr, or def when it is not set.
func (r attrReader) pos(attr string, def Pos) Pos {
	if p := r.get(attr); p != nil {
		return p.Pos
	}
	return def
}

// int reads an integer attribute (k/M suffixes, atoi semantics).
func (r attrReader) int(attr string, def int) (int, bool) {
	p := r.get(attr)
	if p == nil {
		return def, false
	}
	n, ok := props.ParseInt(p.Value)
	if !ok {
		r.c.Warnf(p.Pos, r.name, attr, "%q is not a whole number; mod_jk reads it as %d", p.Value, n)
	}
	return n, true
}

// bool reads a boolean attribute; unrecognised text keeps the default.
func (r attrReader) bool(attr string, def bool) (bool, bool) {
	p := r.get(attr)
	if p == nil {
		return def, false
	}
	b, ok := props.ParseBool(p.Value)
	if !ok {
		r.c.Warnf(p.Pos, r.name, attr, "%q is not a boolean (use true/false, on/off, 1/0); the default %v stays in force", p.Value, def)
		return def, false
	}
	return b, true
}

// str reads a string attribute.
func (r attrReader) str(attr, def string) (string, bool) {
	if p := r.get(attr); p != nil {
		return p.Value, true
	}
	return def, false
}

// list reads a list attribute as tokens carrying their own lines.
func (r attrReader) list(attr string) []props.Token {
	if p := r.get(attr); p != nil {
		return p.Parts
	}
	return nil
}

func tokenTexts(ts []props.Token) []string {
	if len(ts) == 0 {
		return nil
	}
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Text
	}
	return out
}

// intField, boolField and strField bind an attribute name to its default
// and to the struct field it fills: attributes are read through these
// tables instead of one long switch.
type intField[T any] struct {
	attr  string
	def   int
	field func(*T) *int
}

type boolField[T any] struct {
	attr  string
	def   bool
	field func(*T) *bool
}

type strField[T any] struct {
	attr  string
	def   string
	field func(*T) *string
}

func readInts[T any](r attrReader, dst *T, fields []intField[T]) {
	for _, f := range fields {
		*f.field(dst), _ = r.int(f.attr, f.def)
	}
}

func readBools[T any](r attrReader, dst *T, fields []boolField[T]) {
	for _, f := range fields {
		*f.field(dst), _ = r.bool(f.attr, f.def)
	}
}

func readStrs[T any](r attrReader, dst *T, fields []strField[T]) {
	for _, f := range fields {
		*f.field(dst), _ = r.str(f.attr, f.def)
	}
}

// checkLengths enforces JK_MAX_NAME_LEN on the values mod_jk copies into
// fixed buffers.
func (r attrReader) checkLengths(attrs ...string) {
	for _, a := range attrs {
		if p := r.get(a); p != nil && len(p.Value) > props.MaxNameLen {
			r.c.Errorf(p.Pos, r.name, a, "value is %d bytes; mod_jk allows at most %d and refuses to start: shorten it",
				len(p.Value), props.MaxNameLen)
		}
	}
}
