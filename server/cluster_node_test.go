//go:build integration

// One node of a Tomcat pair of cluster_harness_test.go: its server.xml
// (with or without the <Cluster>), its start on fixed ports, and the wait
// until a clustered pair replicates sessions both ways.

package server

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const itPairServerXML = `<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{{HTTP}}" protocol="HTTP/1.1" address="127.0.0.1" connectionTimeout="20000"/>
    <Connector port="{{AJP}}" protocol="AJP/1.3" address="127.0.0.1" secretRequired="true" secret="{{SECRET}}"
               maxThreads="200"/>
    <Engine name="Catalina" defaultHost="localhost" jvmRoute="{{ROUTE}}">
{{CLUSTER}}      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
`

// itPairClusterXML is the operators' <Cluster> (DeltaManager,
// ReplicationValve, JvmRouteBinderValve, ClusterSessionListener) with
// static membership on loopback instead of multicast.
// channelSendOptions is 6 (acknowledged after processing), not the 8
// (asynchronous) operators often copy: asynchronously, the receiver's
// threads sometimes applied a new session's first change before the
// session itself and dropped it, so the other node knew the session
// without its counter. Tests still wait for replication
// (itPairWaitReplicated) before a failover.
const itPairClusterXML = `      <Cluster className="org.apache.catalina.ha.tcp.SimpleTcpCluster" channelSendOptions="6">
        <Manager className="org.apache.catalina.ha.session.DeltaManager"
                 expireSessionsOnShutdown="false" notifyListenersOnReplication="true"/>
        <Channel className="org.apache.catalina.tribes.group.GroupChannel">
          <Membership className="org.apache.catalina.tribes.membership.StaticMembershipService">
{{MEMBERS}}          </Membership>
          <Receiver className="org.apache.catalina.tribes.transport.nio.NioReceiver"
                    address="127.0.0.1" port="{{RECV}}" autoBind="1" selectorTimeout="100" maxThreads="6"/>
          <Sender className="org.apache.catalina.tribes.transport.ReplicationTransmitter">
            <Transport className="org.apache.catalina.tribes.transport.nio.PooledParallelSender"/>
          </Sender>
          <Interceptor className="org.apache.catalina.tribes.group.interceptors.TcpFailureDetector"/>
          <Interceptor className="org.apache.catalina.tribes.group.interceptors.MessageDispatchInterceptor"/>
        </Channel>
        <Valve className="org.apache.catalina.ha.tcp.ReplicationValve" filter=""/>
        <Valve className="org.apache.catalina.ha.session.JvmRouteBinderValve"/>
        <ClusterListener className="org.apache.catalina.ha.session.ClusterSessionListener"/>
      </Cluster>
`

// serverXML is n's server.xml: the clustered pair lists both nodes as
// static members (Tomcat finds itself among them by its receiver).
func (n *itPairNode) serverXML() string {
	cluster := ""
	if n.pair.clustered {
		var members strings.Builder
		for _, m := range n.pair.nodes {
			fmt.Fprintf(&members, `            <Member className="org.apache.catalina.tribes.membership.StaticMember"
                    host="127.0.0.1" port="%d" uniqueId="{1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,%d}"/>
`, m.recvPort, m.uid)
		}
		cluster = strings.NewReplacer("{{MEMBERS}}", members.String(), "{{RECV}}", fmt.Sprint(n.recvPort)).
			Replace(itPairClusterXML)
	}
	return strings.NewReplacer("{{HTTP}}", fmt.Sprint(n.tc.httpPort), "{{AJP}}", fmt.Sprint(n.tc.ajpPort),
		"{{SECRET}}", itSecret, "{{ROUTE}}", n.tc.name, "{{CLUSTER}}", cluster).Replace(itPairServerXML)
}

