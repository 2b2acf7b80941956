// Package splice moves bytes from one socket to another inside the
// kernel: splice(2) from the source into a pipe and from the pipe into the
// destination, so a large response body from an HTTP member reaches the
// client without being copied through the process
// (docs/performance.md#large-bodies). It works on the raw connections
// (syscall.RawConn) so that the caller keeps its own deadlines and byte
// counts, and so that each wait for the source is bounded as a read of
// its own would be.
package splice

import "errors"

// ErrUnsupported is returned, before anything was moved, where splice is
// not available (not Linux, no pipe, a socket type splice refuses): the
// caller copies the bytes itself.
var ErrUnsupported = errors.New("splice: not supported here")
