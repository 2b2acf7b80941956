// Package headless drives a headless Chromium for the integration tests
// (test machinery only, like ajp/ajptest): it speaks the DevTools protocol
// over --remote-debugging-pipe, where Chromium reads JSON messages from
// its fd 3 and writes them to its fd 4, each ended by a NUL byte. That
// needs no websocket client and no third-party module. See
// docs/testing.md#the-status-page-in-a-browser.
package headless

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// MaxMessage bounds one message from the browser (a full-page PNG
// screenshot in base64 is the largest we ask for).
const MaxMessage = 32 << 20

// ErrClosed is returned by calls on a browser that has exited or was
// closed.
var ErrClosed = errors.New("headless: browser connection closed")

// Find returns the path of a Chromium binary (Debian: package chromium),
// or "".
func Find() string {
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// Args are the flags Launch starts Chromium with: headless, the pipe, a
// private profile in dataDir, and nothing that reaches beyond loopback
// (no background networking, no component updates, no name resolution).
func Args(dataDir string) []string {
	a := []string{
		"--headless", "--remote-debugging-pipe", "--user-data-dir=" + dataDir,
		"--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-features=Translate,MediaRouter,OptimizationHints",
		"--metrics-recording-only", "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
		"--password-store=basic", "--hide-scrollbars", "--mute-audio", "--disable-dev-shm-usage",
		"--window-size=1280,900",
	}
	if os.Geteuid() == 0 {
		a = append(a, "--no-sandbox") // Chromium refuses to run its sandbox as root
	}
	return append(a, "about:blank")
}

// Browser is a running Chromium and its protocol connection.
type Browser struct {
	cmd  *exec.Cmd
	w    *os.File // Chromium's fd 3
	r    *os.File // Chromium's fd 4
	wmu  sync.Mutex
	mu   sync.Mutex
	next int64
	wait map[int64]chan message
	subs map[*Sub]bool
	done chan struct{} // closed when the reader stops
	err  error         // why it stopped, set before done closes
	once sync.Once
	exit chan struct{} // closed when the process has exited and its stderr is read
	max  int           // bytes of one message
	errs *tail
}

// Launch starts bin (see Find) with Args(dataDir) in its own process
// group; Close kills the group.
func Launch(bin, dataDir string) (*Browser, error) {
	return start(exec.Command(bin, Args(dataDir)...), MaxMessage)
}

// start runs cmd with the two pipes as its fd 3 and 4.
func start(cmd *exec.Cmd, max int) (*Browser, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{inR, outW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	errs := &tail{}
	cmd.Stderr = errs
	cmd.WaitDelay = 2 * time.Second // a descendant that escaped the group keeps stderr open
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("headless: starting %s: %w", cmd.Path, err)
	}
	b := &Browser{cmd: cmd, w: inW, r: outR, wait: map[int64]chan message{}, subs: map[*Sub]bool{},
		done: make(chan struct{}), max: max, errs: errs, exit: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(b.exit)
	}()
	go b.read()
	return b, nil
}

// Pid is the browser's process id, also its process group's.
func (b *Browser) Pid() int { return b.cmd.Process.Pid }

// tail keeps the last 4 KiB written to it: the browser's stderr, for the
// error of a browser that went away.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - 4096; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// Close kills the browser's process group and waits (at most 10 s) for
// it. It is safe to call more than once.
func (b *Browser) Close() error {
	var err error
	b.once.Do(func() {
		b.w.Close()
		if !b.kill() {
			err = errors.New("headless: browser did not exit within 10 s of SIGKILL")
		}
		b.r.Close()
		<-b.done
	})
	return err
}

// kill kills the process group and waits (at most 10 s) for the process
// to be gone; it reports whether it is.
func (b *Browser) kill() bool {
	select {
	case <-b.exit:
		return true // reaped: its pid may be another process's by now
	default:
	}
	syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-b.exit:
		return true
	case <-time.After(10 * time.Second):
		return false
	}
}

// message is one protocol message, either way.
type message struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *ProtocolError  `json:"error,omitempty"`
}

// ProtocolError is the browser's answer to a call it refused.
type ProtocolError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("headless: protocol error %d: %s", e.Code, e.Message)
}

// read dispatches the browser's messages until the pipe ends or a
// message is malformed or too large.
func (b *Browser) read() {
	br := bufio.NewReaderSize(b.r, 64<<10)
	var err error
	for {
		var raw []byte
		if raw, err = readFrame(br, b.max); err != nil {
			break
		}
		var m message
		if err = json.Unmarshal(raw, &m); err != nil {
			err = fmt.Errorf("headless: malformed message: %w", err)
			break
		}
		b.dispatch(m)
	}
	// A browser that broke the protocol is of no further use; one that
	// exited has its last stderr lines read once it is reaped.
	b.kill()
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
	close(b.done)
}

// readFrame reads up to the next NUL, refusing frames over max bytes.
func readFrame(br *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice(0)
		if len(buf)+len(chunk) > max+1 {
			return nil, fmt.Errorf("headless: a message over %d bytes", max)
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			return buf[:len(buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0:
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

func (b *Browser) dispatch(m message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m.ID != 0 {
		if ch := b.wait[m.ID]; ch != nil {
			ch <- m // buffered, one answer per id
			delete(b.wait, m.ID)
		}
		return
	}
	for s := range b.subs {
		if s.method == m.Method && s.session == m.SessionID {
			select {
			case s.c <- m.Params:
			default: // a subscriber that does not read loses events, never blocks the reader
			}
		}
	}
}
