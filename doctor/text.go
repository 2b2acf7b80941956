package doctor

import "fmt"

// Describe fills a finding's Problem and Fix: one sentence each, naming the
// member, what it saw, what the configuration says, and what to change.
// owner is the member of the lb whose route the seen route is (two
// Tomcats sharing a jvmRoute), "" if none; proxyURL is set for a
// mod_proxy_balancer member of jkbalancer.yaml, whose route is set there.
func Describe(f *Finding, owner, proxyURL string) {
	addr := f.Addr
	if addr == "" {
		addr = "the member"
	}
	jvmRoute := fmt.Sprintf("set jvmRoute=%q on the Engine in server.xml of %s (or start it with -DjvmRoute=%s)",
		f.Configured, addr, f.Configured)
	switch f.Kind {
	case KindRouteMismatch:
		f.Problem = fmt.Sprintf("member %s hands out session ids with route %q, but its route is %q: "+
			"requests of its sessions do not come back to it", f.Member, f.Seen, f.Configured)
		switch {
		case owner != "" && owner != f.Member:
			f.Problem += fmt.Sprintf(" (they go to member %s, whose route that is)", owner)
			f.Fix = jvmRoute + "; two members must not share a jvmRoute"
		case proxyURL != "":
			f.Fix = jvmRoute + fmt.Sprintf(", or set route=%s on BalancerMember %s", f.Seen, proxyURL)
		default:
			f.Fix = jvmRoute + fmt.Sprintf(", or set worker.%s.route=%s", f.Member, f.Seen)
		}
	case KindNoRoute:
		f.Problem = fmt.Sprintf("member %s hands out session ids without a route (no jvmRoute), "+
			"so requests of its sessions are balanced like new ones", f.Member)
		f.Fix = jvmRoute
	case KindCookieName:
		f.Problem = fmt.Sprintf("member %s sets the session cookie %s, but lb %s reads %s: "+
			"the lb never sees a session id", f.Member, f.Seen, f.LB, f.Configured)
		if proxyURL != "" {
			f.Fix = fmt.Sprintf("set stickysession=%s on balancer %s", f.Seen, f.LB)
		} else {
			f.Fix = fmt.Sprintf("set worker.%s.session_cookie=%s", f.LB, f.Seen)
		}
		f.Fix += fmt.Sprintf(", or make the application at %s name its session cookie %s", addr, f.Configured)
	case KindUnknownRoute:
		f.Problem = fmt.Sprintf("clients of lb %s keep sending the session route %q, which no member of any lb has: "+
			"their requests are balanced like new sessions", f.LB, f.Seen)
		f.Fix = fmt.Sprintf("if a member was renamed, give it route %s again (worker.NAME.route and the Tomcat's jvmRoute); "+
			"sessions of another cluster or of a removed member fade out as they expire", f.Seen)
	}
}
