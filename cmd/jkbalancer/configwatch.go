package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/server"
)

// config_reload (docs/reload.md#config-reload): every interval, hash the
// content of every file the running configuration was read from and
// reload, exactly as SIGHUP does, when it differs. Content, not mtime: a
// Kubernetes ConfigMap update swaps the `..data` symlink the files point
// through, and touching a file changes nothing.

// Bounds on one tick's work, whatever the configuration names.
const (
	maxWatchFiles = 256
	maxWatchBytes = 64 << 20 // per file; beyond it only the size counts
)

type digest [sha256.Size]byte

// contentWatch is driven by one goroutine (run); tests call check.
type contentWatch struct {
	configFile string
	// reload loads and applies the files again; it returns the
	// configuration it applied, or an error when the server refused it
	// (logged there, as for SIGHUP).
	reload func() (*config.Config, error)
	log    *slog.Logger

	files []string
	// applied is the content running; refused the last content the
	// server refused, so a broken file is reported once, not every tick.
	applied, refused digest
}

func newContentWatch(configFile string, running *config.Config, reload func() (*config.Config, error), log *slog.Logger) *contentWatch {
	w := &contentWatch{configFile: configFile, reload: reload, log: log}
	w.files = watchedFiles(configFile, running)
	w.applied = hashFiles(w.files)
	return w
}

// check reloads when the content differs from the running and from the
// last refused one; it reports whether it tried.
func (w *contentWatch) check() bool {
	h := hashFiles(w.files)
	if h == w.applied || h == w.refused {
		return false
	}
	w.log.Info("config_reload: the configuration files changed; reloading", "files", len(w.files))
	cfg, err := w.reload()
	if err != nil {
		w.refused = h // the server logged why; say nothing more until the content changes
		return true
	}
	w.files = watchedFiles(w.configFile, cfg)
	w.applied, w.refused = hashFiles(w.files), digest{}
	return true
}

// run checks on every tick until ctx ends.
func (w *contentWatch) run(ctx context.Context, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			w.check()
		}
	}
}

// watchedFiles are the files cfg was read from: jkbalancer.yaml,
// workers.properties, the mount file and the listeners' certificates,
// keys and client CAs. Not the state file: the server writes it.
func watchedFiles(configFile string, cfg *config.Config) []string {
	var files []string
	seen := make(map[string]bool)
	add := func(f string) {
		if f != "" && !seen[f] && len(files) < maxWatchFiles {
			seen[f] = true
			files = append(files, f)
		}
	}
	add(configFile)
	if cfg == nil {
		return files
	}
	add(cfg.Server.WorkersFile)
	add(cfg.Server.MountFile)
	for _, l := range cfg.Server.Listen {
		if l.TLS == nil {
			continue
		}
		add(l.TLS.CertFile)
		add(l.TLS.KeyFile)
		add(l.TLS.ClientCAFile)
		for _, c := range l.TLS.Certificates {
			add(c.CertFile)
			add(c.KeyFile)
		}
	}
	return files
}

// hashFiles digests the names, sizes and contents (following symlinks);
// a file that cannot be read counts as such, so its return is a change.
func hashFiles(files []string) digest {
	h := sha256.New()
	var n [8]byte
	for _, name := range files {
		io.WriteString(h, name)
		h.Write([]byte{0})
		f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0) // a FIFO must not block the open
		if err != nil {
			h.Write([]byte{1})
			continue
		}
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() { // a directory, a FIFO that would block: no content
			h.Write([]byte{3})
			f.Close()
			continue
		}
		binary.BigEndian.PutUint64(n[:], uint64(st.Size()))
		h.Write(n[:])
		if _, err := io.Copy(h, io.LimitReader(f, maxWatchBytes)); err != nil {
			h.Write([]byte{2})
		}
		f.Close()
	}
	var d digest
	h.Sum(d[:0])
	return d
}

// newServerWatch watches the files of cfg, loaded from src, and reloads
// srv from src as SIGHUP does (Server.ReloadFrom: same refusals, same logs).
func newServerWatch(srv *server.Server, src config.Sources, cfg *config.Config) *contentWatch {
	reload := func() (*config.Config, error) {
		var loaded *config.Config
		err := srv.ReloadFrom(func() (*config.Config, config.Problems) {
			c, p := config.Load(src)
			loaded = c
			return c, p
		})
		return loaded, err
	}
	return newContentWatch(src.ConfigFile, cfg, reload, srv.ErrorLog())
}

// startConfigWatch runs the check every cfg.Server.ConfigReload (fixed at
// start) until the returned stop is called; 0 runs nothing.
func startConfigWatch(srv *server.Server, src config.Sources, cfg *config.Config) (stop func()) {
	every := cfg.Server.ConfigReload
	if every <= 0 {
		return func() {}
	}
	w := newServerWatch(srv, src, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	ticker := time.NewTicker(every)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.run(ctx, ticker.C)
	}()
	return func() {
		cancel()
		ticker.Stop()
		<-done
	}
}
