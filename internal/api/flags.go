package api

import (
	"context"
	"time"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// Abuse flags: the rule and the cache of population statistics are in
// package flags. k is set per request with flag_k, or per server with
// WithHighUsageK.

// WithHighUsageK sets the default k of the high_usage rule (3.5).
func WithHighUsageK(k float64) Option {
	return func(h *handler) {
		if flags.ValidK(k) {
			h.x.flagK = k
		}
	}
}

// WithFlagCache makes the handler read population statistics through c,
// which the web UI may share.
func WithFlagCache(c *flags.Cache) Option {
	return func(h *handler) { h.x.stats = c }
}

// extState is the handler's state beyond the seed API.
type extState struct {
	flagK         float64
	stats         *flags.Cache   // nil until the handler is built, or without an ExtendedReader
	exportTimeout *time.Duration // nil: exports keep the server's write timeout
}

func newExtState() *extState {
	return &extState{flagK: flags.DefaultK}
}

// thresholdsFor returns the thresholds of a population, or flags.None when
// the store has no statistics. A failure to compute them fails the request
// (flags must not silently disappear).
func (h *handler) thresholdsFor(ctx context.Context, q store.StatsQuery, k float64) (flags.Thresholds, error) {
	if h.x.stats == nil {
		return flags.None, nil
	}
	st, err := h.x.stats.Get(ctx, q)
	if err != nil {
		return flags.Thresholds{}, err
	}
	return flags.NewThresholds(st, k), nil
}
