package config

import (
	"os"
	"path/filepath"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

// checkLogFile reports a log file serve could not open for appending
// (server/logs.go opens it O_APPEND|O_CREATE at startup and refuses to
// start otherwise): httpd likewise refuses to start when JkLogFile cannot
// be opened, but only when it starts, so check says it first, with the
// line. Nothing is created: an existing file is opened for writing and
// closed, a missing one needs a directory it can be created in (tested
// with a temporary file that is removed at once).
func checkLogFile(path string, pos Pos, prop string, c *diag.Collector) {
	if path == "" {
		return
	}
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		c.Errorf(pos, "", prop, "%s is a directory: give a file name for the log", path)
		return
	case err == nil:
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			c.Errorf(pos, "", prop, "cannot open the log file for writing: %v", err)
			return
		}
		f.Close()
		return
	case !os.IsNotExist(err):
		c.Errorf(pos, "", prop, "cannot open the log file: %v", err)
		return
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		c.Errorf(pos, "", prop, "cannot create the log file %s: its directory %s does not exist (create it, or fix the path)", path, dir)
		return
	}
	f, err := os.CreateTemp(dir, ".jkbalancer-check-*")
	if err != nil {
		c.Errorf(pos, "", prop, "cannot create the log file %s: %v", path, err)
		return
	}
	f.Close()
	os.Remove(f.Name())
}
