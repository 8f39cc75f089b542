package api

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// Abuse flags.
//
// A user is flagged high_usage when its run count or its token total is far
// above the population's, by the modified z-score of Iglewicz and Hoaglin:
//
//	z = 0.6745 * (x - median) / MAD            when MAD > 0
//	z = (x - median) / (1.253314 * MeanAD)     when MAD = 0 (more than half the users share the median)
//
// and high_usage when z > k for either metric (k defaults to 3.5 and is set
// per request with flag_k, or per server with WithHighUsageK). MAD is the
// median absolute deviation from the median, MeanAD the mean absolute
// deviation from the median. Both are robust: a few heavy users cannot pull
// the threshold up the way they pull a mean and standard deviation. When
// every user has the same value nobody is flagged.
//
// The population is every user (lifetime aggregates) for lifetime lists and
// details, and every user with a run in the window (window aggregates) for
// windowed ones and the overview. Its statistics read every user of the
// population, so they are cached per population for statsTTL.

const flagHighUsage = "high_usage"

// Metrics of the high_usage rule.
const (
	metricRunCount    = "run_count"
	metricTotalTokens = "total_tokens"
)

const defaultStatsTTL = time.Minute

// WithHighUsageK sets the default k of the high_usage rule (3.5).
func WithHighUsageK(k float64) Option {
	return func(h *handler) {
		if k > 0 && !math.IsInf(k, 0) {
			h.x.flagK = k
		}
	}
}

// WithStatsTTL sets how long population statistics are reused (one minute).
func WithStatsTTL(d time.Duration) Option {
	return func(h *handler) {
		if d > 0 {
			h.x.stats.ttl = d
		}
	}
}

// extState is the handler's state beyond the seed API.
type extState struct {
	flagK float64
	stats statsCache
}

func newExtState() *extState {
	return &extState{flagK: defaultFlagK, stats: statsCache{ttl: defaultStatsTTL, now: time.Now}}
}

// statsCache caches population statistics; concurrent requests for the same
// population share one computation.
type statsCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[store.StatsQuery]*statsEntry
}

type statsEntry struct {
	done  chan struct{}
	at    time.Time
	stats store.UsageStats
	err   error
}

// maxStatsEntries bounds the cache; beyond it, it starts over.
const maxStatsEntries = 256

func (c *statsCache) get(ctx context.Context, r ExtendedReader, q store.StatsQuery) (store.UsageStats, error) {
	q.Start, q.End = q.Start.UTC(), q.End.UTC() // one key per instant
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxStatsEntries {
		c.entries = map[store.StatsQuery]*statsEntry{}
	}
	e, ok := c.entries[q]
	if ok {
		select {
		case <-e.done:
			if e.err != nil || c.now().Sub(e.at) > c.ttl {
				ok = false
			}
		default:
		}
	}
	if !ok {
		e = &statsEntry{done: make(chan struct{})}
		c.entries[q] = e
		c.mu.Unlock()
		// Not bound to one request: its result serves every request of
		// the population.
		e.stats, e.err = r.UsageStats(context.WithoutCancel(ctx), q)
		e.at = c.now()
		close(e.done)
		return e.stats, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.stats, e.err
	case <-ctx.Done():
		return store.UsageStats{}, ctx.Err()
	}
}

// thresholds are the values above which a metric is flagged; +Inf: never.
type thresholds struct {
	k        float64
	stats    store.UsageStats
	runCount float64
	tokens   float64
}

func newThresholds(st store.UsageStats, k float64) thresholds {
	return thresholds{k: k, stats: st, runCount: threshold(st.RunCount, k), tokens: threshold(st.TotalTokens, k)}
}

// noThresholds flags nobody.
var noThresholds = thresholds{runCount: math.Inf(1), tokens: math.Inf(1)}

// Constants of the modified z-score: 0.6745 is the 0.75 quantile of the
// standard normal (MAD/0.6745 estimates sigma), 1.253314 = sqrt(pi/2)
// (1.253314 * MeanAD estimates sigma).
const (
	madScale    = 0.6745
	meanADScale = 1.253314
)

func threshold(d store.Dist, k float64) float64 {
	switch {
	case d.MAD > 0:
		return d.Median + k*d.MAD/madScale
	case d.MeanAD > 0:
		return d.Median + k*meanADScale*d.MeanAD
	default:
		return math.Inf(1)
	}
}

// score is the modified z-score of x.
func score(d store.Dist, x int64) float64 {
	switch {
	case d.MAD > 0:
		return madScale * (float64(x) - d.Median) / d.MAD
	case d.MeanAD > 0:
		return (float64(x) - d.Median) / (meanADScale * d.MeanAD)
	default:
		return 0
	}
}

func (t thresholds) flags(runCount, tokens int64) []string {
	if float64(runCount) > t.runCount || float64(tokens) > t.tokens {
		return []string{flagHighUsage}
	}
	return []string{}
}

// thresholdsFor returns the thresholds of a population, or noThresholds
// when the store has no statistics. A failure to compute them fails the
// request (flags must not silently disappear).
func (h *handler) thresholdsFor(ctx context.Context, q store.StatsQuery, k float64) (thresholds, error) {
	if h.ext == nil {
		return noThresholds, nil
	}
	st, err := h.x.stats.get(ctx, h.ext, q)
	if err != nil {
		return thresholds{}, err
	}
	return newThresholds(st, k), nil
}

// above returns the largest integer a metric may have without being
// flagged, for store.UserQuery.Above; ok is false when nobody is flagged.
func above(t float64) (int64, bool) {
	if math.IsInf(t, 1) || math.IsNaN(t) || t >= math.MaxInt64 {
		return 0, false
	}
	return int64(math.Floor(t)), true
}
