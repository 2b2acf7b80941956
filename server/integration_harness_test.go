//go:build integration

// Harness for the integration and differential tests: two real Tomcat 10
// instances (started once per test binary), httpd + mod_jk instances
// started per test with a given workers.properties, jkbalancer started
// in-process with the same files, and a raw HTTP/1.1 client that sends
// exactly the bytes a test writes.
//
// Requirements: Debian/Ubuntu packages tomcat10, apache2 and
// libapache2-mod-jk. Without them the tests skip, unless CI is set (then
// a missing dependency fails them). Everything listens on 127.0.0.1 only.
// A reaper process kills what was started if the test binary dies without
// cleaning up (panic, timeout, SIGKILL).
//
// Run: go test -tags integration -count=1 ./server/
// (-run TestModJK for the differential tests only, -run TestTomcat for the
// Tomcat ones). JKB_IT_KEEP=1 keeps the temporary directory with the
// Tomcat, httpd and mod_jk logs; JKB_IT_JKLOG=debug raises JkLogLevel.

package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

const (
	itTomcatHome    = "/usr/share/tomcat10"
	itTomcatConf    = "/etc/tomcat10"
	itApacheName    = "apache2"
	itApacheModules = "/usr/lib/apache2/modules"
	itSecret        = "s3cret"
)

// itBase is the temporary directory everything of this test binary lives
// in; the reaper removes it if the binary dies.
var (
	itBase       string
	itReaper     *exec.Cmd
	tcStart      sync.Once
	tcStarted    atomic.Bool
	tcDone       = make(chan struct{})
	tcInst       []*itTomcat
	tcErr        error
	itStopOnce   sync.Once
	itHTTPDSeq   int
	itHTTPDSeqMu sync.Mutex
)

func TestMain(m *testing.M) {
	code := func() int {
		var err error
		itBase, err = os.MkdirTemp("", "jkbalancer-it-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "integration harness:", err)
			return 1
		}
		// httpd children run as www-data when started as root and must
		// reach their shm and log files.
		os.Chmod(itBase, 0o777)
		os.MkdirAll(filepath.Join(itBase, "reap"), 0o777)
		itStartReaper()
		defer itStopAll()
		// Tomcat takes a few seconds to start: begin now, in the
		// background, so the differential tests run meanwhile.
		if itMissingDeps("tomcat") == "" {
			go itEnsureTomcats()
			itPairsPrestartFullRun()
		}
		return m.Run()
	}()
	os.Exit(code)
}

// itStopAll stops the Tomcats and the reaper and removes the base
// directory (kept when JKB_IT_KEEP is set, for post-mortems). If the
// Tomcats are still starting (no test needed them), the reaper is left to
// kill them once this process has exited.
func itStopAll() {
	itStopOnce.Do(func() {
		itStopPairs()
		select {
		case <-tcDone:
		default:
			if tcStarted.Load() {
				fmt.Fprintln(os.Stderr, "integration harness: Tomcat still starting; the reaper stops it after exit")
				return
			}
		}
		for _, tc := range tcInst {
			tc.stop()
		}
		if itReaper != nil && itReaper.Process != nil {
			itReaper.Process.Kill()
			itReaper.Wait()
		}
		if os.Getenv("JKB_IT_KEEP") != "" {
			fmt.Fprintln(os.Stderr, "integration harness: keeping", itBase)
			return
		}
		os.RemoveAll(itBase)
	})
}

// itStartReaper starts a detached shell that waits for this process to end
// and then runs the fault undo scripts in $itBase/undo (iptables rules,
// see fault_harness_test.go), kills every pid listed in $itBase/reap and
// removes $itBase.
// Normally stopEverything kills the reaper first; it only acts when the
// test binary died without cleaning up.
func itStartReaper() {
	script := `p=$1; d=$2
while kill -0 "$p" 2>/dev/null; do sleep 1; done
sleep 2
for f in "$d"/undo/*.sh; do [ -f "$f" ] && sh "$f"; done
for sig in TERM TERM KILL; do
  for f in "$d"/reap/* "$d"/tc*/pid; do [ -f "$f" ] && kill -$sig "$(cat "$f")" 2>/dev/null; done
  sleep 3
done
rm -rf "$d"`
	cmd := exec.Command("/bin/sh", "-c", script, "reaper", strconv.Itoa(os.Getpid()), itBase)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err == nil {
		itReaper = cmd
	}
}

