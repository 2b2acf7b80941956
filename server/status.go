package server

import (
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/status"
)

// The status workers and the store of their edits. The store is taken
// before the workers are built, so saved edits are folded into their
// configuration (runtime.go calls rt.store.LB/Member/Attrs); the
// status workers are built last, because they show every other worker.

// openStore takes the store of status edits from the registry: the state
// file of jkbalancer.yaml's state_file, or the edits kept in memory
// across reloads.
func (rt *runtime) openStore() error {
	st, err := rt.reg.Edits(rt.cfg.Server.StateFile)
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
			Store: rt.store, Key: rt.reg.Key(), Resolve: d.resolve, Now: d.now, Logger: d.log,
			Doctor: rt.doctor,
		})
		if err != nil {
			return err
		}
		rt.targets[name].h = h
	}
	return nil
}
