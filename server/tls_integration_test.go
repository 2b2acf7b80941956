//go:build integration

package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// itHTTPDSSLConf is httpd + mod_ssl + mod_jk terminating TLS with client
// certificates, the setup jkbalancer replaces: SSLVerifyClient require,
// SSLOptions +StdEnvVars +ExportCertData (without them mod_jk has nothing
// to forward) and JkOptions +ForwardSSLCertChain.
const itHTTPDSSLConf = `ServerRoot /etc/apache2
ServerName localhost
Listen 127.0.0.1:{{PORT}} https
PidFile {{DIR}}/httpd.pid
ErrorLog {{DIR}}/error.log
DefaultRuntimeDir {{DIR}}
Mutex file:{{DIR}} default
LogLevel warn
{{USER}}
LoadModule mpm_event_module {{MODS}}/mod_mpm_event.so
LoadModule authz_core_module {{MODS}}/mod_authz_core.so
LoadModule socache_shmcb_module {{MODS}}/mod_socache_shmcb.so
LoadModule ssl_module {{MODS}}/mod_ssl.so
LoadModule jk_module {{MODS}}/mod_jk.so
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
DocumentRoot {{DIR}}/htdocs
SSLSessionCache shmcb:{{DIR}}/ssl_scache(512000)
SSLEngine on
SSLCertificateFile {{DIR}}/server.crt
SSLCertificateKeyFile {{DIR}}/server.key
SSLCACertificateFile {{DIR}}/clients-ca.pem
SSLVerifyClient require
SSLVerifyDepth 3
SSLOptions +StdEnvVars +ExportCertData
JkWorkersFile {{DIR}}/workers.properties
JkLogFile {{DIR}}/mod_jk.log
JkLogLevel info
JkShmFile {{DIR}}/jk-runtime-status
JkOptions +ForwardSSLCertChain
JkMount /* w
`

