package main

import (
	"os"
	"testing"
)

// TestSysCountSelf attaches perf to the test process and makes a known
// number of write calls: the total and the breakdown must count at least
// those (the runtime's own calls come on top). Skipped where perf cannot
// count (not root, no tracefs).
func TestSysCountSelf(t *testing.T) {
	if err := perfOK(); err != nil {
		t.Skip(err)
	}
	raiseFileLimit()
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc, err := startSysCount([]int{os.Getpid()}, true, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	b := []byte("x")
	for i := 0; i < n; i++ {
		f.Write(b)
	}
	total, by, err := sc.stop()
	if err != nil {
		t.Fatal(err)
	}
	if total < n || by["write"] < n || by["write"] > total {
		t.Errorf("perf counted %v calls, %v writes; want at least %d writes, no more than all calls", total, by["write"], n)
	}
}
