package main

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestHangupReloads: SIGHUP calls the reload hook, again on every signal,
// and a failing reload does not stop the watcher.
func TestHangupReloads(t *testing.T) {
	calls := make(chan struct{}, 4)
	stop := onHangup(func() error {
		calls <- struct{}{}
		return errors.New("broken certificate")
	})
	defer stop()
	for i := 0; i < 2; i++ {
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		select {
		case <-calls:
		case <-time.After(5 * time.Second):
			t.Fatalf("SIGHUP %d did not call the reload", i+1)
		}
	}
}
