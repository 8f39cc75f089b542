// Package flags is the abuse-flag rule of the REST API and the web UI, and
// the cache of the population statistics it needs.
//
// A user is flagged high_usage when its run count or its token total is far
// above the population's, by the modified z-score of Iglewicz and Hoaglin:
//
//	z = 0.6745 * (x - median) / MAD            when MAD > 0
//	z = (x - median) / (1.253314 * MeanAD)     when MAD = 0 (more than half the users share the median)
//
// and high_usage when z > k for either metric (k defaults to 3.5). MAD is
// the median absolute deviation from the median, MeanAD the mean absolute
// deviation from the median. Both are robust: a few heavy users cannot pull
// the threshold up the way they pull a mean and standard deviation. When
// every user has the same value nobody is flagged.
//
// The population is every user (lifetime aggregates) for lifetime lists and
// details, and every user with a run in the window (window aggregates) for
// windowed ones and the overview. Its statistics read every user of the
// population, so they are cached (Cache).
package flags

import (
	"math"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// HighUsage is the flag of a user far above the population.
const HighUsage = "high_usage"

// DefaultK is k of the high_usage rule unless a request or the server sets
// another; MaxK is the largest k accepted.
const (
	DefaultK = 3.5
	MaxK     = 1e6
)

// ValidK reports whether k can be the rule's k: positive and at most MaxK
// (NaN and infinities are not).
func ValidK(k float64) bool { return k > 0 && k <= MaxK }

// Thresholds are the values above which a metric is flagged (+Inf: never),
// with the statistics and k they come from.
type Thresholds struct {
	K        float64
	Stats    store.UsageStats
	RunCount float64
	Tokens   float64
}

// NewThresholds returns the thresholds of a population's statistics.
func NewThresholds(st store.UsageStats, k float64) Thresholds {
	return Thresholds{K: k, Stats: st, RunCount: Threshold(st.RunCount, k), Tokens: Threshold(st.TotalTokens, k)}
}

// None flags nobody.
var None = Thresholds{RunCount: math.Inf(1), Tokens: math.Inf(1)}

// Constants of the modified z-score: 0.6745 is the 0.75 quantile of the
// standard normal (MAD/0.6745 estimates sigma), 1.253314 = sqrt(pi/2)
// (1.253314 * MeanAD estimates sigma).
const (
	madScale    = 0.6745
	meanADScale = 1.253314
)

// Threshold is the value of a metric above which it is flagged: the x whose
// modified z-score is k; +Inf when nobody can be.
func Threshold(d store.Dist, k float64) float64 {
	switch {
	case d.MAD > 0:
		return d.Median + k*d.MAD/madScale
	case d.MeanAD > 0:
		return d.Median + k*meanADScale*d.MeanAD
	default:
		return math.Inf(1)
	}
}

// Score is the modified z-score of x.
func Score(d store.Dist, x int64) float64 {
	switch {
	case d.MAD > 0:
		return madScale * (float64(x) - d.Median) / d.MAD
	case d.MeanAD > 0:
		return (float64(x) - d.Median) / (meanADScale * d.MeanAD)
	default:
		return 0
	}
}

// Flags are the flags of a user with these aggregates: empty (not nil) or
// [HighUsage].
func (t Thresholds) Flags(runCount, tokens int64) []string {
	if t.Flagged(runCount, tokens) {
		return []string{HighUsage}
	}
	return []string{}
}

// Flagged reports whether a user with these aggregates is flagged.
func (t Thresholds) Flagged(runCount, tokens int64) bool {
	return float64(runCount) > t.RunCount || float64(tokens) > t.Tokens
}

// Bounds are the bounds of store.UserQuery.HighUsage that select the users
// t flags.
func (t Thresholds) Bounds() store.UsageBounds {
	b := store.UsageBounds{RunCount: math.MaxInt64, Tokens: math.MaxInt64}
	if n, ok := Above(t.RunCount); ok {
		b.RunCount = n
	}
	if n, ok := Above(t.Tokens); ok {
		b.Tokens = n
	}
	return b
}

// Above returns the largest integer a metric may have without being
// flagged, for store.UserQuery.Above; ok is false when nobody is flagged.
func Above(t float64) (int64, bool) {
	if math.IsInf(t, 1) || math.IsNaN(t) || t >= math.MaxInt64 {
		return 0, false
	}
	return int64(math.Floor(t)), true
}
