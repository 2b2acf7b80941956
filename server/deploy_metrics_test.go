package server

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/status"
)

// The Grafana dashboard and the Prometheus rules of deploy/ query only
// what jkbalancer exports (docs/metrics.md#grafana-dashboard-and-alert-rules):
// a renamed metric or label would leave a panel empty and an alert silent
// without any error.

const (
	dashboardFile = "../deploy/grafana/jkbalancer.json"
	rulesFile     = "../deploy/prometheus/jkbalancer-rules.yml"
)

// family is an exported metric family: its type and label names.
type family struct {
	typ    string
	labels map[string]bool
}

// exportedFamilies scrapes a real server with an lb and a request behind
// it, and adds the families that appear only with findings (the doctor's)
// from their collectors' descriptions.
func exportedFamilies(t *testing.T) map[string]*family {
	t.Helper()
	t1 := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer t1.Close()
	workers := "worker.list=lb\nworker.t1.host=127.0.0.1\nworker.t1.port=" + portOf(t1) +
		"\nworker.t1.route=t1\nworker.lb.type=lb\nworker.lb.balance_workers=t1\n"
	// A request log file: jkbalancer_file_write_failing and
	// jkbalancer_log_write_failures_total list the configured files.
	yaml := adminYAML + "log: {request_format: combined, request_file: " + t.TempDir() + "/req.log}\n"
	ts := startServer(t, map[string]string{"workers.properties": workers, "jkbalancer.yaml": yaml}, "/app/*=lb")
	get(t, ts.base+"/app/x", "Cookie: JSESSIONID=abc.t1")
	resp, err := http.Get("http://" + ts.srv.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := make(map[string]*family)
	fam := func(name string) *family {
		if out[name] == nil {
			out[name] = &family{labels: map[string]bool{}}
		}
		return out[name]
	}
	labelRE := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) == 4 && f[1] == "TYPE" {
			fam(f[2]).typ = f[3]
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(line, "{")
		name = strings.Fields(name)[0]
		if f := out[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")]; f != nil {
			name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		}
		for _, m := range labelRE.FindAllStringSubmatch(rest, -1) {
			fam(name).labels[m[1]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	descRE := regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)
	ch := make(chan *prometheus.Desc, 16)
	status.NewDoctorCollector(nil).Describe(ch)
	status.NewFailoverCollector(nil).Describe(ch)
	close(ch)
	for d := range ch {
		m := descRE.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read %s", d)
		}
		f := fam(m[1])
		for _, l := range strings.Split(m[2], ",") {
			f.labels[l] = true
		}
	}
	return out
}

// queried returns the metric names the text queries, and per name the
// label names its selectors match on.
func queried(text string) map[string][]string {
	out := make(map[string][]string)
	nameRE := regexp.MustCompile(`\b((?:jkbalancer|process|go)_[a-z0-9_]+)\b(\{[^}]*\})?`)
	matcherRE := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	for _, m := range nameRE.FindAllStringSubmatch(text, -1) {
		ls := out[m[1]]
		for _, l := range matcherRE.FindAllStringSubmatch(m[2], -1) {
			if !slices.Contains(ls, l[1]) {
				ls = append(ls, l[1])
			}
		}
		out[m[1]] = ls
	}
	return out
}

// dashboardText is every string of the dashboard (queries, template
// variables, annotations, descriptions), which must be valid JSON.
func dashboardText(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			b.WriteString(v + "\n")
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return b.String()
}

func TestDeployQueriesExportedMetrics(t *testing.T) {
	exported := exportedFamilies(t)
	rules, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	for file, text := range map[string]string{dashboardFile: dashboardText(t), rulesFile: string(rules)} {
		q := queried(text)
		if len(q) < 10 {
			t.Errorf("%s queries only %d metrics: %v", file, len(q), q)
		}
		for name, labels := range q {
			checkQueried(t, file, exported, name, labels)
		}
	}
}

// checkQueried fails unless name is an exported family (or the bucket,
// sum or count series of an exported histogram) with every label.
func checkQueried(t *testing.T, file string, exported map[string]*family, name string, labels []string) {
	t.Helper()
	f, bucket := exported[name], false
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); f == nil && ok && exported[base] != nil && exported[base].typ == "histogram" {
			f, bucket = exported[base], suffix == "_bucket"
		}
	}
	if f == nil {
		t.Errorf("%s queries %s, which jkbalancer does not export", file, name)
		return
	}
	for _, l := range labels {
		if !f.labels[l] && (l != "le" || !bucket) {
			t.Errorf("%s selects %s on label %q; its labels are %v", file, name, l, f.labels)
		}
	}
}

// The rules pass promtool check rules (and their unit tests, promtool test
// rules) where promtool is installed; CI installs it (Debian package
// prometheus), so there a missing promtool fails.
func TestDeployRulesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not installed (Debian package prometheus; .ci/run installs it)")
		}
		t.Skip("promtool not installed")
	}
	out, err := exec.Command(promtool, "check", "rules", rulesFile).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	tests := strings.TrimSuffix(rulesFile, ".yml") + ".test.yml"
	out, err = exec.Command(promtool, "test", "rules", tests).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}
