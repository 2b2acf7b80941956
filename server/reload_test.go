package server

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
)

// reloadRig runs a jkbalancer from files in a directory that a test
// rewrites between reloads. "jkbalancer.yaml" is the config file; it may
// use $DIR for the directory, and has no admin listener unless it says so.
type reloadRig struct {
	t    *testing.T
	dir  string
	src  config.Sources
	srv  *Server
	log  *syncBuf
	stop func()
}

func startReloadRig(t *testing.T, files map[string]string) *reloadRig {
	t.Helper()
	return startRig(t, files, nil, nil)
}

// startRig writes files, loads their jkbalancer.yaml and serves it,
// logging at logOpts (nil: Info) into r.log and resolving discover= with
// dns (nil: the real resolver).
func startRig(t *testing.T, files map[string]string, logOpts *slog.HandlerOptions, dns DiscoverResolver) *reloadRig {
	t.Helper()
	r := &reloadRig{t: t, dir: t.TempDir(), log: new(syncBuf)}
	r.writeAll(files)
	r.src = config.Sources{ConfigFile: filepath.Join(r.dir, "jkbalancer.yaml")}
	cfg, problems := config.Load(r.src)
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	r.srv, r.stop = runServer(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(r.log, logOpts)), Discover: dns})
	return r
}

func (r *reloadRig) writeAll(files map[string]string) {
	r.t.Helper()
	for name, text := range files {
		text = strings.ReplaceAll(text, "$DIR", r.dir)
		if name == "jkbalancer.yaml" && !strings.Contains(text, "admin:") {
			text += "admin: {listen: \"\"}\n" // no admin listener on its default port
		}
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(text), 0o600); err != nil {
			r.t.Fatal(err)
		}
	}
}

// reload rewrites files and reloads, as SIGHUP does.
func (r *reloadRig) reload(files map[string]string) error {
	r.t.Helper()
	r.writeAll(files)
	return r.srv.ReloadFrom(func() (*config.Config, config.Problems) { return config.Load(r.src) })
}

func (r *reloadRig) mustReload(files map[string]string) {
	r.t.Helper()
	if err := r.reload(files); err != nil {
		r.t.Fatalf("reload: %v\n%s", err, r.log.String())
	}
}

func (r *reloadRig) url(path string) string { return "http://" + r.srv.Addrs()[0] + path }

// lb returns the current runtime's lb snapshot.
func (r *reloadRig) lb(name string) balancer.Snapshot {
	r.t.Helper()
	lb := r.srv.rt.Load().lbByName[name]
	if lb == nil {
		r.t.Fatalf("no lb %q", name)
	}
	return lb.Snapshot()
}

func member(s balancer.Snapshot, name string) balancer.MemberSnapshot {
	for _, m := range s.Members {
		if m.Name == name {
			return m
		}
	}
	return balancer.MemberSnapshot{}
}

// lbYAML is a jkbalancer.yaml on 127.0.0.1:0 with workers.properties and
// the given extra lines.
func lbYAML(extra string) string {
	return "listen: [\"127.0.0.1:0\"]\nworkers_file: $DIR/workers.properties\nmounts: [\"/*=lb\"]\n" + extra
}

// lbWorkers is an lb over the given ajptest members, named t1, t2, ...
// in order; extra lines follow.
func lbWorkers(members []*ajptest.Server, extra string) string {
	var b strings.Builder
	var names []string
	for i, m := range members {
		n := "t" + string(rune('1'+i))
		names = append(names, n)
		b.WriteString("worker." + n + ".host=127.0.0.1\nworker." + n + ".port=" + portOf(m) + "\n")
	}
	return "worker.list=lb\n" + b.String() + "worker.lb.type=lb\nworker.lb.balance_workers=" +
		strings.Join(names, ",") + "\n" + extra
}

// countRoutes sends n requests and counts the routes that answered.
func countRoutes(t *testing.T, c *http.Client, url string, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d %q", i, resp.StatusCode, b)
		}
		seen[routeOf(string(b))]++
	}
	return seen
}

// eventually polls cond for up to 10 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReloadAddsAndRemovesMembers: a member added by a reload gets
// requests at once; a removed one gets none, and its pooled connection
// to the backend is closed once no request uses it.
func TestReloadAddsAndRemovesMembers(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""),
		"workers.properties": lbWorkers([]*ajptest.Server{t1}, "")})
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 20); got["t1"] != 20 {
		t.Fatalf("before: %v", got)
	}
	// t2 starts at t1's lb value: it shares the load rather than taking
	// the next 20 requests.
	r.mustReload(map[string]string{"workers.properties": lbWorkers([]*ajptest.Server{t1, t2}, "")})
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 4); got["t1"] != 2 || got["t2"] != 2 {
		t.Fatalf("after adding t2: %v", got)
	}
	// t2 alone, named t1 now: the old t1 instance (other port) goes.
	r.mustReload(map[string]string{"workers.properties": lbWorkers([]*ajptest.Server{t2}, "")})
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 4); got["t2"] != 4 {
		t.Fatalf("after removing t1: %v", got)
	}
	eventually(t, "the removed member's connection to close", func() bool { return t1.OpenConns() == 0 })
	if st := r.srv.ReloadStats(); st.Reloads != 2 || st.Failed != 0 || st.LastReload.IsZero() {
		t.Errorf("stats %+v", st)
	}
}

