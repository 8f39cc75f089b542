package flags

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/waxell/otelcol-waxell/internal/store"
)

func TestHighUsageRule(t *testing.T) {
	// MAD > 0: threshold = median + k * MAD / 0.6745.
	runs := []int64{1, 2, 2, 3, 3, 3, 4, 5, 40}
	d := store.DistOf(append([]int64(nil), runs...))
	assert.Equal(t, 3.0, d.Median)
	assert.Equal(t, 1.0, d.MAD)
	thr := Threshold(d, 3.5)
	assert.InDelta(t, 3+3.5/0.6745, thr, 1e-9) // 8.19
	th := Thresholds{RunCount: thr, Tokens: math.Inf(1)}
	assert.Equal(t, []string{HighUsage}, th.Flags(40, 0))
	assert.Equal(t, []string{}, th.Flags(8, 1e12))
	assert.True(t, th.Flagged(9, 0))
	assert.False(t, th.Flagged(8, 0))
	assert.InDelta(t, 0.6745*37, Score(d, 40), 1e-9)

	// MAD = 0 (most users share the median): the mean absolute deviation.
	d = store.DistOf([]int64{1, 1, 1, 1, 1, 1, 1, 9, 30})
	assert.Equal(t, 0.0, d.MAD)
	assert.InDelta(t, 37.0/9, d.MeanAD, 1e-12)
	assert.InDelta(t, 1+3.5*1.253314*37.0/9, Threshold(d, 3.5), 1e-9) // 19.0
	th = NewThresholds(store.UsageStats{RunCount: d, TotalTokens: d}, 3.5)
	assert.Equal(t, []string{HighUsage}, th.Flags(30, 0))
	assert.Equal(t, []string{}, th.Flags(9, 9))

	// Everybody equal, or nobody: nobody is flagged.
	assert.True(t, math.IsInf(Threshold(store.DistOf([]int64{5, 5, 5}), 3.5), 1))
	assert.True(t, math.IsInf(Threshold(store.DistOf(nil), 3.5), 1))
	_, ok := Above(math.Inf(1))
	assert.False(t, ok)
	n, ok := Above(8.19)
	assert.True(t, ok)
	assert.Equal(t, int64(8), n)
	assert.Equal(t, []string{}, None.Flags(math.MaxInt64, math.MaxInt64))
}

func TestBounds(t *testing.T) {
	assert.Equal(t, store.UsageBounds{RunCount: 8, Tokens: math.MaxInt64},
		Thresholds{RunCount: 8.19, Tokens: math.Inf(1)}.Bounds())
	assert.Equal(t, store.UsageBounds{RunCount: math.MaxInt64, Tokens: math.MaxInt64}, None.Bounds())
	// A user is above the bounds exactly when it is flagged.
	th := Thresholds{RunCount: 6.52, Tokens: 7170.5}
	b := th.Bounds()
	for _, u := range [][2]int64{{6, 7170}, {7, 0}, {0, 7171}, {6, 7171}} {
		assert.Equal(t, th.Flagged(u[0], u[1]), u[0] > b.RunCount || u[1] > b.Tokens, "%v", u)
	}
}

func TestValidK(t *testing.T) {
	for k, want := range map[float64]bool{3.5: true, MaxK: true, 0.01: true, 0: false, -1: false, MaxK * 2: false,
		math.Inf(1): false, math.NaN(): false} {
		assert.Equal(t, want, ValidK(k), "%v", k)
	}
}
