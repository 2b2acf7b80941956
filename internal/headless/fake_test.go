package headless

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The fake browser is this test binary run again with HEADLESS_FAKE set:
// it speaks the pipe protocol on fd 3 and 4 like Chromium, so the client
// is tested without one.
func TestMain(m *testing.M) {
	if mode := os.Getenv("HEADLESS_FAKE"); mode != "" {
		fakeBrowser(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func fakeBrowser(mode string) {
	in, out := bufio.NewReader(os.NewFile(3, "in")), os.NewFile(4, "out")
	send := func(v any) {
		b, _ := json.Marshal(v)
		out.Write(append(b, 0))
	}
	if mode == "child" {
		// a grandchild in the same process group, as Chromium's renderers are
		c := exec.Command("sleep", "120")
		c.Start()
		os.WriteFile(os.Getenv("HEADLESS_CHILD_PID"), []byte(fmt.Sprint(c.Process.Pid)), 0o644)
	}
	for {
		raw, err := in.ReadBytes(0)
		if err != nil {
			return
		}
		var m message
		if json.Unmarshal(raw[:len(raw)-1], &m) != nil {
			return
		}
		switch {
		case mode == "die":
			fmt.Fprintln(os.Stderr, "fake browser: no usable sandbox")
			return
		case mode == "huge":
			out.Write([]byte(`{"id":1,"result":{"x":"` + strings.Repeat("a", 5000) + `"}}` + "\x00"))
		case mode == "garbage":
			out.Write([]byte("not json\x00"))
		case m.Method == "Fire":
			send(message{Method: "Ev", SessionID: "other", Params: json.RawMessage(`{"n":0}`)})
			send(message{Method: "Ev", SessionID: m.SessionID, Params: json.RawMessage(`{"n":1}`)})
			send(message{ID: m.ID, Result: json.RawMessage(`{}`)})
		case m.Method == "Fail":
			send(message{ID: m.ID, Error: &ProtocolError{Code: -32000, Message: "no such thing"}})
		default:
			send(message{ID: m.ID, Result: json.RawMessage(fmt.Sprintf(`{"method":%q,"session":%q,"params":%s}`,
				m.Method, m.SessionID, orNull(m.Params)))})
		}
	}
}

func orNull(p json.RawMessage) string {
	if len(p) == 0 {
		return "null"
	}
	return string(p)
}

// startFake runs the fake browser in mode; it is closed when the test ends.
func startFake(t *testing.T, mode string, max int, env ...string) *Browser {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "HEADLESS_FAKE="+mode), env...)
	b, err := start(cmd, max)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}
