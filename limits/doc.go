// Package limits holds the mechanics of the front end's limits: section
// (docs/hardening.md#limits): the connection cap (ConnLimiter, Listener, Conn),
// the per-client rate limit (RateLimiter) and the request body deadline
// (BodyTimeout). Which configuration a limit comes from, and what a
// reload changes, is the server's wiring; this package knows neither
// configurations nor reloads.
package limits
