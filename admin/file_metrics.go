package admin

import "github.com/prometheus/client_golang/prometheus"

// FileStats is one file the server writes (Source.Files): the request
// log, the error log or the state file. A full disk shows here
// (docs/hardening.md#a-full-disk), for an alert, besides the one log line.
type FileStats struct {
	// Name is request_log, error_log or state_file.
	Name string
	// Failing: its writes fail now (a log), or it lacks an edit (the
	// state file).
	Failing bool
	// Log: a log file, whose failed line writes Failures counts since
	// the start (lost request lines; error lines sent to stderr).
	Log      bool
	Failures uint64
}

// fileCollector exports FileStats.
type fileCollector struct {
	files    func() []FileStats
	failing  *prometheus.Desc
	failures *prometheus.Desc
}

func newFileCollector(files func() []FileStats) *fileCollector {
	return &fileCollector{
		files: files,
		failing: prometheus.NewDesc("jkbalancer_file_write_failing",
			"1 while a file jkbalancer writes cannot be written (a full disk): file request_log, error_log (its lines go to stderr) or state_file (status edits apply but are not saved yet; retried every 10 s).",
			[]string{"file"}, nil),
		failures: prometheus.NewDesc("jkbalancer_log_write_failures_total",
			"Log lines whose write failed since start: request_log lines are lost, error_log lines went to stderr.",
			[]string{"file"}, nil),
	}
}

func (c *fileCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.failing
	ch <- c.failures
}

func (c *fileCollector) Collect(ch chan<- prometheus.Metric) {
	for _, f := range c.files() {
		v := 0.0
		if f.Failing {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.failing, prometheus.GaugeValue, v, f.Name)
		if f.Log {
			ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(f.Failures), f.Name)
		}
	}
}
