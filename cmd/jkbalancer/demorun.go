package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/server"
)

// demoOptions configure runDemo.
type demoOptions struct {
	Listen string    // balancer address, e.g. 127.0.0.1:8080
	Admin  string    // admin listener address ("off": none, "": config's default)
	Out    io.Writer // where the walkthrough and instructions go
	// Once runs the walkthrough (including the hot-standby failover) and
	// returns instead of serving until ctx ends.
	Once bool
}

// demoWorkers is the demo's workers.properties: the Active/Active/Standby
// pattern operators build with mod_jk (two active members with lbfactor 1
// and 5, a disabled hot standby that both redirect to).
const demoWorkers = `# jkbalancer demo: written by "jkbalancer demo"
worker.list=lb,jkstatus
worker.maintain=10
worker.template.type=ajp13
worker.template.host=127.0.0.1
worker.template.ping_mode=C
worker.template.ping_timeout=1000
worker.template.recovery_options=1
worker.node1.reference=worker.template
worker.node1.port=%s
worker.node1.lbfactor=1
worker.node1.redirect=standby
worker.node2.reference=worker.template
worker.node2.port=%s
worker.node2.lbfactor=5
worker.node2.redirect=standby
worker.standby.reference=worker.template
worker.standby.port=%s
worker.standby.activation=D
worker.lb.type=lb
worker.lb.balance_workers=node1,node2,standby
worker.lb.recover_time=10
# mod_jk's status worker, mounted at /jk-status; read_only keeps the demo
# page from changing anything.
worker.jkstatus.type=status
worker.jkstatus.read_only=true
`

// runDemo starts three in-process AJP members and the balancer in front of
// them, shows the 1:5 split and sticky sessions, and serves until ctx ends.
func runDemo(ctx context.Context, o demoOptions) error {
	names := []string{"node1", "node2", "standby"}
	members := make(map[string]*ajptest.Server, len(names))
	for _, n := range names {
		members[n] = ajptest.NewServer(ajptest.EchoHandler(n))
		defer members[n].Close()
	}
	dir, err := os.MkdirTemp("", "jkbalancer-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	workersFile := filepath.Join(dir, "workers.properties")
	text := fmt.Sprintf(demoWorkers, port(members["node1"]), port(members["node2"]), port(members["standby"]))
	if err := os.WriteFile(workersFile, []byte(text), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "members: node1 (lbfactor 1), node2 (lbfactor 5), standby (activation=D, redirect target)\n\n")
	fmt.Fprintf(o.Out, "workers.properties used:\n\n%s\n", indent(text))
	if !o.Once {
		// The walkthrough runs on a balancer of its own, so the one the
		// printed commands reach starts fresh: its first 12 new sessions
		// show the 1:5 split, not a catch-up after the sticky requests.
		if err := demoWalkthrough(ctx, o.Out, workersFile, "127.0.0.1:0", "off", members, false); err != nil {
			return err
		}
	}
	srv, stop, err := startDemoServer(ctx, o.Out, workersFile, o.Listen, o.Admin)
	if err != nil {
		return err
	}
	defer stop()
	base := "http://" + srv.Addrs()[0]
	fmt.Fprintf(o.Out, "jkbalancer demo on %s\n\n", base)
	if o.Once {
		return walkthrough(o.Out, base, members, true)
	}
	printTryIt(o.Out, base, srv.AdminAddr())
	<-ctx.Done()
	return nil
}

// demoWalkthrough runs the walkthrough on a balancer of its own.
func demoWalkthrough(ctx context.Context, out io.Writer, workersFile, listen, admin string,
	members map[string]*ajptest.Server, failover bool) error {
	srv, stop, err := startDemoServer(ctx, out, workersFile, listen, admin)
	if err != nil {
		return err
	}
	defer stop()
	return walkthrough(out, "http://"+srv.Addrs()[0], members, failover)
}

// startDemoServer serves the demo configuration until stop is called.
func startDemoServer(ctx context.Context, out io.Writer, workersFile, listen, admin string) (*server.Server, func(), error) {
	cfg, problems := config.Load(config.Sources{WorkersFile: workersFile, Mounts: []string{"/*=lb", "/jk-status=jkstatus"},
		Listen: []string{listen}, Admin: admin})
	if cfg == nil {
		return nil, nil, problems
	}
	srv, err := server.New(cfg, server.Options{Logger: slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return nil, nil, err
	}
	if err := srv.Listen(); err != nil {
		srv.Close()
		return nil, nil, err
	}
	serveCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(serveCtx) }()
	return srv, func() { cancel(); <-done }, nil
}

func walkthrough(out io.Writer, base string, members map[string]*ajptest.Server, failover bool) error {
	c := &http.Client{Timeout: 10 * time.Second}
	seq, err := routes(c, base, "", 12)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "12 new sessions (no cookie), method Request, lbfactor 1:5:\n  %s\n\n", seq)
	cookie := "JSESSIONID=0123456789ABCDEF.node1"
	seq, err = routes(c, base, cookie, 3)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "3 requests with %s (sticky to node1):\n  %s\n\n", cookie, seq)
	if !failover {
		return nil
	}
	members["node1"].Close()
	members["node2"].Close()
	seq, err = routes(c, base, "", 4)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "node1 and node2 stopped; new sessions go to the hot standby:\n  %s\n", seq)
	seq, err = routes(c, base, cookie, 2)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "and node1's sessions follow its redirect:\n  %s\n", seq)
	return nil
}

// routes sends n GET requests and returns the answering members' routes.
func routes(c *http.Client, base, cookie string, n int) (string, error) {
	got := make([]string, 0, n)
	for i := 0; i < n; i++ {
		req, err := http.NewRequest(http.MethodGet, base+"/demo", nil)
		if err != nil {
			return "", err
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return "", err
		}
		got = append(got, routeFromBody(string(body), resp.StatusCode))
	}
	return strings.Join(got, " "), nil
}

func routeFromBody(body string, status int) string {
	for _, line := range strings.Split(body, "\n") {
		if r, ok := strings.CutPrefix(line, "route="); ok {
			return r
		}
	}
	return fmt.Sprintf("(%d)", status)
}

func printTryIt(out io.Writer, base, admin string) {
	fmt.Fprintf(out, `Try it (Ctrl-C stops the demo), in this order:

  # the 1:5 split of new sessions (no cookie: each request is a new session)
  for i in $(seq 12); do curl -s %[1]s/ | grep route; done

  # a new session: note the Set-Cookie JSESSIONID=<id>.<route> and the route= line
  curl -si %[1]s/

  # stickiness: every request with node1's cookie goes to node1
  curl -s -b 'JSESSIONID=ABC.node1' %[1]s/ | grep route

  # a cookie whose route matches no member is balanced normally
  curl -s -b 'JSESSIONID=ABC.nosuchnode' %[1]s/ | grep route

  # mod_jk's status worker (open %[1]s/jk-status in a browser), as a script reads it
  curl -s '%[1]s/jk-status?mime=prop' | grep -E 'activation|state'
`, base)
	if admin != "" {
		fmt.Fprintf(out, `
  # Prometheus metrics, liveness and readiness on the admin listener (--admin)
  curl -s http://%[1]s/metrics | grep '^jkbalancer_member_requests_total'
  curl -s http://%[1]s/readyz
`, admin)
	}
}

func port(s *ajptest.Server) string {
	_, p, _ := net.SplitHostPort(s.Addr())
	return p
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}
