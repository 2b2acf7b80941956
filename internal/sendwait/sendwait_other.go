//go:build !unix

package sendwait

import "syscall"

// Sender is not available here: Send always reports ErrNotSent.
type Sender struct{}

// New returns nil.
func New(syscall.RawConn, func() bool) *Sender { return nil }

// Send reports ErrNotSent.
func (s *Sender) Send([]byte) (int, error) { return 0, ErrNotSent }
