package readgate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor polls cond until it holds or the test's patience runs out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, time.Millisecond, what)
}

func TestGateBoundsConcurrency(t *testing.T) {
	const slots, reads = 2, 6
	g := New(Config{MaxConcurrent: slots}, Observer{})
	var inFlight, peak, started atomic.Int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range reads {
		wg.Go(func() {
			err := g.Do(context.Background(), "read", Light, func(context.Context) error {
				n := inFlight.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				started.Add(1)
				<-release
				inFlight.Add(-1)
				return nil
			})
			assert.NoError(t, err)
		})
	}
	waitFor(t, "the first reads take every slot", func() bool { return started.Load() == slots })
	for i := slots; i < reads; i++ {
		release <- struct{}{}
		waitFor(t, "a waiting read takes the freed slot", func() bool { return started.Load() == int64(i+1) })
	}
	close(release)
	wg.Wait()
	assert.Equal(t, int64(slots), peak.Load(), "reads in flight at once")
}

func TestGateTimeouts(t *testing.T) {
	blockUntilDone := func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}
	tests := []struct {
		name       string
		holdSlot   bool // another read holds the only slot
		parent     func() (context.Context, context.CancelFunc)
		wantRan    bool
		mayNotRun  bool // the caller's deadline may pass before the read starts
		wantQueued bool
		wantGate   bool // a *TimeoutError (and onTimeout called)
		wantErr    error
	}{
		{name: "read too long", parent: background, wantRan: true, wantGate: true},
		{name: "waited too long for a slot", holdSlot: true, parent: background, wantGate: true, wantQueued: true},
		{name: "caller cancelled", parent: cancelled, wantErr: context.Canceled},
		{name: "caller cancelled while queued", holdSlot: true, parent: cancelled, wantErr: context.Canceled},
		{name: "caller's own shorter deadline", parent: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 10*time.Millisecond)
		}, mayNotRun: true, wantErr: context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var reported []*TimeoutError
			g := New(Config{MaxConcurrent: 1, Timeout: 50 * time.Millisecond}, Observer{TimedOut: func(e *TimeoutError) {
				reported = append(reported, e)
			}})
			var holder sync.WaitGroup
			release := make(chan struct{})
			if tc.holdSlot {
				held := make(chan struct{})
				holder.Go(func() {
					_ = g.Do(context.Background(), "holder", Light, func(context.Context) error {
						close(held)
						<-release
						return nil
					})
				})
				<-held
			}
			ctx, cancel := tc.parent()
			defer cancel()
			ran := false
			err := g.Do(ctx, "list users", Light, func(ctx context.Context) error {
				ran = true
				return blockUntilDone(ctx)
			})
			close(release)
			holder.Wait()

			if !tc.mayNotRun {
				assert.Equal(t, tc.wantRan, ran, "whether the read ran")
			}
			var te *TimeoutError
			if !tc.wantGate {
				assert.ErrorIs(t, err, tc.wantErr)
				assert.False(t, errors.As(err, &te), "not the gate's timeout: %v", err)
				assert.Empty(t, reported)
				return
			}
			require.ErrorAs(t, err, &te)
			assert.Equal(t, TimeoutError{Op: "list users", Timeout: 50 * time.Millisecond, Queued: tc.wantQueued, Slots: 1}, *te)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, []*TimeoutError{te}, reported)
		})
	}
}

func background() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

func cancelled() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx, cancel
}

func TestGatePassesResults(t *testing.T) {
	boom := errors.New("boom")
	g := New(Config{MaxConcurrent: 1, Timeout: time.Hour}, Observer{TimedOut: func(*TimeoutError) { t.Error("no timeout expected") }})
	assert.ErrorIs(t, g.Do(context.Background(), "read", Light, func(context.Context) error { return boom }), boom)

	var deadline time.Time
	require.NoError(t, g.Do(context.Background(), "read", Light, func(ctx context.Context) error {
		deadline, _ = ctx.Deadline()
		return nil
	}))
	assert.WithinDuration(t, time.Now().Add(time.Hour), deadline, time.Minute, "the read runs under the gate's deadline")

	unbounded := New(Config{MaxConcurrent: 1}, Observer{})
	require.NoError(t, unbounded.Do(context.Background(), "read", Heavy, func(ctx context.Context) error {
		_, has := ctx.Deadline()
		assert.False(t, has, "no deadline without a timeout")
		return nil
	}))
}

