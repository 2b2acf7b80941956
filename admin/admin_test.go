package admin

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/doctor"
	"github.com/jkbalancer/jkbalancer/status"
)

// adminConfig puts the admin listener on a free loopback port.
var adminConfig = config.Admin{Listen: "127.0.0.1:0", MetricsPath: "/metrics"}

// fakeSource stands for the running server.
type fakeSource struct {
	mu      sync.Mutex
	ready   bool
	why     string
	reloads ReloadStats
	files   []FileStats
	disc    prometheus.Collector // nil: a fresh counter
	mem     uint64
}

func (f *fakeSource) Workers() []status.Worker   { return nil }
func (f *fakeSource) Findings() []doctor.Finding { return nil }

func (f *fakeSource) SessionFailovers() []doctor.FailoverCount { return nil }

func (f *fakeSource) Ready() (bool, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ready, f.why
}

func (f *fakeSource) setReady(ok bool, why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ready, f.why = ok, why
}

func (f *fakeSource) Reloads() ReloadStats { return f.reloads }

func (f *fakeSource) Files() []FileStats { return f.files }

func (f *fakeSource) MemoryReleases() uint64 { return f.mem }

func (f *fakeSource) Discovery() prometheus.Collector {
	if f.disc == nil {
		f.disc = prometheus.NewCounter(prometheus.CounterOpts{Name: "jkbalancer_discover_lookups_total", Help: "fake"})
	}
	return f.disc
}

// newListener builds and binds an admin listener over src; the test's
// end closes it.
func newListener(t *testing.T, cfg config.Admin, src Source) *Listener {
	t.Helper()
	l, err := New(cfg, slog.New(slog.DiscardHandler), src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	if err := l.Listen(); err != nil {
		t.Fatal(err)
	}
	return l
}

func httpStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// syncBuf is a log destination the listener's goroutines may write to
// while the test reads it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReadyzStates: /readyz is 503 until the front end serves, then
// follows the workers' readiness with its reason, and is 503 for good
// once the drain began; /healthz is 200 throughout.
func TestReadyzStates(t *testing.T) {
	src := &fakeSource{ready: true}
	l := newListener(t, adminConfig, src)
	base := "http://" + l.Addr()
	check := func(when string, code int, body string) {
		t.Helper()
		if c, b := httpStatus(t, base+"/readyz"); c != code || strings.TrimSpace(b) != body {
			t.Errorf("%s: /readyz %d %q, want %d %q", when, c, b, code, body)
		}
		if c, _ := httpStatus(t, base+"/healthz"); c != 200 {
			t.Errorf("%s: /healthz %d", when, c)
		}
	}
	check("bound, not serving", 503, "not ready: the listeners are not serving yet")
	l.Serving()
	check("serving", 200, "ready")
	src.setReady(false, "no worker can take a request: lb lb: t1 ERR ACT")
	check("no usable worker", 503, "not ready: no worker can take a request: lb lb: t1 ERR ACT")
	src.setReady(true, "")
	l.Drain()
	check("draining", 503, "not ready: draining, new connections are refused")
}

// TestMetricsRegistry: /metrics exports what newRegistry registers, read
// from the source at each scrape: the reload counters, the files' write
// failures, the memory releases, discovery's collector, the process and
// Go runtime.
func TestMetricsRegistry(t *testing.T) {
	last := time.Unix(1_700_000_000, 0)
	src := &fakeSource{reloads: ReloadStats{Reloads: 3, Failed: 1, MountReloads: 2, LastReload: last},
		files: []FileStats{{Name: "request_log", Failing: true, Log: true, Failures: 7}, {Name: "state_file", Failing: true}},
		mem:   5}
	l := newListener(t, adminConfig, src)
	code, body := httpStatus(t, "http://"+l.Addr()+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`jkbalancer_reloads_total{kind="config",result="ok"} 3`,
		`jkbalancer_reloads_total{kind="config",result="failed"} 1`,
		`jkbalancer_reloads_total{kind="mount_file",result="ok"} 2`,
		`jkbalancer_reloads_total{kind="mount_file",result="failed"} 0`,
		"jkbalancer_last_reload_success_timestamp_seconds 1.7e+09",
		"jkbalancer_discover_lookups_total 0",
		"jkbalancer_memory_releases_total 5",
		`jkbalancer_file_write_failing{file="request_log"} 1`,
		`jkbalancer_file_write_failing{file="state_file"} 1`,
		`jkbalancer_log_write_failures_total{file="request_log"} 7`,
		"go_goroutines ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(body, want+"\n") && !strings.Contains(body, "\n"+want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, `jkbalancer_log_write_failures_total{file="state_file"}`) {
		t.Error("/metrics counts log lines of the state file")
	}
}

// TestNewRefusesClash: two collectors exporting the same family are a
// programming error New reports, rather than a /metrics that fails at
// every scrape.
func TestNewRefusesClash(t *testing.T) {
	clash := prometheus.NewGauge(prometheus.GaugeOpts{Name: "jkbalancer_last_reload_success_timestamp_seconds", Help: "clash"})
	if _, err := New(adminConfig, slog.New(slog.DiscardHandler), &fakeSource{disc: clash}); err == nil ||
		!strings.HasPrefix(err.Error(), "metrics: ") {
		t.Fatalf("New with a clashing collector: %v", err)
	}
}
