package api

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

func TestHighUsageRule(t *testing.T) {
	// MAD > 0: threshold = median + k * MAD / 0.6745.
	runs := []int64{1, 2, 2, 3, 3, 3, 4, 5, 40}
	d := store.DistOf(append([]int64(nil), runs...))
	assert.Equal(t, 3.0, d.Median)
	assert.Equal(t, 1.0, d.MAD)
	thr := threshold(d, 3.5)
	assert.InDelta(t, 3+3.5/0.6745, thr, 1e-9) // 8.19
	th := thresholds{runCount: thr, tokens: math.Inf(1)}
	assert.Equal(t, []string{flagHighUsage}, th.flags(40, 0))
	assert.Equal(t, []string{}, th.flags(8, 1e12))
	assert.InDelta(t, 0.6745*37, score(d, 40), 1e-9)

	// MAD = 0 (most users share the median): the mean absolute deviation.
	d = store.DistOf([]int64{1, 1, 1, 1, 1, 1, 1, 9, 30})
	assert.Equal(t, 0.0, d.MAD)
	assert.InDelta(t, 37.0/9, d.MeanAD, 1e-12)
	assert.InDelta(t, 1+3.5*1.253314*37.0/9, threshold(d, 3.5), 1e-9) // 19.0
	th = newThresholds(store.UsageStats{RunCount: d, TotalTokens: d}, 3.5)
	assert.Equal(t, []string{flagHighUsage}, th.flags(30, 0))
	assert.Equal(t, []string{}, th.flags(9, 9))

	// Everybody equal, or nobody: nobody is flagged.
	assert.True(t, math.IsInf(threshold(store.DistOf([]int64{5, 5, 5}), 3.5), 1))
	assert.True(t, math.IsInf(threshold(store.DistOf(nil), 3.5), 1))
	_, ok := above(math.Inf(1))
	assert.False(t, ok)
	n, ok := above(8.19)
	assert.True(t, ok)
	assert.Equal(t, int64(8), n)
	assert.Equal(t, []string{}, noThresholds.flags(math.MaxInt64, math.MaxInt64))
}

type countingStats struct {
	fakeExt
	calls atomic.Int64
	block chan struct{}
}

func (c *countingStats) UsageStats(context.Context, store.StatsQuery) (store.UsageStats, error) {
	c.calls.Add(1)
	if c.block != nil {
		<-c.block
	}
	return store.UsageStats{Users: c.calls.Load()}, nil
}

func TestStatsCache(t *testing.T) {
	now := time.Unix(1000, 0)
	c := statsCache{ttl: time.Minute, now: func() time.Time { return now }}
	r := &countingStats{block: make(chan struct{})}
	ctx := context.Background()
	q := store.StatsQuery{Window: true, Start: time.Unix(0, 5), End: time.Unix(0, 9)}

	// Concurrent requests for one population share one computation.
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := c.get(ctx, r, q)
			assert.NoError(t, err)
			assert.Equal(t, int64(1), st.Users)
		}()
	}
	// The computation has started; callers arriving later share it or its
	// cached result, so either way it runs once.
	require.Eventually(t, func() bool { return r.calls.Load() == 1 }, 10*time.Second, time.Millisecond)
	close(r.block)
	wg.Wait()
	require.Equal(t, int64(1), r.calls.Load())

	// The same instants in another zone are the same population.
	loc := time.FixedZone("x", 7200)
	_, err := c.get(ctx, r, store.StatsQuery{Window: true, Start: q.Start.In(loc), End: q.End.In(loc)})
	require.NoError(t, err)
	assert.Equal(t, int64(1), r.calls.Load())
	// Another population is computed; an expired entry is recomputed.
	_, _ = c.get(ctx, r, store.StatsQuery{})
	assert.Equal(t, int64(2), r.calls.Load())
	now = now.Add(2 * time.Minute)
	st, _ := c.get(ctx, r, q)
	assert.Equal(t, int64(3), st.Users)
}
