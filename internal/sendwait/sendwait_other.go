//go:build !unix

package sendwait

import "syscall"

// Sender is not available here: Send reports ErrNotSent, Wait false.
type Sender struct{}

// New returns nil.
func New(syscall.RawConn) *Sender { return nil }

// Send reports ErrNotSent.
func (s *Sender) Send([]byte) (int, error) { return 0, ErrNotSent }

// SendPooled reports ErrNotSent.
func (s *Sender) SendPooled([]byte) (int, error) { return 0, ErrNotSent }

// Idle reports true: no look is possible here.
func (s *Sender) Idle() bool { return true }

// Wait reports false.
func (s *Sender) Wait() bool { return false }
