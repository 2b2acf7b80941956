package diag

import "fmt"

// Collector gathers every problem of one load. Load never stops at the
// first error: an operator fixing a file wants the whole list at once.
type Collector struct {
	Problems Problems
}

// Errorf adds an error: the configuration cannot be used.
func (c *Collector) Errorf(pos Pos, worker, prop, format string, args ...any) {
	c.Problems = append(c.Problems, Problem{Pos: pos, Worker: worker, Property: prop, Message: fmt.Sprintf(format, args...)})
}

// Warnf adds a warning: the configuration works, perhaps not as meant.
func (c *Collector) Warnf(pos Pos, worker, prop, format string, args ...any) {
	c.Problems = append(c.Problems, Problem{Pos: pos, Worker: worker, Property: prop, Message: fmt.Sprintf(format, args...), Warning: true})
}

// Failed reports whether an error was added.
func (c *Collector) Failed() bool { return len(c.Problems.Errors()) > 0 }
