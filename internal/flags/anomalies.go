package flags

import (
	"sort"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// Metrics of the high_usage rule.
const (
	MetricRunCount    = "run_count"
	MetricTotalTokens = "total_tokens"
)

// Anomaly is one metric of one flagged user: its value against the
// population's median and the threshold, and its modified z-score.
type Anomaly struct {
	UserID    string
	Metric    string
	Value     int64
	Median    float64
	Threshold float64
	Score     float64
}

// SetOutliers asks an overview for the users t flags (RunCountAbove and
// TokensAbove); a metric that flags nobody is not asked for.
func (t Thresholds) SetOutliers(q *store.OverviewQuery) {
	if n, ok := Above(t.RunCount); ok {
		q.RunCountAbove = &n
	}
	if n, ok := Above(t.Tokens); ok {
		q.TokensAbove = &n
	}
}

// Anomalies are the metrics of an overview's outliers (o.HighRunCount and
// o.HighTokens, asked for with SetOutliers), highest score first (ties by
// user id, then metric), at most n.
func (t Thresholds) Anomalies(o store.Overview, n int) []Anomaly {
	out := []Anomaly{}
	for _, m := range []struct {
		metric string
		users  []store.UserSummary
		thr    float64
		dist   store.Dist
		value  func(store.UserSummary) int64
	}{
		{MetricRunCount, o.HighRunCount, t.RunCount, t.Stats.RunCount, func(u store.UserSummary) int64 { return u.RunCount }},
		{MetricTotalTokens, o.HighTokens, t.Tokens, t.Stats.TotalTokens, func(u store.UserSummary) int64 { return u.TotalTokens }},
	} {
		for _, u := range m.users {
			v := m.value(u)
			out = append(out, Anomaly{UserID: u.UserID, Metric: m.metric, Value: v, Median: m.dist.Median,
				Threshold: m.thr, Score: Score(m.dist, v)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.UserID != b.UserID {
			return a.UserID < b.UserID
		}
		return a.Metric < b.Metric
	})
	return out[:min(len(out), n)]
}