func itReapAdd(name string, pid int) {
	os.WriteFile(filepath.Join(itBase, "reap", name), []byte(strconv.Itoa(pid)), 0o644)
}

func itReapRemove(name string) { os.Remove(filepath.Join(itBase, "reap", name)) }

// itInCI reports whether the tests run in CI, where a missing dependency is
// a failure and not a reason to skip.
func itInCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "0" && v != "false"
}

// itMissingDeps returns what is missing for "tomcat" or "httpd", or "".
func itMissingDeps(what string) string {
	var miss []string
	switch what {
	case "tomcat":
		if _, err := os.Stat(filepath.Join(itTomcatHome, "bin", "catalina.sh")); err != nil {
			miss = append(miss, itTomcatHome+"/bin/catalina.sh (package tomcat10)")
		}
		for _, f := range []string{"web.xml", "catalina.properties", "logging.properties"} {
			if _, err := os.Stat(filepath.Join(itTomcatConf, f)); err != nil {
				miss = append(miss, itTomcatConf+"/"+f+" (package tomcat10)")
			}
		}
		if _, err := exec.LookPath("java"); err != nil {
			miss = append(miss, "java (a JRE 17, pulled in by tomcat10)")
		}
	case "httpd":
		if itApacheBin() == "" {
			miss = append(miss, "apache2 (package apache2)")
		}
		for _, m := range []string{"mod_jk.so", "mod_mpm_event.so", "mod_authz_core.so"} {
			if _, err := os.Stat(filepath.Join(itApacheModules, m)); err != nil {
				miss = append(miss, itApacheModules+"/"+m+" (packages apache2, libapache2-mod-jk)")
			}
		}
	}
	return strings.Join(miss, ", ")
}

// itApacheBin finds the httpd binary; /usr/sbin is often not in a
// non-root PATH.
func itApacheBin() string {
	if p, err := exec.LookPath(itApacheName); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/" + itApacheName); err == nil {
		return "/usr/sbin/" + itApacheName
	}
	return ""
}

// itRequireDeps skips the test when a dependency is missing, or fails it
// under CI.
func itRequireDeps(t testing.TB, what ...string) {
	t.Helper()
	for _, w := range what {
		if miss := itMissingDeps(w); miss != "" {
			msg := fmt.Sprintf("%s not available: missing %s; on Debian: apt-get install tomcat10 apache2 libapache2-mod-jk", w, miss)
			if itInCI() {
				t.Fatalf("CI is set and a dependency is missing: %s", msg)
			}
			t.Skip(msg)
		}
	}
}

// itFreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func itFreePort(t testing.TB) int {
	t.Helper()
	port, err := itFreePortErr()
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	return port
}

// itPorts hands out the ports of this test binary. A port from the
// kernel's ":0" is free only for a moment: the next ":0" may get it again,
// and so may the local end of any outgoing connection (both come from
// ip_local_port_range, 32768-60999 by default). With several Tomcats
// starting at once, a port handed to one could be bound by another before
// its owner bound it. So ports come from below that range, each handed
// out once, after a bind check.
var itPorts struct {
	sync.Mutex
	used map[int]bool
	next int
}

const itPortLow, itPortHigh = 20000, 32000

func itFreePortErr() (int, error) {
	itPorts.Lock()
	defer itPorts.Unlock()
	if itPorts.used == nil {
		itPorts.used = make(map[int]bool)
		// Another test binary may hand out ports at the same time: start
		// somewhere else in the range.
		itPorts.next = itPortLow + (os.Getpid()*7919+int(time.Now().UnixNano()/1e6))%(itPortHigh-itPortLow)
	}
	for range itPortHigh - itPortLow {
		p := itPorts.next
		itPorts.next++
		if itPorts.next >= itPortHigh {
			itPorts.next = itPortLow
		}
		if itPorts.used[p] {
			continue
		}
		itPorts.used[p] = true
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue // taken by someone else
		}
		ln.Close()
		return p, nil
	}
	return 0, errors.New("no free loopback port left in the test range")
}

