package server

import (
	"io"
	"log/slog"

	"github.com/jkbalancer/jkbalancer/accesslog"
	"github.com/jkbalancer/jkbalancer/config"
)

// logFiles owns the open log files: the error log (slog) and the request
// log's writer (accesslog.Output). The error log stays here, apart from
// accesslog: it is the daemon's own diagnostics, which every part of
// server writes to, while accesslog is one line per client request.
type logFiles struct {
	errorLog   *slog.Logger
	requestLog io.Writer
	closers    []io.Closer
	// The files, for /metrics (nil when not configured).
	errorFile, requestFile *accesslog.Guarded
}

// LevelTrace is mod_jk's trace level, below debug.
const LevelTrace = slog.LevelDebug - 4

func parseLevel(s string) slog.Level {
	switch s {
	case "trace":
		return LevelTrace
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// NewLogger builds the structured error log described by cfg on w.
func NewLogger(cfg *config.Log, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: parseLevel(cfg.Level)}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openLogs opens the configured files. When given is not nil it is used as
// the error log (tests, the demo). stderr is where the error log goes
// without log.file, and where its lines go while log.file cannot be
// written (docs/hardening.md#a-full-disk).
func openLogs(cfg *config.Log, given *slog.Logger, stderr io.Writer) (*logFiles, error) {
	lf := &logFiles{errorLog: given}
	var errW, shared io.Writer = stderr, stderr
	if cfg.File != "" {
		f, err := accesslog.OpenAppend(cfg.File)
		if err != nil {
			return nil, err
		}
		lf.closers = append(lf.closers, f)
		g := accesslog.NewGuarded(cfg.File, f)
		g.OnChange = errorFileChange(NewLogger(cfg, stderr), NewLogger(cfg, f), cfg.RequestFile == "")
		errW, shared, lf.errorFile = fallbackWriter{g, stderr}, g, g
	}
	if lf.errorLog == nil {
		lf.errorLog = NewLogger(cfg, errW)
	}
	// Request lines share the error log's file without its fallback: a
	// line per request must not flood stderr (the journal).
	w, c, err := accesslog.Output(cfg.RequestFile, shared, requestFileChange(lf.errorLog))
	if err != nil {
		lf.Close()
		return nil, err
	}
	if c != nil {
		lf.closers = append(lf.closers, c)
		lf.requestFile, _ = w.(*accesslog.Guarded)
	}
	lf.requestLog = w
	return lf, nil
}

// fallbackWriter writes an error log line that the file refuses to stderr,
// which systemd's journal keeps: no error log line is lost to a full disk.
type fallbackWriter struct {
	file   io.Writer
	stderr io.Writer
}

func (w fallbackWriter) Write(p []byte) (int, error) {
	if n, err := w.file.Write(p); err == nil {
		return n, nil
	}
	return w.stderr.Write(p)
}

// errorFileChange reports the error log file's changes on stderr, and
// its recovery in the file too, through loggers of their own: the error
// log's handler is busy writing the line that caused the change.
// With requests set the request lines share the file: those are lost.
func errorFileChange(stderr, file *slog.Logger, requests bool) func(accesslog.Change) {
	fail := "the error log file cannot be written; its lines go to stderr until it can"
	if requests {
		fail += " (the request lines it also holds are lost)"
	}
	return func(c accesslog.Change) {
		if c.Err != nil {
			stderr.Error(fail, "file", c.File, "err", c.Err)
			return
		}
		msg := "the error log file can be written again"
		stderr.Info(msg, "file", c.File, "failed_writes", c.Lost)
		file.Info(msg+"; the lines it missed went to stderr", "file", c.File, "failed_writes", c.Lost)
	}
}

// requestFileChange reports the request log file's changes in the error
// log: once when its writes begin to fail, once when they work again.
func requestFileChange(log *slog.Logger) func(accesslog.Change) {
	return func(c accesslog.Change) {
		if c.Err != nil {
			log.Error("the request log file cannot be written; request lines are lost until it can (requests are served)",
				"file", c.File, "err", c.Err)
			return
		}
		log.Info("the request log file can be written again", "file", c.File, "lost_lines", c.Lost)
	}
}

func (lf *logFiles) Close() error {
	var first error
	for _, c := range lf.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	lf.closers = nil
	return first
}
