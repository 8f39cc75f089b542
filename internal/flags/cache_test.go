package flags

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/waxell/otelcol-waxell/internal/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// countingStats numbers its computations: the n-th returns Users n. When
// gate is set, each computation waits for a value from it; fail makes
// them fail.
type countingStats struct {
	calls atomic.Int64
	gate  chan struct{}
	fail  atomic.Bool
}

var errStats = errors.New("statistics failed")

func (c *countingStats) UsageStats(context.Context, store.StatsQuery) (store.UsageStats, error) {
	n := c.calls.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	if c.fail.Load() {
		return store.UsageStats{}, errStats
	}
	return store.UsageStats{Users: n}, nil
}

// clock is a settable clock for the cache.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) get() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestCache(r StatsReader) (*Cache, *clock) {
	clk := &clock{now: time.Unix(1000, 0)}
	c := NewCache(r, time.Minute)
	c.now = clk.get
	return c, clk
}

func TestCacheSharesAComputation(t *testing.T) {
	r := &countingStats{gate: make(chan struct{})}
	c, clk := newTestCache(r)
	ctx := context.Background()
	q := store.StatsQuery{Window: true, Start: time.Unix(0, 5), End: time.Unix(0, 9)}

	// Concurrent requests for one population share one computation.
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			st, err := c.Get(ctx, q)
			assert.NoError(t, err)
			assert.Equal(t, int64(1), st.Users)
		})
	}
	// The computation has started; callers arriving later share it or its
	// cached result, so either way it runs once.
	require.Eventually(t, func() bool { return r.calls.Load() == 1 }, 10*time.Second, time.Millisecond)
	close(r.gate)
	wg.Wait()
	require.Equal(t, int64(1), r.calls.Load())

	// The same instants in another zone are the same population.
	loc := time.FixedZone("x", 7200)
	_, err := c.Get(ctx, store.StatsQuery{Window: true, Start: q.Start.In(loc), End: q.End.In(loc)})
	require.NoError(t, err)
	assert.Equal(t, int64(1), r.calls.Load())
	// Another population is computed.
	st, err := c.Get(ctx, store.StatsQuery{})
	require.NoError(t, err)
	assert.Equal(t, int64(2), st.Users)
	// Within the TTL, nothing is recomputed.
	clk.add(time.Minute)
	st, _ = c.Get(ctx, q)
	assert.Equal(t, int64(1), st.Users)
	c.refreshing.Wait()
	assert.Equal(t, int64(2), r.calls.Load())
}

// TestCacheRevalidatesInTheBackground: past its TTL an entry is still
// served at once, while one recomputation runs; its result is served once
// it is done.
func TestCacheRevalidatesInTheBackground(t *testing.T) {
	r := &countingStats{gate: make(chan struct{}, 1)}
	c, clk := newTestCache(r)
	ctx := context.Background()
	r.gate <- struct{}{}
	st, err := c.Get(ctx, store.StatsQuery{})
	require.NoError(t, err)
	require.Equal(t, int64(1), st.Users)

	clk.add(time.Minute + time.Second)
	for range 5 {
		st, err = c.Get(ctx, store.StatsQuery{})
		require.NoError(t, err)
		assert.Equal(t, int64(1), st.Users, "the stale statistics, without waiting")
	}
	require.Eventually(t, func() bool { return r.calls.Load() == 2 }, 10*time.Second, time.Millisecond)
	r.gate <- struct{}{}
	c.refreshing.Wait()
	assert.Equal(t, int64(2), r.calls.Load(), "one recomputation for every stale request")
	st, err = c.Get(ctx, store.StatsQuery{})
	require.NoError(t, err)
	assert.Equal(t, int64(2), st.Users)
	assert.Equal(t, int64(2), r.calls.Load(), "fresh again")
}

// TestCacheFailures: a failed computation is not cached, and a failed
// recomputation drops the entry, so that the next request computes again
// and sees the failure rather than statistics that never refresh.
func TestCacheFailures(t *testing.T) {
	r := &countingStats{}
	c, clk := newTestCache(r)
	ctx := context.Background()
	r.fail.Store(true)
	_, err := c.Get(ctx, store.StatsQuery{})
	require.ErrorIs(t, err, errStats)
	r.fail.Store(false)
	st, err := c.Get(ctx, store.StatsQuery{})
	require.NoError(t, err)
	assert.Equal(t, int64(2), st.Users)

	r.fail.Store(true)
	clk.add(2 * time.Minute)
	st, err = c.Get(ctx, store.StatsQuery{})
	require.NoError(t, err)
	assert.Equal(t, int64(2), st.Users, "stale, while the recomputation runs")
	c.refreshing.Wait()
	_, err = c.Get(ctx, store.StatsQuery{})
	require.ErrorIs(t, err, errStats)
	assert.Equal(t, int64(4), r.calls.Load())
}

// TestCacheWaiterCanLeave: a request waiting for another's computation
// returns when its own context ends; the computation goes on for the others.
func TestCacheWaiterCanLeave(t *testing.T) {
	r := &countingStats{gate: make(chan struct{})}
	c, _ := newTestCache(r)
	first := make(chan store.UsageStats)
	go func() {
		st, _ := c.Get(context.Background(), store.StatsQuery{})
		first <- st
	}()
	require.Eventually(t, func() bool { return r.calls.Load() == 1 }, 10*time.Second, time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Get(ctx, store.StatsQuery{})
	require.ErrorIs(t, err, context.Canceled)
	close(r.gate)
	assert.Equal(t, int64(1), (<-first).Users)
}

// blockingStats answers its first computation, waits for its context on
// the second, and fails the others (a closed store).
type blockingStats struct{ calls atomic.Int64 }

func (b *blockingStats) UsageStats(ctx context.Context, _ store.StatsQuery) (store.UsageStats, error) {
	switch b.calls.Add(1) {
	case 1:
		return store.UsageStats{Users: 1}, nil
	case 2:
		<-ctx.Done()
		return store.UsageStats{}, ctx.Err()
	}
	return store.UsageStats{}, errStats
}

// TestCacheClose: Close cancels a recomputation in flight and waits for it.
func TestCacheClose(t *testing.T) {
	r := &blockingStats{}
	c, clk := newTestCache(r)
	ctx := context.Background()
	_, err := c.Get(ctx, store.StatsQuery{})
	require.NoError(t, err)
	clk.add(2 * time.Minute)
	st, err := c.Get(ctx, store.StatsQuery{})
	require.NoError(t, err)
	assert.Equal(t, int64(1), st.Users)
	require.Eventually(t, func() bool { return r.calls.Load() == 2 }, 10*time.Second, time.Millisecond)
	c.Close() // returns only once the recomputation ended (goleak checks none is left)
	_, err = c.Get(ctx, store.StatsQuery{})
	require.ErrorIs(t, err, errStats, "the cancelled recomputation dropped the entry: computed again")
}