// itWaitFor polls cond every 50 ms until it holds or the deadline passes.
func itWaitFor(d time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func itPortOpen(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func itTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return path + ":\n  " + strings.Join(lines, "\n  ")
}

// ---------------------------------------------------------------- Tomcat

// itTomcat is one real Tomcat 10 in its own CATALINA_BASE, with an HTTP
// connector and an AJP connector (secret required), both on 127.0.0.1.
type itTomcat struct {
	name     string // also the jvmRoute and -Drig.node
	base     string
	httpPort int
	ajpPort  int
}

func (tc *itTomcat) httpURL(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", tc.httpPort, path)
}

func (tc *itTomcat) ajpAddr() string { return fmt.Sprintf("127.0.0.1:%d", tc.ajpPort) }

// itEnsureTomcats starts tc1 and tc2 once; every caller waits for the
// result.
func itEnsureTomcats() {
	tcStart.Do(func() {
		tcStarted.Store(true)
		defer close(tcDone)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		tcInst = make([]*itTomcat, 2)
		for i := range tcInst {
			tcInst[i] = &itTomcat{name: fmt.Sprintf("tc%d", i+1)}
		}
		for i, tc := range tcInst {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = tc.start()
			}()
		}
		wg.Wait()
		tcErr = errors.Join(errs...)
	})
}

// itTomcats returns the two running Tomcats, skipping or failing the test
// when they are not available.
func itTomcats(t *testing.T) []*itTomcat {
	t.Helper()
	itRequireDeps(t, "tomcat")
	go itEnsureTomcats()
	select {
	case <-tcDone:
	case <-time.After(150 * time.Second):
		t.Fatal("Tomcat did not finish starting within 150 s")
	}
	if tcErr != nil {
		t.Fatalf("Tomcat failed to start: %v", tcErr)
	}
	return tcInst
}

const itTomcatServerXML = `<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="%d" protocol="HTTP/1.1" address="127.0.0.1" connectionTimeout="20000"/>
    <Connector port="%d" protocol="AJP/1.3" address="127.0.0.1" secretRequired="true" secret="%s"
               allowedRequestAttributesPattern="SITE" maxThreads="200"/>
    <Engine name="Catalina" defaultHost="localhost" jvmRoute="%s">
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
`

func (tc *itTomcat) start() error {
	tc.base = filepath.Join(itBase, tc.name)
	for _, d := range []string{"conf", "logs", "temp", "work", "webapps"} {
		if err := os.MkdirAll(filepath.Join(tc.base, d), 0o755); err != nil {
			return err
		}
	}
	for _, f := range []string{"web.xml", "catalina.properties", "logging.properties"} {
		if err := itCopyFile(filepath.Join(itTomcatConf, f), filepath.Join(tc.base, "conf", f)); err != nil {
			return err
		}
	}
	if err := itCopyDir(filepath.Join("..", "testdata", "tomcat", "ROOT"), filepath.Join(tc.base, "webapps", "ROOT")); err != nil {
		return fmt.Errorf("%s: copy the webapp: %w", tc.name, err)
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = tc.launch(); err == nil {
			return tc.warmUp()
		}
		tc.stop()
	}
	return err
}

