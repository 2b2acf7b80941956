package accesslog

import (
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// diskFile is a file on a disk that can fill: while full it takes at
// most room more bytes, then fails with ENOSPC.
type diskFile struct {
	mu   sync.Mutex
	b    strings.Builder
	full bool
	room int
}

func (d *diskFile) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.full {
		return d.b.WriteString(string(p))
	}
	n := min(d.room, len(p))
	d.room -= n
	d.b.WriteString(string(p[:n]))
	if n < len(p) {
		return n, syscall.ENOSPC
	}
	return n, nil
}

func (d *diskFile) set(full bool, room int) {
	d.mu.Lock()
	d.full, d.room = full, room
	d.mu.Unlock()
}

// TestGuardedFullDisk: a full disk fails each write at once with its
// error, says so once (not per line), loses no line after space returns,
// says so once with the count lost, and a line the disk cut short does
// not run into the next one.
func TestGuardedFullDisk(t *testing.T) {
	d := &diskFile{}
	g := NewGuarded("/var/log/req.log", d)
	var changes []Change
	g.OnChange = func(c Change) { changes = append(changes, c) }

	if _, err := g.Write([]byte("before\n")); err != nil {
		t.Fatal(err)
	}
	d.set(true, 3) // room for "cut" of the next line only
	for i := range 5 {
		n, err := g.Write([]byte("cut short\n"))
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("write %d on the full disk: n=%d err=%v, want ENOSPC", i, n, err)
		}
	}
	if len(changes) != 1 || changes[0].File != "/var/log/req.log" || !errors.Is(changes[0].Err, syscall.ENOSPC) {
		t.Fatalf("after 5 failed writes: changes %+v, want one with ENOSPC and the file name", changes)
	}
	d.set(false, 0)
	for _, l := range []string{"after 1\n", "after 2\n"} {
		if _, err := g.Write([]byte(l)); err != nil {
			t.Fatalf("write once space returned: %v", err)
		}
	}
	if len(changes) != 2 || changes[1].Err != nil || changes[1].Lost != 5 {
		t.Fatalf("changes %+v, want a second one: no error, 5 lost", changes)
	}
	if want := "before\ncut\nafter 1\nafter 2\n"; d.b.String() != want {
		t.Errorf("file %q, want %q", d.b.String(), want)
	}
}

// TestGuardedFlapping: every change each way is reported once, however
// many lines in between.
func TestGuardedFlapping(t *testing.T) {
	d := &diskFile{}
	g := NewGuarded("f", d)
	var fails, resumes int
	g.OnChange = func(c Change) {
		if c.Err != nil {
			fails++
		} else {
			resumes++
		}
	}
	for round := range 3 {
		d.set(true, 0)
		for range 10 {
			g.Write([]byte("x\n"))
		}
		d.set(false, 0)
		for range 10 {
			g.Write([]byte("y\n"))
		}
		if fails != round+1 || resumes != round+1 {
			t.Fatalf("round %d: %d fail and %d resume reports, want %d each", round, fails, resumes, round+1)
		}
	}
}

// TestGuardedConcurrent: lines from concurrent writers stay whole, and one
// report each way however many writers hit the full disk (run with -race).
func TestGuardedConcurrent(t *testing.T) {
	d := &diskFile{}
	g := NewGuarded("f", d)
	var mu sync.Mutex
	var reports []Change
	g.OnChange = func(c Change) { mu.Lock(); reports = append(reports, c); mu.Unlock() }
	d.set(true, 0)
	write := func(line string) {
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					g.Write([]byte(line))
				}
			}()
		}
		wg.Wait()
	}
	write("lost\n")
	d.set(false, 0)
	write("0123456789\n")
	if len(reports) != 2 || reports[0].Err == nil || reports[1].Err != nil || reports[1].Lost != 400 {
		t.Fatalf("reports %+v, want a failure then a recovery with 400 lost", reports)
	}
	for _, l := range strings.Split(strings.TrimSuffix(d.b.String(), "\n"), "\n") {
		if l != "0123456789" {
			t.Fatalf("line %q in the file", l)
		}
	}
}

// TestGuardedWriteAllocs: a working file costs the request path no
// allocation.
func TestGuardedWriteAllocs(t *testing.T) {
	g := NewGuarded("f", discard{})
	g.OnChange = func(Change) {}
	line := []byte("a request line\n")
	if n := testing.AllocsPerRun(100, func() { g.Write(line) }); n != 0 {
		t.Errorf("%v allocations per write, want 0", n)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
