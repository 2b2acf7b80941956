package accesslog

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// Output opens where request log lines go: the file at path (log.
// request_file), Guarded, its changes reported to onChange; or, when path
// is "", fallback, the error log's file, as mod_jk writes them to
// JkLogFile when there is no JkRequestLogFile. Either way whole lines are
// serialised across concurrent requests. The closer is nil when no file
// was opened.
func Output(path string, fallback io.Writer, onChange func(Change)) (io.Writer, io.Closer, error) {
	if path == "" {
		return &lockedWriter{w: fallback}, nil, nil
	}
	f, err := OpenAppend(path)
	if err != nil {
		return nil, nil, err
	}
	g := NewGuarded(path, f)
	g.OnChange = onChange
	return g, f, nil
}

// OpenAppend opens a log file for appending, creating it (mode 0640)
// when it is missing.
func OpenAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	return f, nil
}

// lockedWriter serialises whole lines from concurrent requests.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