// launch picks ports, writes server.xml and runs catalina.sh start, then
// waits (at most 90 s) until the HTTP connector answers and the AJP port
// accepts.
func (tc *itTomcat) launch() error {
	var err error
	if tc.httpPort, err = itFreePortErr(); err != nil {
		return err
	}
	if tc.ajpPort, err = itFreePortErr(); err != nil {
		return err
	}
	xml := fmt.Sprintf(itTomcatServerXML, tc.httpPort, tc.ajpPort, itSecret, tc.name)
	if err := os.WriteFile(filepath.Join(tc.base, "conf", "server.xml"), []byte(xml), 0o644); err != nil {
		return err
	}
	os.Remove(filepath.Join(tc.base, "pid"))
	cmd := exec.Command(filepath.Join(itTomcatHome, "bin", "catalina.sh"), "start")
	cmd.Env = append(os.Environ(),
		"CATALINA_HOME="+itTomcatHome,
		"CATALINA_BASE="+tc.base,
		"CATALINA_PID="+filepath.Join(tc.base, "pid"),
		"CATALINA_TMPDIR="+filepath.Join(tc.base, "temp"),
		"JAVA_OPTS=-Xmx256m -XX:TieredStopAtLevel=1 -Drig.node="+tc.name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: catalina.sh start: %v: %s", tc.name, err, out)
	}
	if pid := tc.pid(); pid > 0 {
		itReapAdd("tomcat-"+tc.name, pid)
	}
	ok := itWaitFor(90*time.Second, func() bool {
		if pid := tc.pid(); pid > 0 && syscall.Kill(pid, 0) != nil {
			return true // died: stop waiting
		}
		resp, err := http.Get(tc.httpURL("/hits.jsp"))
		if err != nil {
			return false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == 200 && itPortOpen(tc.ajpAddr())
	})
	if !ok || !itPortOpen(tc.ajpAddr()) {
		return fmt.Errorf("%s did not come up on HTTP %d / AJP %d within 90 s\n%s", tc.name, tc.httpPort, tc.ajpPort,
			itTail(filepath.Join(tc.base, "logs", "catalina.out"), 40))
	}
	return nil
}

// warmUp compiles every JSP once through the HTTP connector, so that the
// tests do not time Jasper.
func (tc *itTomcat) warmUp() error {
	for _, p := range []string{"/session.jsp", "/echo.jsp", "/params.jsp", "/big.jsp?size=1", "/status.jsp?code=200",
		"/cookies.jsp", "/headers.jsp", "/attrs.jsp"} {
		resp, err := http.Get(tc.httpURL(p))
		if err != nil {
			return fmt.Errorf("%s warm-up %s: %w", tc.name, p, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s warm-up %s: status %d\n%s", tc.name, p, resp.StatusCode,
				itTail(filepath.Join(tc.base, "logs", "catalina.out"), 40))
		}
	}
	return nil
}

func (tc *itTomcat) pid() int {
	b, err := os.ReadFile(filepath.Join(tc.base, "pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// stop sends SIGTERM, waits up to 15 s, then SIGKILL.
func (tc *itTomcat) stop() {
	pid := tc.pid()
	if pid <= 0 {
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	if !itWaitFor(15*time.Second, func() bool { return syscall.Kill(pid, 0) != nil }) {
		syscall.Kill(pid, syscall.SIGKILL)
		itWaitFor(5*time.Second, func() bool { return syscall.Kill(pid, 0) != nil })
	}
	os.Remove(filepath.Join(tc.base, "pid"))
	itReapRemove("tomcat-" + tc.name)
}

func itCopyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

func itCopyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return itCopyFile(p, filepath.Join(dst, rel))
	})
}

// ---------------------------------------------------------------- httpd + mod_jk

// itHTTPDConf follows the reference rig's httpd-modjk.conf, with one child
// process (mod_jk keeps lb state per child, so one child gives the
// deterministic pick sequences the differential tests compare).
const itHTTPDConf = `ServerRoot /etc/apache2
ServerName localhost
Listen 127.0.0.1:{{PORT}}
PidFile {{DIR}}/httpd.pid
ErrorLog {{LOGDIR}}/error.log
DefaultRuntimeDir {{DIR}}
Mutex file:{{DIR}} default
LogLevel warn
{{USER}}
LoadModule mpm_event_module {{MODS}}/mod_mpm_event.so
LoadModule authz_core_module {{MODS}}/mod_authz_core.so
LoadModule jk_module {{MODS}}/mod_jk.so
StartServers 1
ServerLimit 1
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 64
MinSpareThreads 1
MaxSpareThreads 64
KeepAlive On
MaxKeepAliveRequests 0
DocumentRoot {{DIR}}/htdocs
JkWorkersFile {{DIR}}/workers.properties
JkLogFile {{LOGDIR}}/mod_jk.log
{{REQLOG}}JkLogLevel {{JKLOG}}
JkShmFile {{DIR}}/jk-runtime-status
JkWatchdogInterval 60
{{MOUNTS}}
`

// itHTTPD is one running httpd + mod_jk.
type itHTTPD struct {
	dir    string
	logDir string // error.log, mod_jk.log (and access.log with itSpec.logDir)
	conf   string
	addr   string
	pid    int
}

// itSpec says what an httpd + mod_jk (and the matching jkbalancer)
// should run.
type itSpec struct {
	workers   string   // workers.properties text
	jkMounts  []string // "PATTERN WORKER" pairs: JkMount for httpd, --mount for jkbalancer
	mountFile string   // uriworkermap.properties text ("" = none): JkMountFile / MountFile
	// logDir, when set, holds httpd's error.log and mod_jk.log instead of
	// its directory, and an access.log (CustomLog) and mod_jk's request
	// log lines too (the full-disk test puts it on a tmpfs).
	logDir string
}

func (s itSpec) mounts() []string {
	if s.jkMounts == nil && s.mountFile == "" {
		return []string{"/* lb"}
	}
	return s.jkMounts
}

// itStartHTTPD starts httpd + mod_jk for spec in a new directory and stops
// it when the test ends.
func itStartHTTPD(t testing.TB, spec itSpec) *itHTTPD {
	t.Helper()
	itRequireDeps(t, "httpd")
	itHTTPDSeqMu.Lock()
	itHTTPDSeq++
	n := itHTTPDSeq
	itHTTPDSeqMu.Unlock()
	dir := filepath.Join(itBase, fmt.Sprintf("httpd-%d", n))
	os.MkdirAll(filepath.Join(dir, "htdocs"), 0o777)
	os.Chmod(dir, 0o777)
	if err := os.WriteFile(filepath.Join(dir, "workers.properties"), []byte(spec.workers), 0o644); err != nil {
		t.Fatal(err)
	}
	var mounts []string
	for _, m := range spec.mounts() {
		mounts = append(mounts, "JkMount "+m)
	}
	if spec.mountFile != "" {
		if err := os.WriteFile(filepath.Join(dir, "uriworkermap.properties"), []byte(spec.mountFile), 0o644); err != nil {
			t.Fatal(err)
		}
		mounts = append(mounts, "JkMountFile "+filepath.Join(dir, "uriworkermap.properties"))
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "User www-data\nGroup www-data"
	}
	jklog := "info"
	if v := os.Getenv("JKB_IT_JKLOG"); v != "" {
		jklog = v
	}
	h := &itHTTPD{dir: dir, logDir: dir, conf: filepath.Join(dir, "httpd.conf")}
	reqLog := ""
	if spec.logDir != "" {
		h.logDir = spec.logDir
		reqLog = "CustomLog " + spec.logDir + "/access.log \"%h %t \\\"%r\\\" %>s %b\"\nJkRequestLogFormat \"%w %V %T %U%q\"\n"
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := itFreePort(t)
		conf := strings.NewReplacer("{{PORT}}", strconv.Itoa(port), "{{DIR}}", dir, "{{USER}}", user,
			"{{MODS}}", itApacheModules, "{{JKLOG}}", jklog, "{{MOUNTS}}", strings.Join(mounts, "\n"),
			"{{LOGDIR}}", h.logDir, "{{REQLOG}}", reqLog).Replace(itHTTPDConf)
		if err := os.WriteFile(h.conf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		h.addr = fmt.Sprintf("127.0.0.1:%d", port)
		if lastErr = h.start(); lastErr == nil {
			t.Cleanup(func() { h.stop(t) })
			return h
		}
		h.stop(t)
	}
	t.Fatalf("httpd + mod_jk did not start: %v", lastErr)
	return nil
}

func (h *itHTTPD) start() error {
	cmd := exec.Command(itApacheBin(), "-f", h.conf, "-k", "start")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apache2 -k start: %v: %s\n%s", err, out, itTail(filepath.Join(h.logDir, "error.log"), 20))
	}
	pidFile := filepath.Join(h.dir, "httpd.pid")
	ok := itWaitFor(15*time.Second, func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return false
		}
		h.pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return h.pid > 0 && itPortOpen(h.addr)
	})
	if h.pid > 0 {
		itReapAdd("httpd-"+filepath.Base(h.dir), h.pid)
	}
	if !ok {
		return fmt.Errorf("httpd did not listen on %s within 15 s\n%s\n%s", h.addr,
			itTail(filepath.Join(h.logDir, "error.log"), 20), itTail(filepath.Join(h.logDir, "mod_jk.log"), 20))
	}
	return nil
}

