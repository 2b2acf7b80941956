package server

import (
	"io"
	"log/slog"
	"os"

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
// the error log (tests, the demo).
func openLogs(cfg *config.Log, given *slog.Logger) (*logFiles, error) {
	lf := &logFiles{errorLog: given}
	var errW io.Writer = os.Stderr
	if cfg.File != "" {
		f, err := accesslog.OpenAppend(cfg.File)
		if err != nil {
			return nil, err
		}
		lf.closers = append(lf.closers, f)
		errW = f
	}
	if lf.errorLog == nil {
		lf.errorLog = NewLogger(cfg, errW)
	}
	w, c, err := accesslog.Output(cfg.RequestFile, errW)
	if err != nil {
		lf.Close()
		return nil, err
	}
	if c != nil {
		lf.closers = append(lf.closers, c)
	}
	lf.requestLog = w
	return lf, nil
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
