package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// target is one proxy under test. It is started afresh for every run
// (launch sets port and proc) and stopped after it.
type target struct {
	name   string // table label
	kind   string // "ajp" or "http": which anchor it is compared with
	anchor bool   // httpd + mod_jk for ajp, HAProxy for http
	launch func(t *target) error
	port   int
	proc   *proc
}

// start launches a fresh instance of t and waits until its process tree
// has settled (httpd starts its children after it listens), so that
// measuring attaches to every process.
func (t *target) start() error {
	t.port, t.proc = 0, nil
	if err := t.launch(t); err != nil {
		return err
	}
	settle(t.proc.rootPID(), 300*time.Millisecond, 5*time.Second)
	return nil
}

// stop stops t's instance and waits until its processes are gone.
func (t *target) stop() {
	if t.proc != nil {
		t.proc.stop()
		t.proc = nil
	}
}

// env is the running set: two members and every proxy in front of them.
type env struct {
	dir      string
	bin      string // jkbalancer
	members  []*proc
	ajpPorts [2]int
	hPorts   [2]int
	targets  []*target
}

func (e *env) close() {
	for _, t := range e.targets {
		t.stop()
	}
	for _, m := range e.members {
		m.stop()
	}
}

// otherBin is the jkbalancer binary -jkbin names: an executable, or a
// checkout (a worktree of another branch) to build it from.
func otherBin(dir, label, path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return path, nil
	}
	out := filepath.Join(dir, "jkbalancer-"+strings.ReplaceAll(label, "/", "-"))
	if b, err := exec.Command("go", "build", "-C", path, "-o", out, "./cmd/jkbalancer").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %v: %s", path, err, b)
	}
	return out, nil
}

// build compiles jkbalancer and the member into dir.
func build(dir string) (jkb, member string, err error) {
	jkb, member = filepath.Join(dir, "jkbalancer"), filepath.Join(dir, "member")
	for out, pkg := range map[string]string{jkb: "./cmd/jkbalancer", member: "./bench/member"} {
		if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go build %s: %v: %s", pkg, err, b)
		}
	}
	return jkb, member, nil
}

