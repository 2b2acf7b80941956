package server

import (
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// RiskWarnings is config's risk warnings for `jkbalancer check`, the POST
// replay warning quoting how often the member itself would send a POST
// that failed after reaching it (worker.POSTSendLimit).
func RiskWarnings(cfg *config.Config) config.Problems {
	return cfg.Risks(worker.POSTSendLimit)
}