// itTLSFiles writes the server certificate, its key and the client CA
// into dir.
func itTLSFiles(t *testing.T, dir string, srv, clientCA *testCert) {
	t.Helper()
	for name, text := range map[string]string{"server.crt": srv.certPEM, "server.key": srv.keyPEM, "clients-ca.pem": clientCA.certPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// itStartHTTPDSSL starts httpd + mod_ssl + mod_jk with worker w.
func itStartHTTPDSSL(t *testing.T, workers string, srv, clientCA *testCert) *itHTTPD {
	t.Helper()
	itRequireDeps(t, "httpd")
	if _, err := os.Stat(filepath.Join(itApacheModules, "mod_ssl.so")); err != nil {
		t.Fatalf("mod_ssl.so missing (package apache2): %v", err)
	}
	dir := filepath.Join(itBase, fmt.Sprintf("httpd-ssl-%d", time.Now().UnixNano()))
	os.MkdirAll(filepath.Join(dir, "htdocs"), 0o777)
	os.Chmod(dir, 0o777)
	itTLSFiles(t, dir, srv, clientCA)
	if err := os.WriteFile(filepath.Join(dir, "workers.properties"), []byte(workers), 0o644); err != nil {
		t.Fatal(err)
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "User www-data\nGroup www-data"
	}
	h := &itHTTPD{dir: dir, conf: filepath.Join(dir, "httpd.conf")}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := itFreePort(t)
		conf := strings.NewReplacer("{{PORT}}", strconv.Itoa(port), "{{DIR}}", dir, "{{USER}}", user,
			"{{MODS}}", itApacheModules).Replace(itHTTPDSSLConf)
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
	t.Fatalf("httpd + mod_ssl + mod_jk did not start: %v", lastErr)
	return nil
}

// itStartJKBTLS runs jkbalancer with the same files and a TLS listener
// doing what itHTTPDSSLConf does.
func itStartJKBTLS(t *testing.T, workers string, srv, clientCA *testCert) string {
	t.Helper()
	dir := t.TempDir()
	itTLSFiles(t, dir, srv, clientCA)
	yaml := `workers_file: workers.properties
mounts: ["/*=w"]
options: "+ForwardSSLCertChain"
listen:
  - addr: 127.0.0.1:0
    tls:
      cert_file: server.crt
      key_file: server.key
      client_auth: require          # SSLVerifyClient require
      client_ca_file: clients-ca.pem
`
	for name, text := range map[string]string{"workers.properties": workers, "jkbalancer.yaml": yaml} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, problems := config.Load(config.Sources{ConfigFile: filepath.Join(dir, "jkbalancer.yaml")})
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	srvJKB, err := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srvJKB.Listen(); err != nil {
		srvJKB.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srvJKB.Serve(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(40 * time.Second):
			t.Error("jkbalancer did not stop")
		}
	})
	return srvJKB.Addrs()[0]
}

// itTLSGet fetches /tls.jsp over TLS and returns its key=value lines and
// the negotiated connection state.
func itTLSGet(t *testing.T, addr string, cc *tls.Config) (map[string]string, *tls.ConnectionState) {
	t.Helper()
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: cc}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + addr + "/tls.jsp")
	if err != nil {
		t.Fatalf("GET https://%s/tls.jsp: %v", addr, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("https://%s/tls.jsp: status %d\n%s", addr, resp.StatusCode, body)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out, resp.TLS
}

// TestTomcatTLSClientCert: a client certificate (with its intermediate)
// presented to jkbalancer reaches a real Tomcat over AJP: isSecure(), the
// X509Certificate attribute with the client's subject and the chain, the
// cipher suite, key size and protocol attributes. httpd + mod_ssl +
// mod_jk, given the same certificates and client, must produce the same
// values, except the session id, which only has to look the same (64
// lower-case hex digits): mod_ssl's is the TLS session id, jkbalancer's
// identifies the connection.
func TestTomcatTLSClientCert(t *testing.T) {
	tc := itTomcats(t)[0]
	root := issue(t, certSpec{cn: "IT Root CA", ca: true}, nil)
	inter := issue(t, certSpec{cn: "IT Intermediate CA", ca: true}, root)
	alice := issue(t, certSpec{cn: "alice", client: true}, inter)
	srv := issue(t, certSpec{cn: "127.0.0.1"}, nil)
	workers := fmt.Sprintf("worker.list=w\nworker.w.type=ajp13\nworker.w.host=127.0.0.1\nworker.w.port=%d\nworker.w.secret=%s\n",
		tc.ajpPort, itSecret)
	jkb := itStartJKBTLS(t, workers, srv, root)
	httpd := itStartHTTPDSSL(t, workers, srv, root)

	hexID := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, v := range []struct {
		name string
		cc   *tls.Config
	}{
		{"TLS 1.2", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}}},
		{"TLS 1.3", &tls.Config{MinVersion: tls.VersionTLS13}},
	} {
		t.Run(v.name, func(t *testing.T) {
			cc := v.cc
			cc.RootCAs, cc.ServerName = pool(srv), "127.0.0.1"
			cc.Certificates = []tls.Certificate{alice.tlsCert(inter)}
			got, cs := itTLSGet(t, jkb, cc)
			want, hcs := itTLSGet(t, httpd.addr, cc)
			t.Logf("jkbalancer: %v\nhttpd + mod_jk: %v", got, want)
			if got["secure"] != "true" || got["scheme"] != "https" || got["certs"] != "2" ||
				!strings.Contains(got["cert.0"], "CN=alice") || !strings.Contains(got["cert.1"], "CN=IT Intermediate CA") {
				t.Errorf("Tomcat behind jkbalancer saw %v", got)
			}
			if name := config.OpenSSLCipherName(cs.CipherSuite); got["cipher_suite"] != name {
				t.Errorf("cipher_suite %q, the connection used %s", got["cipher_suite"], name)
			}
			if bits := strconv.Itoa(config.CipherKeyBits(cs.CipherSuite)); got["key_size"] != bits {
				t.Errorf("key_size %q, want %s", got["key_size"], bits)
			}
			if !hexID.MatchString(got["ssl_session_id"]) {
				t.Errorf("ssl_session_id %q is not 64 lower-case hex digits", got["ssl_session_id"])
			}
			if cs.CipherSuite != hcs.CipherSuite {
				// TLS 1.3 suites are not configurable: the two servers may
				// choose differently; compare what each reports for its own.
				want["cipher_suite"] = config.OpenSSLCipherName(cs.CipherSuite)
				want["key_size"] = strconv.Itoa(config.CipherKeyBits(cs.CipherSuite))
				t.Logf("the servers chose %s and %s", tls.CipherSuiteName(cs.CipherSuite), tls.CipherSuiteName(hcs.CipherSuite))
			}
			for _, k := range []string{"secure", "scheme", "cipher_suite", "key_size", "protocol", "certs", "cert.0", "cert.1"} {
				if got[k] != want[k] {
					t.Errorf("%s: jkbalancer %q, httpd + mod_ssl + mod_jk %q", k, got[k], want[k])
				}
			}
			if !hexID.MatchString(want["ssl_session_id"]) {
				t.Errorf("mod_ssl's ssl_session_id %q does not have the form jkbalancer imitates", want["ssl_session_id"])
			}
		})
	}
}
