package server

import (
	"context"
	"net/http"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/probe"
	"github.com/jkbalancer/jkbalancer/worker"
)

// Probe is `jkbalancer check --probe` (package probe) with the server's
// side filled in: member hosts resolve like the workers' (o.Resolve nil)
// and each request is built by the code that builds a client's, so a
// member answers the probe as it will answer traffic.
func Probe(ctx context.Context, cfg *config.Config, o probe.Options) []probe.Result {
	if o.Resolve == nil {
		o.Resolve = resolveHost
	}
	o.Send = probeSend
	return probe.Run(ctx, cfg, o)
}

// probeSend is probe.Sender: hr forwarded to m as a client's request to
// no mount rule (the probe names the member itself).
func probeSend(m *worker.Member, w http.ResponseWriter, hr *http.Request, srv *config.Server) error {
	rq := getRequest()
	defer putRequest(rq)
	p := hr.URL.EscapedPath()
	rq.fill(hr, paths{match: p, forward: p}, nil, srv)
	if err := rq.readBody(hr, 0); err != nil {
		return err
	}
	return m.Serve(w, &rq.Request)
}

// ProbeReplication is `jkbalancer check --probe --replication` (package
// probe) with the server's side filled in as for Probe.
func ProbeReplication(ctx context.Context, cfg *config.Config, o probe.Options, wait time.Duration) []probe.LBReplication {
	if o.Resolve == nil {
		o.Resolve = resolveHost
	}
	o.Send = probeSend
	return probe.Replication(ctx, cfg, o, wait)
}