func (e *env) startMembers(member string) error {
	for i, route := range []string{"t1", "t2"} {
		e.ajpPorts[i], e.hPorts[i] = freePort(), freePort()
		p, err := start("member-"+route, e.dir, member, "-route", route,
			"-ajp", addr(e.ajpPorts[i]), "-http", addr(e.hPorts[i]))
		if err != nil {
			return err
		}
		e.members = append(e.members, p)
		if err := waitPort(e.ajpPorts[i], 5*time.Second); err != nil {
			return err
		}
		if err := waitPort(e.hPorts[i], 5*time.Second); err != nil {
			return err
		}
	}
	return nil
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// workersProperties is the shared mod_jk / jkbalancer configuration: the
// rig's (ping_mode CI), members t1 and t2, sticky lb.
func (e *env) workersProperties(typ string, ports [2]int) string {
	extra := "worker.template.ping_mode=CI\nworker.template.ping_timeout=1000\nworker.template.connection_ping_interval=5\n"
	if typ == "http" {
		extra = ""
	}
	return fmt.Sprintf(`worker.list=lb
worker.template.type=%s
worker.template.host=127.0.0.1
%sworker.template.retries=1
worker.t1.reference=worker.template
worker.t1.port=%d
worker.t1.route=t1
worker.t2.reference=worker.template
worker.t2.port=%d
worker.t2.route=t2
worker.lb.type=lb
worker.lb.balance_workers=t1,t2
worker.lb.sticky_session=1
`, typ, extra, ports[0], ports[1])
}

// jkbTarget is jkbalancer in front of the members over typ ("ajp13" or
// "http"): the binary bin (the one built from this checkout when empty,
// else labelled label) with extra environment variables (GOGC=50,
// GOMEMLIMIT=32MiB) when envs is not empty.
func (e *env) jkbTarget(typ, label, bin string, envs []string) *target {
	name, kind, ports := "jkbalancer-ajp", "ajp", e.ajpPorts
	if typ == "http" {
		name, kind, ports = "jkbalancer-http", "http", e.hPorts
	}
	if bin == "" {
		bin = e.bin
	} else {
		name += " " + label
	}
	if len(envs) > 0 {
		name += " " + strings.Join(envs, " ")
	}
	file := strings.NewReplacer(" ", "_", "=", "-", "/", "-").Replace(name)
	return &target{name: name, kind: kind, launch: func(t *target) error {
		wp := filepath.Join(e.dir, file+".properties")
		if err := os.WriteFile(wp, []byte(e.workersProperties(typ, ports)), 0o600); err != nil {
			return err
		}
		port := freePort()
		p, err := startEnv(file, e.dir, envs, bin, "serve", "--workers", wp, "--mount", "/*=lb", "--listen", addr(port),
			"--admin", "off") // the default admin port may be someone else's on a shared machine
		if err != nil {
			return err
		}
		if err := waitPort(port, 10*time.Second); err != nil {
			p.stop()
			return err
		}
		t.port, t.proc = port, p
		return nil
	}}
}

// httpdCommon is the MPM setup of the rig's httpd anchors: event MPM,
// 4 children x 64 threads, unlimited keep-alive requests.
const httpdCommon = `ServerRoot /etc/apache2
ServerName localhost
Listen 127.0.0.1:%d
PidFile %s
ErrorLog %s
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
StartServers 2
ServerLimit 4
ThreadsPerChild 64
MaxRequestWorkers 256
KeepAlive On
MaxKeepAliveRequests 0
`

func (e *env) httpdTarget(name, kind string, body func() (string, error)) *target {
	return &target{name: name, kind: kind, anchor: name == "httpd+mod_jk", launch: func(t *target) error {
		b, err := body()
		if err != nil {
			return err
		}
		return e.startHTTPD(t, b)
	}}
}

func (e *env) startHTTPD(t *target, body string) error {
	if _, err := exec.LookPath("apache2"); err != nil {
		return fmt.Errorf("apache2 not installed")
	}
	name, port := t.name, freePort()
	pid := filepath.Join(e.dir, name+".pid")
	conf := fmt.Sprintf(httpdCommon, port, pid, filepath.Join(e.dir, name+".error.log")) + body
	cf := filepath.Join(e.dir, name+".conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		return err
	}
	os.Chmod(e.dir, 0o755)
	p, err := startDaemon(name, pid, port, "apache2", "-f", cf, "-k", "start")
	if err != nil {
		return err
	}
	t.port, t.proc = port, p
	return nil
}

func (e *env) modJKConf() (string, error) {
	if _, err := os.Stat("/usr/lib/apache2/modules/mod_jk.so"); err != nil {
		return "", fmt.Errorf("mod_jk not installed")
	}
	wp := filepath.Join(e.dir, "modjk.properties")
	if err := os.WriteFile(wp, []byte(e.workersProperties("ajp13", e.ajpPorts)), 0o644); err != nil {
		return "", err
	}
	return fmt.Sprintf(`LoadModule jk_module /usr/lib/apache2/modules/mod_jk.so
JkWorkersFile %s
JkLogFile %s
JkLogLevel error
JkShmFile %s
JkWatchdogInterval 60
JkMount /* lb
`, wp, filepath.Join(e.dir, "mod_jk.log"), filepath.Join(e.dir, "jk-shm")), nil
}

func (e *env) proxyBalancerConf(kind string, ports [2]int) (string, error) {
	scheme := map[string]string{"ajp": "ajp", "http": "http"}[kind]
	return fmt.Sprintf(`LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
LoadModule proxy_ajp_module /usr/lib/apache2/modules/mod_proxy_ajp.so
LoadModule proxy_balancer_module /usr/lib/apache2/modules/mod_proxy_balancer.so
LoadModule slotmem_shm_module /usr/lib/apache2/modules/mod_slotmem_shm.so
LoadModule lbmethod_byrequests_module /usr/lib/apache2/modules/mod_lbmethod_byrequests.so
<Proxy balancer://c>
    BalancerMember %[1]s://127.0.0.1:%[2]d route=t1 loadfactor=1 retry=10
    BalancerMember %[1]s://127.0.0.1:%[3]d route=t2 loadfactor=1 retry=10
</Proxy>
ProxyPass / balancer://c/ stickysession=JSESSIONID|jsessionid
`, scheme, ports[0], ports[1]), nil
}

// startHAProxy is the HTTP anchor: round robin, and route stickiness on
// the JSESSIONID suffix like the others. One thread: on the 2-core
// machine, where wrk and the members take the other core's worth, a
// second thread made HAProxy slower (17-18k against 17-22k req/s at 32
// connections, 12-13k against 16-18k at 256) and the members costlier
// behind it, and the anchor is HAProxy at its best
// (docs/performance.md#the-haproxy-anchor).
func (e *env) startHAProxy(t *target) error {
	if _, err := exec.LookPath("haproxy"); err != nil {
		return fmt.Errorf("haproxy not installed")
	}
	port := freePort()
	pid := filepath.Join(e.dir, "haproxy.pid")
	cfg := fmt.Sprintf(`global
    maxconn 8000
    nbthread 1
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
    retries 2
    option redispatch
frontend fe
    bind 127.0.0.1:%d
    default_backend be
backend be
    balance roundrobin
    http-reuse always
    use-server t1 if { req.cook(JSESSIONID) -m end .t1 }
    use-server t2 if { req.cook(JSESSIONID) -m end .t2 }
    server t1 127.0.0.1:%d
    server t2 127.0.0.1:%d
`, port, e.hPorts[0], e.hPorts[1])
	cf := filepath.Join(e.dir, "haproxy.cfg")
	if err := os.WriteFile(cf, []byte(cfg), 0o644); err != nil {
		return err
	}
	p, err := startDaemon("haproxy", pid, port, "haproxy", "-f", cf, "-D", "-p", pid)
	if err != nil {
		return err
	}
	t.port, t.proc = port, p
	return nil
}