func TestTimeoutErrorMessages(t *testing.T) {
	assert.EqualError(t, &TimeoutError{Op: "overview", Timeout: 30 * time.Second, Slots: 2},
		"overview: the query did not finish within 30s")
	assert.EqualError(t, &TimeoutError{Op: "overview", Timeout: 30 * time.Second, Queued: true, Slots: 2},
		"overview: waited 30s for one of the 2 query slots, all taken by other reads")
	assert.EqualError(t, &TimeoutError{Op: "overview", Timeout: 30 * time.Second, Queued: true, Slots: 3, Heavy: true},
		"overview: waited 30s for a query slot (heavy reads like this one may hold 2 of the 3), all taken by other reads")
	assert.EqualError(t, &TimeoutError{Op: "overview", Timeout: 30 * time.Second, Queued: true, Slots: 1, Heavy: true},
		"overview: waited 30s for one of the 1 query slots, all taken by other reads")
}

// TestGateKeepsASlotForLightReads fills the gate with heavy reads: they
// never hold more than all slots but one, and light reads still run, one
// after another, while the heavy ones wait.
func TestGateKeepsASlotForLightReads(t *testing.T) {
	tests := []struct {
		slots, wantHeavy int
		lightRuns        bool // a light read runs while the heavy ones hold their slots
	}{
		{slots: 1, wantHeavy: 1, lightRuns: false},
		{slots: 2, wantHeavy: 1, lightRuns: true},
		{slots: 4, wantHeavy: 3, lightRuns: true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d slots", tc.slots), func(t *testing.T) {
			g := New(Config{MaxConcurrent: tc.slots, Timeout: time.Minute}, Observer{})
			var heavyIn, heavyPeak atomic.Int64
			release := make(chan struct{})
			var wg sync.WaitGroup
			for i := range tc.slots + 2 {
				// Exports are heavy reads too.
				w := []Weight{Heavy, Export}[i%2]
				wg.Go(func() {
					assert.NoError(t, g.Do(context.Background(), "overview", w, func(context.Context) error {
						n := heavyIn.Add(1)
						for p := heavyPeak.Load(); n > p && !heavyPeak.CompareAndSwap(p, n); p = heavyPeak.Load() {
						}
						<-release
						heavyIn.Add(-1)
						return nil
					}))
				})
			}
			waitFor(t, "the heavy reads take what they may", func() bool { return heavyIn.Load() == int64(tc.wantHeavy) })

			light := func(timeout time.Duration) error {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				return g.Do(ctx, "get user", Light, func(context.Context) error { return nil })
			}
			if tc.lightRuns {
				for range 3 {
					require.NoError(t, light(time.Minute), "a light read beside the heavy ones")
				}
			} else {
				assert.ErrorIs(t, light(20*time.Millisecond), context.DeadlineExceeded, "one slot, held by a heavy read")
			}
			close(release)
			wg.Wait()
			assert.Equal(t, int64(tc.wantHeavy), heavyPeak.Load(), "heavy reads in flight at once")
		})
	}
}

// TestGateReportsWaits: every admitted read is reported with its weight and
// how long it waited for its slot; a read that never got one is not.
func TestGateReportsWaits(t *testing.T) {
	type admitted struct {
		w      Weight
		waited time.Duration
	}
	var mu sync.Mutex
	var got []admitted
	g := New(Config{MaxConcurrent: 1, Timeout: time.Minute}, Observer{Admitted: func(w Weight, waited time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, admitted{w, waited})
	}})
	held, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		assert.NoError(t, g.Do(context.Background(), "holder", Light, func(context.Context) error {
			close(held)
			<-release
			return nil
		}))
	})
	<-held
	called := make(chan time.Time)
	wg.Go(func() {
		called <- time.Now()
		assert.NoError(t, g.Do(context.Background(), "overview", Heavy, func(context.Context) error { return nil }))
	})
	const hold = 20 * time.Millisecond
	at := <-called
	waitFor(t, "the second read has been waiting a while", func() bool { return time.Since(at) >= hold })
	close(release)
	wg.Wait()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.Error(t, g.Do(ctx, "cancelled", Light, func(context.Context) error { return nil }))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 2, "the admitted reads, not the cancelled one")
	assert.Equal(t, Light, got[0].w)
	assert.Less(t, got[0].waited, hold, "the first read found its slot free")
	assert.Equal(t, Heavy, got[1].w)
	assert.GreaterOrEqual(t, got[1].waited, hold/2, "the second read waited for the first")
}
