package server

import (
	"crypto/rand"
	"fmt"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/status"
)

// The status workers and the state file of their edits. The state file is
// opened before the workers are built, so saved edits are folded into
// their configuration (runtime.go calls rt.store.LB/Member/AJP); the
// status workers are built last, because they show every other worker.

// openStore opens the state file of jkbalancer.yaml's state_file (none:
// edits are not kept) and takes the CSRF key of the previous generation,
// so forms stay valid across a reload.
func (rt *runtime) openStore(d buildDeps) error {
	if d.previous != nil {
		rt.statusKey = d.previous.statusKey
	} else {
		rt.statusKey = make([]byte, 32)
		if _, err := rand.Read(rt.statusKey); err != nil {
			return fmt.Errorf("status worker key: %w", err)
		}
	}
	st, err := status.OpenStore(rt.cfg.Server.StateFile, d.log)
	if err != nil {
		return err
	}
	rt.store = st
	return nil
}

// buildStatusWorkers builds every listed status worker once the lb and
// ajp13 workers exist, and warns about saved edits for workers that are
// gone.
func (rt *runtime) buildStatusWorkers(d buildDeps) error {
	defer rt.store.WarnUnused()
	var shown []status.Worker
	types := make(map[string]string, len(rt.cfg.Workers))
	for name, w := range rt.cfg.Workers {
		types[name] = w.Type
	}
	for _, name := range rt.cfg.List {
		w := status.Worker{Name: name, Type: types[name], LB: rt.lbByName[name]}
		if dw, ok := rt.targets[name].h.(directWorker); ok {
			w.Member = dw.m
		}
		shown = append(shown, w)
	}
	for _, name := range rt.cfg.List {
		w := rt.cfg.Workers[name]
		if w.Type != config.TypeStatus {
			continue
		}
		h, err := status.New(status.Spec{
			Name: name, Config: w.Status, Workers: shown, Types: types,
			Mounts:     func() *config.MountTable { return rt.mounts.Load() },
			Properties: rt.cfg.Properties, ServerName: rt.cfg.Server.ServerName,
			Store: rt.store, Key: rt.statusKey, Resolve: d.resolve, Now: d.now, Logger: d.log,
			Doctor: rt.doctor,
		})
		if err != nil {
			return err
		}
		rt.targets[name].h = h
	}
	return nil
}
