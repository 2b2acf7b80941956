package server

import (
	"os"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// JkMountFileReload (docs/compat.md#mount-file-reload): every mount_file_reload seconds
// the mount file's mtime is compared with the one last read; when it
// differs, the file is read again and its rules replace the ones that came
// from it, while the JkMount-style rules (jkbalancer.yaml mounts, --mount,
// worker.X.mount, proxy_pass) stay. Only the mount table changes; the
// workers are untouched. mod_jk checks inside a request at most every N
// seconds; here the server's maintenance loop checks every N seconds, so
// no request pays for the stat or the parse. mod_jk compares the mtime to
// the second; any difference counts here. A file with no rules leaves
// only the other rules, like mod_jk. A file that does not load keeps the
// current table, and its problems are logged once per change of the file.

// watchMountFile records the mount file's current mtime: the version just
// loaded with the configuration.
func (rt *runtime) watchMountFile() {
	if f := rt.cfg.Server.MountFile; f != "" {
		if fi, err := os.Stat(f); err == nil {
			rt.mountSeen = fi.ModTime()
		}
	}
}

// CheckMountFile reads the mount file again when its mtime changed since
// it was last read, and installs its rules. It reports whether the mount
// table changed; the error says why a changed file was refused. The
// maintenance loop calls it every mount_file_reload seconds.
func (s *Server) CheckMountFile() (bool, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	rt := s.rt.Load()
	if s.closed || rt == nil || rt.cfg.Server.MountFile == "" {
		return false, nil
	}
	path := rt.cfg.Server.MountFile
	fi, err := os.Stat(path)
	if err != nil {
		if !rt.mountSeen.IsZero() {
			// Logged once: the zero mtime marks the missing file as
			// reported; a new file has another mtime.
			s.stats.mountFailed.Add(1)
			s.log.Error("mount file cannot be read; the current mount rules stay", "file", path, "err", err)
			rt.mountSeen = time.Time{}
		}
		return false, err
	}
	if fi.ModTime().Equal(rt.mountSeen) {
		return false, nil
	}
	rt.mountSeen = fi.ModTime() // a broken version is reported once
	rules, problems := config.LoadMountFile(path, nil)
	if err := problems.Err(); err != nil {
		s.stats.mountFailed.Add(1)
		for _, p := range problems {
			s.log.Error("mount file problem", "problem", p.String())
		}
		s.log.Error("mount file not reloaded; the current mount rules stay", "file", path,
			"errors", len(problems.Errors()))
		return false, err
	}
	for _, p := range append(problems, rt.cfg.CheckMounts(rules)...) {
		s.log.Warn("mount file warning", "problem", p.String())
	}
	for _, r := range rt.mounts.Load().Rules {
		if r.Source != config.SourceURIMap {
			rules = append(rules, r)
		}
	}
	rt.mounts.Store(config.NewMountTable(rules))
	s.stats.mountOK.Add(1)
	s.log.Info("mount file reloaded", "file", path, "rules", len(rules))
	return true, nil
}