// stop runs apache2 -k stop and waits (at most 10 s) for the parent to
// exit, then kills it.
func (h *itHTTPD) stop(t testing.TB) {
	if h.pid == 0 {
		b, err := os.ReadFile(filepath.Join(h.dir, "httpd.pid"))
		if err != nil {
			return
		}
		h.pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		if h.pid == 0 {
			return
		}
	}
	exec.Command(itApacheBin(), "-f", h.conf, "-k", "stop").Run()
	pid := h.pid
	if !itWaitFor(10*time.Second, func() bool { return syscall.Kill(pid, 0) != nil }) {
		syscall.Kill(pid, syscall.SIGKILL)
		itWaitFor(5*time.Second, func() bool { return syscall.Kill(pid, 0) != nil })
	}
	// The parent is gone; give its children a moment to leave the port.
	itWaitFor(5*time.Second, func() bool { return !itPortOpen(h.addr) })
	itReapRemove("httpd-" + filepath.Base(h.dir))
	h.pid = 0
}

func (h *itHTTPD) logs() string {
	return itTail(filepath.Join(h.logDir, "mod_jk.log"), 30) + "\n" + itTail(filepath.Join(h.logDir, "error.log"), 10)
}

// ---------------------------------------------------------------- jkbalancer

// itJKB is one in-process jkbalancer.
type itJKB struct {
	srv     *Server
	addr    string
	logPath string
}

