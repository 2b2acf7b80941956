package server

import (
	"time"

	"github.com/jkbalancer/jkbalancer/worker"
)

// startMaintenance runs the server's periodic work until the returned
// stop is called: mod_jk's maintenance every worker.maintain seconds (the
// JkWatchdogInterval thread of httpd) and the mount file check every
// mount_file_reload seconds (JkMountFileReload). A reload wakes it to
// take the new intervals. Every worker.HistoryStep it samples the
// members' numbers for the status page's sparklines.
func (s *Server) startMaintenance() func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var maint, mount, hist ticker
		defer maint.stop()
		defer mount.stop()
		defer hist.stop()
		hist.set(worker.HistoryStep)
		for {
			rt := s.rt.Load()
			if rt == nil {
				return
			}
			maint.set(rt.cfg.MaintainInterval())
			mount.set(mountInterval(rt))
			select {
			case <-done:
				return
			case <-s.loopReset:
			case <-maint.c():
				rt.maintain(s.now())
			case <-hist.c():
				rt.sample(s.now())
				rt.store.Retry() // a state file a full disk refused (docs/hardening.md#a-full-disk)
			case <-mount.c():
				_, _ = s.CheckMountFile() // logged there
			}
		}
	}()
	return func() { close(done); <-finished }
}

func mountInterval(rt *runtime) time.Duration {
	if rt.cfg.Server.MountFile == "" || rt.cfg.Server.MountFileReload <= 0 {
		return 0
	}
	return time.Duration(rt.cfg.Server.MountFileReload) * time.Second
}

// ticker is a time.Ticker whose period can change; period 0 never ticks.
type ticker struct {
	every time.Duration
	t     *time.Ticker
}

func (k *ticker) set(d time.Duration) {
	if d == k.every {
		return
	}
	k.stop()
	k.every = d
	if d > 0 {
		k.t = time.NewTicker(d)
	}
}

func (k *ticker) stop() {
	if k.t != nil {
		k.t.Stop()
		k.t = nil
	}
}

// c is the tick channel; nil (never ready) when stopped.
func (k *ticker) c() <-chan time.Time {
	if k.t == nil {
		return nil
	}
	return k.t.C
}
