package worker

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// A wrong or missing AJP secret. Tomcat's AJP connector with
// secretRequired (the default since 9.0.31) compares attribute 0x0C with
// its secret while it parses the request; on a mismatch, or when none was
// sent, AjpProcessor.prepareRequest sets status 403 and
// ErrorState.CLOSE_CLEAN. The request still goes through CoyoteAdapter,
// but with its URI recycled, so only the Host's ErrorReportValve answers
// (Tomcat 10.1: the standard "HTTP Status 403 – Forbidden" page, no
// application, no session); and since the error state is set,
// finishResponse ends with END_RESPONSE reuse=0. An application's 403 ends
// with reuse=1: Tomcat's AJP connector closes a connection only after an
// error. mod_jk passes the 403 on without a word; jkbalancer passes it on
// too, but says once per member that the configuration is wrong.

// secretRefusal reports whether a reply has the shape of Tomcat's AJP
// connector refusing the secret: 403 and no reuse.
func secretRefusal(res ajp.Result) bool {
	return res.Status == 403 && !res.Reuse
}

// SecretRefused reports whether the member has answered a request the way
// Tomcat refuses a wrong or missing secret (see secretRefusal).
func (m *Member) SecretRefused() bool { return m.secretRefused.Load() }

// SecretProblem says what is wrong with the member's configuration when
// SecretRefused, in words naming the worker and the property.
func (m *Member) SecretProblem() string {
	what := "the secret sent does not match its own: worker." + m.name + ".secret (or the lb's secret) is wrong"
	if m.secret == "" {
		what = "it requires a secret (secretRequired) and none was sent: set worker." + m.name + ".secret (or the lb's secret) to the connector's secret"
	}
	msg := "member " + m.name + " answered 403 and closed the connection, as Tomcat's AJP connector does when " + what
	if p := m.refusedAttrs.Load(); p != nil {
		// Tomcat answers an arbitrary request attribute its
		// allowedRequestAttributesPattern does not match the same way.
		msg += "; or the connector's allowedRequestAttributesPattern does not allow the request attributes sent (env_vars / JkEnvVar: " + *p + ")"
	}
	return msg
}

// noteReply logs, once per member, a reply that shows the secret is
// wrong: every request to the member gets Tomcat's 403 until the
// configuration is fixed. attrs are the request's extra attributes.
func (m *Member) noteReply(res ajp.Result, attrs []ajp.Header) {
	if !secretRefusal(res) || m.secretRefused.Load() {
		return
	}
	if len(attrs) > 0 {
		names := make([]string, len(attrs))
		for i, a := range attrs {
			names[i] = a.Name
		}
		s := strings.Join(names, ", ")
		m.refusedAttrs.Store(&s)
	}
	if m.secretRefused.CompareAndSwap(false, true) {
		m.log.Error("AJP secret refused: every request to this member gets 403 until worker.NAME.secret matches the connector's secret",
			"problem", m.SecretProblem(), "property", "worker."+m.name+".secret", "secret_sent", m.secret != "")
	}
}