// TestReloadLBFactorRoutingFollows: lbfactor 1:1 then 1:3 changes the
// share each member gets from the next request on.
func TestReloadLBFactorRoutingFollows(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	ms := []*ajptest.Server{t1, t2}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""), "workers.properties": lbWorkers(ms, "")})
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 8); got["t1"] != 4 || got["t2"] != 4 {
		t.Fatalf("1:1: %v", got)
	}
	r.mustReload(map[string]string{"workers.properties": lbWorkers(ms, "worker.t2.lbfactor=3\n")})
	got := countRoutes(t, http.DefaultClient, r.url("/x"), 40)
	// The carried lb values may shift the first pick by one.
	if got["t1"] < 9 || got["t1"] > 11 || got["t1"]+got["t2"] != 40 {
		t.Fatalf("1:3 over 40 requests: %v", got)
	}
	if f := member(r.lb("lb"), "t2").LBFactor; f != 3 {
		t.Errorf("t2 lbfactor %d", f)
	}
	// Same members, same addresses: the connections stayed.
	if t1.Connections() != 1 || t2.Connections() != 1 {
		t.Errorf("backend accepts t1=%d t2=%d, want 1 each", t1.Connections(), t2.Connections())
	}
}

// TestReloadKeepsPooledConnection: a member whose configuration did not
// change keeps its instance, so its warm connection serves after the
// reload; a member whose attributes changed gets a new one, and the old
// connection is closed.
func TestReloadKeepsPooledConnection(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	ms := []*ajptest.Server{t1, t2}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""), "workers.properties": lbWorkers(ms, "")})
	countRoutes(t, http.DefaultClient, r.url("/x"), 4)
	if t1.Connections() != 1 || t2.Connections() != 1 {
		t.Fatalf("accepts before: t1=%d t2=%d", t1.Connections(), t2.Connections())
	}
	r.mustReload(map[string]string{"workers.properties": lbWorkers(ms, "worker.t2.socket_timeout=30\n")})
	countRoutes(t, http.DefaultClient, r.url("/x"), 4)
	if t1.Connections() != 1 {
		t.Errorf("unchanged t1 opened %d connections, want its pooled one only", t1.Connections())
	}
	if t2.Connections() != 2 {
		t.Errorf("changed t2: %d accepts, want a new connection", t2.Connections())
	}
	eventually(t, "t2's old connection to close", func() bool { return t2.OpenConns() == 1 })
	if !strings.Contains(r.log.String(), "members_kept=1") {
		t.Errorf("the reload log does not say one member was kept:\n%s", r.log.String())
	}
}

// TestReloadRefusesBrokenConfig: a configuration with errors is refused
// with every problem logged (file:line), the running one keeps serving,
// and the failure is counted.
func TestReloadRefusesBrokenConfig(t *testing.T) {
	t1 := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer t1.Close()
	ms := []*ajptest.Server{t1}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""), "workers.properties": lbWorkers(ms, "")})
	broken := lbWorkers(ms, "worker.t1.bogus=1\nworker.t1.other=2\n")
	err := r.reload(map[string]string{"workers.properties": broken})
	if err == nil {
		t.Fatal("a broken configuration was accepted")
	}
	logs := r.log.String()
	wp := filepath.Join(r.dir, "workers.properties")
	for _, want := range []string{wp + ":6: error", wp + ":7: error", "reload refused"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 2); got["t1"] != 2 {
		t.Fatalf("after the refused reload: %v", got)
	}
	if st := r.srv.ReloadStats(); st.Failed != 1 || st.Reloads != 0 {
		t.Errorf("stats %+v", st)
	}
	// A listener that cannot bind refuses the reload too, with nothing
	// changed.
	busy := r.srv.Addrs()[0]
	err = r.reload(map[string]string{"workers.properties": lbWorkers(ms, ""),
		"jkbalancer.yaml": lbYAML("") + "# second listener\n",
	})
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	y := strings.Replace(lbYAML(""), `listen: ["127.0.0.1:0"]`, `listen: ["127.0.0.1:0", "`+busy+`"]`, 1)
	if err := r.reload(map[string]string{"jkbalancer.yaml": y}); err == nil || !strings.Contains(err.Error(), busy) {
		t.Errorf("binding a busy address: %v", err)
	}
	if st := r.srv.ReloadStats(); st.Failed != 2 || st.Reloads != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestReloadSaysWhatNeedsRestart: settings opened once at start are not
// silently ignored: the reload names each and keeps the current value,
// while the rest of the configuration takes effect.
func TestReloadSaysWhatNeedsRestart(t *testing.T) {
	t1 := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer t1.Close()
	ms := []*ajptest.Server{t1}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML("admin: {listen: \"\"}\n"),
		"workers.properties": lbWorkers(ms, "")})
	r.mustReload(map[string]string{"jkbalancer.yaml": lbYAML("admin: {listen: \"127.0.0.1:0\"}\nlog: {level: debug}\nlimits: {idle_timeout: 30s}\n"),
		"workers.properties": lbWorkers(ms, "worker.lb.retries=5\n")})
	logs := r.log.String()
	for _, want := range []string{`setting=log.level current=info configured=debug`, `setting=admin.listen current="" configured=127.0.0.1:0`,
		`setting=limits.idle_timeout current=2m0s configured=30s`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %q needs a restart:\n%s", want, logs)
		}
	}
	if got := r.lb("lb").Retries; got != 5 {
		t.Errorf("retries %d: the rest of the reload did not apply", got)
	}
}
