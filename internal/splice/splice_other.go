//go:build !linux

package splice

import "syscall"

// Available reports whether Copy can move bytes here.
func Available() bool { return false }

// Copy is splice(2), which only Linux has: elsewhere it moves nothing and
// returns ErrUnsupported.
func Copy(dst, src syscall.RawConn, n int64, arm func(read int64), armDst func()) (read, written int64, readErr, writeErr error) {
	return 0, 0, ErrUnsupported, nil
}