// itStartPair runs httpd + mod_jk and jkbalancer, each with one ajp13
// worker w mounted at /* in front of member addr (127.0.0.1:port); yaml as
// for itStartJKB.
func itStartPair(t testing.TB, addr, yaml string) (*itHTTPD, *itJKB) {
	workers := fmt.Sprintf("worker.list=w\nworker.w.type=ajp13\nworker.w.host=127.0.0.1\nworker.w.port=%s\n",
		strings.TrimPrefix(addr, "127.0.0.1:"))
	spec := itSpec{workers: workers, jkMounts: []string{"/* w"}}
	return itStartHTTPD(t, spec), itStartJKB(t, spec, yaml)
}

// itStartJKB runs jkbalancer on 127.0.0.1:0 with the same files as the
// itHTTPD of spec (written to a new directory) and stops it when the test
// ends. yaml, if not empty, is written as jkbalancer.yaml and loaded too.
func itStartJKB(t testing.TB, spec itSpec, yaml string) *itJKB {
	t.Helper()
	dir := t.TempDir()
	wf := filepath.Join(dir, "workers.properties")
	if err := os.WriteFile(wf, []byte(spec.workers), 0o644); err != nil {
		t.Fatal(err)
	}
	src := config.Sources{WorkersFile: wf, Listen: []string{"127.0.0.1:0"}}
	for _, m := range spec.mounts() {
		f := strings.Fields(m)
		src.Mounts = append(src.Mounts, f[0]+"="+f[1])
	}
	if spec.mountFile != "" {
		src.MountFile = filepath.Join(dir, "uriworkermap.properties")
		if err := os.WriteFile(src.MountFile, []byte(spec.mountFile), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if yaml != "" {
		src.ConfigFile = filepath.Join(dir, "jkbalancer.yaml")
		if err := os.WriteFile(src.ConfigFile, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, problems := config.Load(src)
	if cfg == nil {
		t.Fatalf("jkbalancer refuses the configuration that httpd + mod_jk accepts:\n%v\n--- workers.properties:\n%s",
			problems, spec.workers)
	}
	return itRunJKB(t, dir, cfg)
}

// itRunJKB serves cfg in-process (Listen already set, e.g. 127.0.0.1:0)
// with a debug log in dir, and stops it when the test ends.
func itRunJKB(t testing.TB, dir string, cfg *config.Config) *itJKB {
	t.Helper()
	j := &itJKB{logPath: filepath.Join(dir, "jkbalancer.log")}
	lf, err := os.Create(j.logPath)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(lf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := New(cfg, Options{Logger: logger})
	if err != nil {
		lf.Close()
		t.Fatalf("server.New: %v", err)
	}
	if err := srv.Listen(); err != nil {
		srv.Close()
		lf.Close()
		t.Fatalf("Listen: %v", err)
	}
	j.srv, j.addr = srv, srv.Addrs()[0]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(40 * time.Second):
			t.Errorf("jkbalancer Serve did not return within 40 s of cancel")
		}
		lf.Close()
	})
	return j
}

func (j *itJKB) logs() string { return itTail(j.logPath, 30) }

// ---------------------------------------------------------------- raw HTTP client

// itRawResp is a response read by itRawDo.
type itRawResp struct {
	status int
	header http.Header
	body   []byte
}

// itRawDo sends req (a complete HTTP/1.1 request head, lines separated by
// \r\n and ending with an empty line, optionally followed by a body) to
// addr on a fresh connection and reads one response. The connection is
// closed afterwards. Bounded by 30 s.
func itRawDo(addr string, req string) (*itRawResp, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		return nil, err
	}
	method := req[:strings.IndexByte(req, ' ')]
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	return &itRawResp{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// itRawGet builds and sends "GET target" with the given extra header lines.
func itRawGet(addr, target string, headers ...string) (*itRawResp, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", target, addr)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	return itRawDo(addr, b.String())
}
