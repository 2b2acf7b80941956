package accesslog

import (
	"io"
	"sync"
)

// Guarded is a log file that a full disk (or any write error) cannot hurt
// its callers with (docs/hardening.md#a-full-disk): every write is tried,
// so lines flow again as soon as the file can take them; a failed write
// returns its error at once and is counted; and the change between
// "writes fail" and "writes work" is reported once each way through
// OnChange, never per line. A write the disk cut short leaves part of a
// line: the first write that works again starts with a newline, so the
// next line starts clean. Safe for concurrent use; whole lines are
// serialised.
type Guarded struct {
	name string
	mu   sync.Mutex
	w    io.Writer
	// OnChange, when set (before the first Write), hears of each change:
	// called after the write that caused it, outside the lock, in the
	// writer's goroutine.
	OnChange func(Change)

	failing  bool
	torn     bool   // the last failed write wrote part of its line
	lost     int64  // failed writes since the writes began to fail
	failures uint64 // failed writes since the start
}

// Change is a Guarded file's writes beginning to fail (Err set) or
// working again (Err nil, Lost the writes that failed in between).
type Change struct {
	File string
	Err  error
	Lost int64
}

var newline = []byte{'\n'}

// NewGuarded guards w, the file named name (for the reports).
func NewGuarded(name string, w io.Writer) *Guarded { return &Guarded{name: name, w: w} }

// Write writes one whole line (or several). It never blocks on a failing
// file beyond the one write attempt.
func (g *Guarded) Write(p []byte) (int, error) {
	g.mu.Lock()
	n, err := g.writeLocked(p)
	var ch *Change
	switch {
	case err != nil:
		g.lost++
		g.failures++
		g.torn = g.torn || (n > 0 && n < len(p))
		if !g.failing {
			g.failing = true
			ch = &Change{File: g.name, Err: err}
		}
	case g.failing:
		ch = &Change{File: g.name, Lost: g.lost}
		g.failing, g.lost = false, 0
	}
	notify := g.OnChange
	g.mu.Unlock()
	if ch != nil && notify != nil {
		notify(*ch)
	}
	return n, err
}

func (g *Guarded) writeLocked(p []byte) (int, error) {
	if g.torn {
		if _, err := g.w.Write(newline); err != nil {
			return 0, err
		}
		g.torn = false
	}
	return g.w.Write(p)
}

// Stats says whether the writes fail now and how many failed since the
// start (for /metrics). A nil *Guarded has none.
func (g *Guarded) Stats() (failing bool, failures uint64) {
	if g == nil {
		return false, 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failing, g.failures
}
