package server

import (
	"context"
	"time"
)

// Requests in flight per runtime. ServeHTTP uses one runtime from start
// to end, so a runtime replaced by a reload stays usable until its last
// request ends; only then are the members the new runtime does not keep
// closed. The count is one atomic add on the way in and one on the way
// out, without allocation.

// maxAcquire bounds the retries of acquire when reloads keep replacing the
// runtime it just counted on (each retry means a reload committed in
// between; reloads are serialised, so two in a row are already rare).
const maxAcquire = 4

// acquire returns the current runtime with the request counted in flight
// on it, or nil once the server is closed. The caller must release it.
// Counting and then checking that the runtime is still current closes the
// race with a reload: a retiring runtime that saw no request in flight
// after the swap can no longer gain one that uses it.
func (s *Server) acquire() *runtime {
	s.mem.started.Add(1) // the server is not quiet (memRelease)
	var rt *runtime
	for i := 0; i < maxAcquire; i++ {
		rt = s.rt.Load()
		if rt == nil {
			return nil
		}
		rt.inflight.Add(1)
		if s.rt.Load() == rt {
			return rt
		}
		rt.release()
	}
	// Reloads back to back: serve on the newest seen. Its members close
	// only after this request, because it is counted there first.
	rt.inflight.Add(1)
	return rt
}

// release ends a request counted by acquire.
func (rt *runtime) release() {
	if rt.draining.Load() {
		rt.drained.Add(1)
	}
	if rt.inflight.Add(-1) == 0 && rt.retiring.Load() {
		select {
		case rt.idle <- struct{}{}:
		default:
		}
	}
}

// waitIdle waits until no request is in flight on rt, or ctx ends. It
// reports whether rt went idle.
func (rt *runtime) waitIdle(ctx context.Context) bool {
	rt.retiring.Store(true)
	for rt.inflight.Load() > 0 {
		select {
		case <-rt.idle:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// retire winds down old, replaced by next: its health checker stops now;
// once its requests are done (at most timeout, or until Close) the members
// next does not keep are closed. prev (nil: none) is closed when the
// retirement of the runtime before old has finished: old's members may
// still be in use by that one's requests, so old closes nothing before.
// It returns the channel closed when old is retired.
func (s *Server) retire(old, next *runtime, prev <-chan struct{}, timeout time.Duration) <-chan struct{} {
	old.health.Close()
	done := make(chan struct{})
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer close(done)
		ctx, cancel := context.WithTimeout(s.base, timeout)
		defer cancel()
		idle := old.waitIdle(ctx)
		if prev != nil {
			select {
			case <-prev:
			case <-ctx.Done():
			}
		}
		if !idle && s.base.Err() == nil { // not idle and not closing: the timeout
			s.log.Warn("reload: requests still running on the previous configuration after the shutdown timeout; closing its dropped members",
				"in_flight", old.inflight.Load())
		}
		old.closeMembers(next)
	}()
	return done
}

// waitBackground waits, at most until ctx ends, for the runtimes a reload
// retired and the listeners it removed.
func (s *Server) waitBackground(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.bg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// shutdownTimeout bounds a drain and a reload's wait for old requests.
func (s *Server) shutdownTimeout() time.Duration {
	if rt := s.rt.Load(); rt != nil && rt.cfg.Server.ShutdownTimeout > 0 {
		return rt.cfg.Server.ShutdownTimeout
	}
	return 30 * time.Second
}
