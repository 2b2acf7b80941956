package accesslog

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseLogFormatRejectsBadToken(t *testing.T) {
	if _, err := parseLogFormat("%w %Z"); err == nil {
		t.Fatal("bad token accepted")
	}
	items, err := parseLogFormat(`a\tb\x%s`)
	if err != nil || len(items) != 2 || items[0].lit != "a\tb\\x" || items[1].token != 's' {
		t.Fatalf("items %+v err %v", items, err)
	}
}

// TestLogLine: each token of a JkRequestLogFormat takes its value from the
// Entry or the response, behind mod_jk's default time stamp; an empty
// value is "-".
func TestLogLine(t *testing.T) {
	var out bytes.Buffer
	l, err := New(`%m %r%q %H %p %U %v %w %R %M %s %b %B %T`, &out)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := httptest.NewRequest(http.MethodGet, "/app/x?a=1", nil)
	w := newWriter(httptest.NewRecorder(), start)
	w.WriteHeader(http.StatusCreated)
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	e := &Entry{Request: r, ServerPort: 8080, ServerName: "www", Match: "/app/x", Worker: "lb", Route: "t1"}
	l.Write(w, e, start.Add(1500*time.Millisecond))
	want := "[Fri Jan 02 03:04:06.500 2026] GET GET /app/x?a=1 HTTP/1.1?a=1 HTTP/1.1 8080 /app/x www lb t1 - 201 5 5 1.500000\n"
	if got := out.String(); got != want {
		t.Errorf("line\n%q, want\n%q", got, want)
	}
}

// TestLogCombined: "combined" is Apache's combined format, whatever the
// Entry says beyond the request.
func TestLogCombined(t *testing.T) {
	var out bytes.Buffer
	l, err := New("combined", &out)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	r.Header.Set("User-Agent", "curl")
	w := newWriter(httptest.NewRecorder(), time.Time{})
	l.Write(w, &Entry{Request: r, Worker: "lb"}, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	want := `192.0.2.1 - - [02/Jan/2026:03:04:05 +0000] "GET /x HTTP/1.1" - - "-" "curl"` + "\n"
	if got := out.String(); got != want {
		t.Errorf("line\n%q, want\n%q", got, want)
	}
}

// TestLogOff: no format, no log, and a nil *Log writes nothing.
func TestLogOff(t *testing.T) {
	l, err := New("", new(bytes.Buffer))
	if l != nil || err != nil {
		t.Fatalf("New(\"\") = %v, %v; want nil, nil", l, err)
	}
	w := newWriter(httptest.NewRecorder(), time.Time{})
	l.Write(w, &Entry{Request: httptest.NewRequest(http.MethodGet, "/", nil)}, time.Time{})
}

// TestWriterHeaderSent: an interim (1xx) status is not the response's
// status; the first final one is, and later ones do not change it.
func TestWriterHeaderSent(t *testing.T) {
	w := newWriter(sink{http.Header{}}, time.Time{})
	w.WriteHeader(http.StatusContinue)
	if w.HeaderSent() || w.status != http.StatusContinue {
		t.Fatalf("after 100: sent=%v status=%d", w.HeaderSent(), w.status)
	}
	if _, err := w.Write([]byte("ab")); err != nil {
		t.Fatal(err)
	}
	w.WriteHeader(http.StatusTeapot)
	if !w.HeaderSent() || w.status != http.StatusOK || w.bytes != 2 {
		t.Fatalf("sent=%v status=%d bytes=%d, want true 200 2", w.HeaderSent(), w.status, w.bytes)
	}
}

// TestOutputFile: with a request_file the lines go to it, appended;
// without one they go to the fallback writer.
func TestOutputFile(t *testing.T) {
	var fallback strings.Builder
	w, c, err := Output("", &fallback, nil)
	if err != nil || c != nil {
		t.Fatalf("Output without a file: closer %v err %v", c, err)
	}
	_, _ = w.Write([]byte("a\n"))
	if fallback.String() != "a\n" {
		t.Errorf("fallback got %q", fallback.String())
	}
	path := t.TempDir() + "/req.log"
	for _, line := range []string{"one\n", "two\n"} {
		w, c, err := Output(path, &fallback, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(line))
		c.Close()
	}
	if _, _, err := Output(t.TempDir()+"/no/such/dir/x.log", nil, nil); err == nil || !strings.Contains(err.Error(), "open log file") {
		t.Errorf("a file that cannot be opened: %v", err)
	}
	checkFile(t, path, "one\ntwo\n")
}

func checkFile(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("%s: %q, want %q", path, b, want)
	}
}

// sink is a ResponseWriter that takes anything (httptest's recorder
// refuses a body after an interim status).
type sink struct{ h http.Header }

func (s sink) Header() http.Header       { return s.h }
func (sink) Write(p []byte) (int, error) { return len(p), nil }
func (sink) WriteHeader(int)             {}