// start writes n's CATALINA_BASE (once) and launches it, at most three
// times, then compiles the JSPs.
func (n *itPairNode) start() error {
	tc := n.tc
	if _, err := os.Stat(filepath.Join(tc.base, "conf", "server.xml")); err != nil {
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
		src := filepath.Join("..", "testdata", "tomcat", "cluster")
		if err := itCopyDir(src, filepath.Join(tc.base, "webapps", strings.TrimPrefix(itPairApp, "/"))); err != nil {
			return fmt.Errorf("%s: copy the webapp: %w", tc.name, err)
		}
		if err := os.WriteFile(filepath.Join(tc.base, "conf", "server.xml"), []byte(n.serverXML()), 0o644); err != nil {
			return err
		}
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = n.launch(); err == nil {
			_, err = itPairGet(tc, itPairApp+"/session.jsp", "")
			return err
		}
		n.kill()
	}
	return err
}

// launch runs catalina.sh start and waits (at most 90 s) until peek.jsp
// answers and the AJP port accepts.
func (n *itPairNode) launch() error {
	tc := n.tc
	os.Remove(filepath.Join(tc.base, "pid"))
	cmd := exec.Command(filepath.Join(itTomcatHome, "bin", "catalina.sh"), "start")
	cmd.Env = append(os.Environ(),
		"CATALINA_HOME="+itTomcatHome,
		"CATALINA_BASE="+tc.base,
		"CATALINA_PID="+filepath.Join(tc.base, "pid"),
		"CATALINA_TMPDIR="+filepath.Join(tc.base, "temp"),
		"JAVA_OPTS=-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true -Drig.node="+tc.name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: catalina.sh start: %v: %s", tc.name, err, out)
	}
	if pid := tc.pid(); pid > 0 {
		itReapAdd("tomcat-"+tc.name, pid)
	}
	ok := itWaitFor(90*time.Second, func() bool {
		if pid := tc.pid(); pid > 0 && itPidGone(pid) {
			return true // died: stop waiting
		}
		resp, err := itPairHTTP.Get(tc.httpURL(itPairApp + "/peek.jsp"))
		if err != nil {
			return false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK && itPortOpen(tc.ajpAddr())
	})
	if !ok || !itPortOpen(tc.ajpAddr()) {
		return fmt.Errorf("%s did not come up on HTTP %d / AJP %d within 90 s\n%s", tc.name, tc.httpPort, tc.ajpPort,
			itTail(filepath.Join(tc.base, "logs", "catalina.out"), 40))
	}
	return nil
}

// waitFormed waits (failsafe d) until a session created on each node is
// known to the other one with its counter: the members see each other and
// replicate both the new session and its attribute.
func (p *itPair) waitFormed(d time.Duration) error {
	end := time.Now().Add(d)
	for _, dir := range [][2]*itPairNode{{p.nodes[0], p.nodes[1]}, {p.nodes[1], p.nodes[0]}} {
		from, to := dir[0].tc, dir[1].tc
		var last string
		for attempt := 0; ; attempt++ {
			ok, what := itPairReplicates(from, to)
			if ok {
				break
			}
			last = what
			if attempt >= 200 || time.Now().After(end) {
				return fmt.Errorf("sessions created on %s do not reach %s within %v (last: %s)\n%s\n%s", from.name,
					to.name, d, last, itTail(filepath.Join(from.base, "logs", "catalina.out"), 30),
					itTail(filepath.Join(to.base, "logs", "catalina.out"), 30))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

// itPairReplicates creates a session on from and reports whether to knows
// it within 3 s, and if not, what it saw.
func itPairReplicates(from, to *itTomcat) (bool, string) {
	m, err := itPairGet(from, itPairApp+"/session.jsp", "")
	if err != nil {
		return false, err.Error()
	}
	id := m["session"]
	var last string
	ok := itWaitFor(3*time.Second, func() bool {
		pm, err := itPairPeek(to, id)
		if err != nil {
			last = err.Error()
			return false
		}
		last = fmt.Sprint(pm)
		return pm["known"] == "true" && pm["count"] == m["count"]
	})
	return ok, fmt.Sprintf("session %s: %s", id, last)
}
