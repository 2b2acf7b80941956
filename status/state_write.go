package status

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Writing the state file (docs/hardening.md#a-full-disk). An edit always
// applies and is kept in the Store; when the file cannot take it (a full
// disk), the old file stays whole, the error log says so once, and
// Retry, called on a timer by the server, and every later edit write it
// again until it works; one line then says the file holds every edit.

// tempFile is what saveLocked needs of the temporary file.
type tempFile interface {
	io.Writer
	Name() string
	Chmod(os.FileMode) error
	Sync() error
	Close() error
}

func osCreateTemp(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }

// Retry writes the state file again if an edit has not reached it yet;
// it does nothing otherwise (nil Store, memory store, file up to date).
func (s *Store) Retry() {
	if s == nil || s.path == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dirty {
		s.saveLocked()
	}
}

// Unsaved reports whether the state file lacks an edit the Store holds.
func (s *Store) Unsaved() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dirty
}

// saveLocked writes the state and reports a change of the file's
// writability once each way.
func (s *Store) saveLocked() {
	s.pruneLocked()
	if s.path == "" {
		return // a memory store
	}
	err := s.writeLocked()
	s.dirty = err != nil
	switch {
	case err != nil && !s.failing:
		s.failing = true
		s.log.Error("the state file cannot be written; status worker edits apply and are kept in memory, "+
			"and written when it can be", "file", s.path, "err", err)
	case err == nil && s.failing:
		s.failing = false
		s.log.Info("the state file can be written again; it holds every status worker edit", "file", s.path)
	}
}

// writeLocked writes the state atomically: a temporary file in the same
// directory (mode 0600), fsync, rename over the old file, fsync of the
// directory. The old file is untouched until the rename.
func (s *Store) writeLocked() error {
	data, err := json.MarshalIndent(&s.st, "", "  ")
	if err != nil {
		return err
	}
	create := s.create
	if create == nil {
		create = osCreateTemp
	}
	dir := filepath.Dir(s.path)
	f, err := create(dir, "."+filepath.Base(s.path)+".tmp*")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := writeSync(f, append(data, '\n')); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// writeSync writes data to f with mode 0600, syncs and closes it.
func writeSync(f tempFile, data []byte) error {
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
