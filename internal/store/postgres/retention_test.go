package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store/storetest"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

func TestRetention(t *testing.T) {
	storetest.RunRetention(t, storetest.Opener{
		New: func(t *testing.T) (storetest.Store, func(*testing.T) storetest.Store) {
			dsn := pgtest.NewDatabase(t)
			return openStore(t, dsn), func(t *testing.T) storetest.Store { return openStore(t, dsn) }
		},
		IsTransient: func(err error) bool {
			_, ok := retryable(err)
			return ok
		},
	})
}

// TestRetentionOneReplicaAtATime: replicas retaining at the same moment do
// not wait for each other (the advisory lock lets one do the work).
func TestRetentionOneReplicaAtATime(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := openStore(t, dsn), openStore(t, dsn)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()

	tx, err := a.pool.Begin(ctx)
	require.NoError(t, err)
	var locked bool
	require.NoError(t, tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, retentionLockKey).Scan(&locked))
	require.True(t, locked)
	n, err := b.Retain(ctx, time.Now())
	require.NoError(t, err, "another replica holds the lock: nothing to do, no error")
	require.Zero(t, n)
	require.NoError(t, tx.Rollback(ctx))

	var wg sync.WaitGroup
	for _, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Retain(ctx, time.Now())
			require.NoError(t, err)
		}()
	}
	wg.Wait()
}
