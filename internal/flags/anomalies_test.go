package flags

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/waxell/otelcol-waxell/internal/store"
)

func TestAnomalies(t *testing.T) {
	runs := store.DistOf([]int64{1, 2, 2, 3, 3, 3, 4, 5, 40}) // median 3, MAD 1
	th := NewThresholds(store.UsageStats{RunCount: runs}, 3.5)
	assert.True(t, math.IsInf(th.Tokens, 1), "nobody varies in tokens")

	var q store.OverviewQuery
	th.SetOutliers(&q)
	if assert.NotNil(t, q.RunCountAbove) {
		assert.Equal(t, int64(8), *q.RunCountAbove)
	}
	assert.Nil(t, q.TokensAbove, "a metric that flags nobody is not asked for")

	o := store.Overview{HighRunCount: []store.UserSummary{{UserID: "b", RunCount: 9}, {UserID: "a", RunCount: 40},
		{UserID: "c", RunCount: 9}}}
	got := th.Anomalies(o, 2)
	assert.Equal(t, []Anomaly{
		{UserID: "a", Metric: MetricRunCount, Value: 40, Median: 3, Threshold: th.RunCount, Score: 0.6745 * 37},
		{UserID: "b", Metric: MetricRunCount, Value: 9, Median: 3, Threshold: th.RunCount, Score: 0.6745 * 6},
	}, got, "highest score first, ties by user id, at most n")
	assert.Equal(t, []Anomaly{}, None.Anomalies(store.Overview{}, 20))
}
