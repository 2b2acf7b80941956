package worker

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

// logLines returns the lines of log with message msg.
func logLines(log, msg string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "msg=\""+msg+"\"") {
			out = append(out, line)
		}
	}
	return out
}

// TestForwardLogsRetryOnlyWhenOneFollows: "retrying on the same worker"
// is logged after each failed attempt a retry follows, never after the
// last one ("try=2 of=2" was logged when nothing followed); when the
// worker is done, one line says so and why, like mod_jk's single
// "connecting to tomcat failed" after ajp_service's loop.
func TestForwardLogsRetryOnlyWhenOneFollows(t *testing.T) {
	cases := []struct {
		stage   failStage
		props   []string
		retries []string // the try= of each "retrying" line
		giveUp  string   // in the one give-up line
	}{
		{failCloseAfterRead, []string{"retries=2"}, []string{"try=1 of=2"}, "tries=2 of=2 why=\"retries used up\""},
		{failCloseAfterRead, []string{"retries=3"}, []string{"try=1 of=3", "try=2 of=3"}, "tries=3 of=3 why=\"retries used up\""},
		{failCloseAfterRead, []string{"retries=1"}, nil, "tries=1 of=1 why=\"retries used up\""},
		{failCloseAfterRead, []string{"retries=2", "recovery_options=1"}, nil, "tries=1 of=2 why=\"the request may not be sent again\""},
		{failReplyTimeout, []string{"retries=2"}, nil, "tries=1 of=2 why=\"member unreachable or reply timeout: no retry on the same worker\""},
	}
	for _, c := range cases {
		t.Run(c.stage.String()+"/"+strings.Join(c.props, ","), func(t *testing.T) {
			s := newSendScenario(c.stage)
			s.fail()
			a := workerSpec(t, "ajp13", newAJPFailMember(t, s), c.props...)
			var buf testutil.LockedBuffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			m := NewMember(Spec{Name: "w", Attrs: a, Options: Options{Logger: log,
				Sleep: func(context.Context, time.Duration) error { return nil }}})
			t.Cleanup(m.Close)
			req := newReq(http.MethodPost, "/buy", "order=42")
			if c.stage == failReplyTimeout {
				ext := noExtensions
				ext.ReplyTimeout = 50
				req.Rule = &config.Mount{Ext: ext}
			}
			if _, err := m.Forward(httptest.NewRecorder(), req, &Attempt{}); err == nil {
				t.Fatal("no error from a failing member")
			}
			got := logLines(buf.String(), "attempt failed, retrying on the same worker")
			if len(got) != len(c.retries) {
				t.Fatalf("%d retry lines, want %d: %q", len(got), len(c.retries), got)
			}
			for i, want := range c.retries {
				if !strings.Contains(got[i], want) {
					t.Errorf("retry line %d: %q, want %s", i, got[i], want)
				}
			}
			if gu := logLines(buf.String(), "worker gives up on the request"); len(gu) != 1 || !strings.Contains(gu[0], c.giveUp) {
				t.Errorf("give-up lines %q, want one with %s", gu, c.giveUp)
			}
		})
	}
}
