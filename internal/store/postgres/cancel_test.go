package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// TestCancelledReadStopsOnServer checks that a read whose context ends stops
// in PostgreSQL, not only in the client: a read waiting for a lock must not
// go on waiting (or a long one go on running) after its caller gave up. The
// API's query timeout (internal/readgate) relies on it; pgx sends the server
// a cancel request when it abandons a connection.
func TestCancelledReadStopsOnServer(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewDatabase(t))
	defer s.Close()
	_, err := s.ApplySpans(ctx, newTraffic(3, 2).traces(0, 2))
	require.NoError(t, err)

	locker, err := s.pool.Begin(ctx)
	require.NoError(t, err)
	defer locker.Rollback(ctx)
	_, err = locker.Exec(ctx, `LOCK TABLE users IN ACCESS EXCLUSIVE MODE`)
	require.NoError(t, err)

	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	read := make(chan error, 1)
	go func() {
		_, err := s.ListUsers(readCtx, store.UserQuery{Limit: 10, Sort: store.SortLastSeen, Desc: true})
		read <- err
	}()
	waitForLockWaits(t, s, 1)
	cancel()
	select {
	case err := <-read:
		require.Error(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not return after its context was cancelled")
	}

	pgtest.WaitForLockWaits(t, s.pool, "the cancelled read still waits for its lock on the server",
		func(waiting int) bool { return waiting == 0 })

	require.NoError(t, locker.Commit(ctx))
	page, err := s.ListUsers(ctx, store.UserQuery{Limit: 10, Sort: store.SortLastSeen, Desc: true})
	require.NoError(t, err)
	require.NotEmpty(t, page.Users, "the store reads again once the lock is gone")
}
