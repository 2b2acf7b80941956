// Package diag is what every configuration reader reports with: the
// place in a file (Pos) and the problems found there (Problem, Problems),
// gathered by a Collector so that one load reports every problem at once.
// package config re-exports Pos, Problem and Problems under their old names.
package diag

import (
	"fmt"
	"strings"
)

// Pos locates a line in a configuration file. Line 0 means "the file as a
// whole" or a value that came from the command line.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	switch {
	case p.File == "":
		return "(command line)"
	case p.Line == 0:
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Problem is one configuration error or warning. It names the place, the
// worker and the property so an operator can fix it without guessing.
type Problem struct {
	Pos      Pos
	Worker   string // "" when the problem is not about one worker
	Property string // the attribute name as written, e.g. "balance_workers"
	Message  string
	Warning  bool
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Pos.String())
	b.WriteString(": ")
	if p.Warning {
		b.WriteString("warning: ")
	} else {
		b.WriteString("error: ")
	}
	if p.Worker != "" {
		b.WriteString("worker ")
		b.WriteString(p.Worker)
		b.WriteString(": ")
	}
	if p.Property != "" {
		b.WriteString(p.Property)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in one load. It is an error only when it
// holds at least one non-warning; see Err.
type Problems []Problem

// Error lists every problem, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Errors returns the problems that are not warnings.
func (ps Problems) Errors() Problems { return ps.filter(false) }

// Warnings returns the problems that are warnings.
func (ps Problems) Warnings() Problems { return ps.filter(true) }

// Err returns ps as an error if it contains any error, else nil.
func (ps Problems) Err() error {
	if len(ps.Errors()) == 0 {
		return nil
	}
	return ps
}

func (ps Problems) filter(warning bool) Problems {
	var out Problems
	for _, p := range ps {
		if p.Warning == warning {
			out = append(out, p)
		}
	}
	return out
}
