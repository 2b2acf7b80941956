package headless

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestCallSendsSessionAndParams(t *testing.T) {
	b := startFake(t, "echo", MaxMessage)
	var r struct {
		Method, Session string
		Params          struct{ URL string }
	}
	if err := b.Call(ctx(t), "S1", "Page.navigate", map[string]string{"url": "http://127.0.0.1/"}, &r); err != nil {
		t.Fatal(err)
	}
	if r.Method != "Page.navigate" || r.Session != "S1" || r.Params.URL != "http://127.0.0.1/" {
		t.Fatalf("the browser got %+v", r)
	}
	// calls in a row get their own answers
	for i := range 20 {
		var e struct{ Method string }
		if err := b.Call(ctx(t), "", "M"+strconv.Itoa(i), nil, &e); err != nil || e.Method != "M"+strconv.Itoa(i) {
			t.Fatalf("call %d: %v %+v", i, err, e)
		}
	}
}

func TestEventsReachOnlyTheirSession(t *testing.T) {
	b := startFake(t, "echo", MaxMessage)
	s := b.Subscribe("S1", "Ev")
	defer s.Stop()
	if err := b.Call(ctx(t), "S1", "Fire", nil, nil); err != nil {
		t.Fatal(err)
	}
	p, err := s.Next(ctx(t))
	if err != nil || string(p) != `{"n":1}` {
		t.Fatalf("event %s %v: want the one of session S1", p, err)
	}
	select {
	case p := <-s.c:
		t.Fatalf("a second event %s: the other session's leaked in", p)
	default:
	}
}

func TestProtocolErrorIsReturned(t *testing.T) {
	b := startFake(t, "echo", MaxMessage)
	err := b.Call(ctx(t), "", "Fail", nil, nil)
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Message != "no such thing" {
		t.Fatalf("err %v, want the browser's protocol error", err)
	}
}

// A browser that exits, sends an oversized or malformed message ends the
// pending call with ErrClosed instead of leaving it waiting.
func TestBrokenBrowserEndsCalls(t *testing.T) {
	for _, mode := range []string{"die", "huge", "garbage"} {
		t.Run(mode, func(t *testing.T) {
			b := startFake(t, mode, 1000)
			err := b.Call(ctx(t), "", "X", nil, nil)
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("err %v, want ErrClosed", err)
			}
			if mode == "die" && !strings.Contains(err.Error(), "fake browser: no usable sandbox") {
				t.Fatalf("err %v: the browser's last words are missing", err)
			}
			if err := b.Call(ctx(t), "", "Y", nil, nil); !errors.Is(err, ErrClosed) {
				t.Fatalf("a call after the end: %v", err)
			}
		})
	}
}

// Close kills the whole process group: Chromium's renderers too.
func TestCloseKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	b := startFake(t, "child", MaxMessage, "HEADLESS_CHILD_PID="+pidFile)
	if err := b.Call(ctx(t), "", "X", nil, nil); err != nil { // the child is started before the first answer
		t.Fatal(err)
	}
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	stat := "/proc/" + strings.TrimSpace(string(raw)) + "/stat"
	end := time.Now().Add(20 * time.Second)
	for alive(stat) {
		if time.Now().After(end) {
			t.Fatalf("the browser's child %s still runs 20 s after Close", raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive: the process exists and is not a zombie waiting for a reaper.
func alive(stat string) bool {
	b, err := os.ReadFile(stat)
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

func TestReadFrame(t *testing.T) {
	long := strings.Repeat("x", 100)
	br := bufio.NewReaderSize(strings.NewReader("a\x00"+long+"\x00\x00tail"), 16)
	for _, want := range []string{"a", long, ""} {
		got, err := readFrame(br, 100)
		if err != nil || string(got) != want {
			t.Fatalf("frame %q %v, want %q", got, err, want)
		}
	}
	if _, err := readFrame(br, 100); err == nil {
		t.Fatal("a frame cut short by EOF was accepted")
	}
	br = bufio.NewReaderSize(strings.NewReader(long+"y\x00"), 16)
	if _, err := readFrame(br, 100); err == nil || !strings.Contains(err.Error(), "over 100 bytes") {
		t.Fatalf("a 101-byte frame: %v", err)
	}
}
