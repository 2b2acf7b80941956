package config

import "fmt"

// collector gathers every problem of one load. Load never stops at the
// first error: an operator fixing a file wants the whole list at once.
type collector struct {
	ps    Problems
	sends SendBound // for the POST replay warning (Risks)
}

func (c *collector) errorf(pos Pos, worker, prop, format string, args ...any) {
	c.ps = append(c.ps, Problem{Pos: pos, Worker: worker, Property: prop, Message: fmt.Sprintf(format, args...)})
}

func (c *collector) warnf(pos Pos, worker, prop, format string, args ...any) {
	c.ps = append(c.ps, Problem{Pos: pos, Worker: worker, Property: prop, Message: fmt.Sprintf(format, args...), Warning: true})
}

func (c *collector) failed() bool { return len(c.ps.Errors()) > 0 }
