package postgres

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/storetest"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

func TestConformanceExtended(t *testing.T) {
	storetest.RunExtended(t, storetest.Opener{
		New: func(t *testing.T) (storetest.Store, func(*testing.T) storetest.Store) {
			dsn := pgtest.NewDatabase(t)
			return openStore(t, dsn), func(t *testing.T) storetest.Store { return openStore(t, dsn) }
		},
	})
}

// TestMigration2Backfills opens a database as it was before migration 2
// (runs and calls, no session, hour or count rollups; nor migration 8's
// user_sessions, built on sessions) and checks that the migrations fill the
// new rollups from them: Verify finds no difference.
func TestMigration2Backfills(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	s := openStore(t, dsn)
	_, err := s.ApplySpans(ctx, storetest.FixtureSpans())
	require.NoError(t, err)
	_, err = s.pool.Exec(ctx, undoMigration8)
	require.NoError(t, err)
	_, err = s.pool.Exec(ctx, `DROP TABLE sessions, run_hours, model_hours, row_counts;
		DROP INDEX runs_start_idx, runs_user_agent_idx, runs_session_start_idx, user_hours_hour_idx,
			user_model_hours_user_hour_idx, calls_run_start_idx;
		CREATE INDEX runs_session_idx ON runs (session_id);
		DELETE FROM schema_migrations WHERE version = 2`)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = openStore(t, dsn)
	defer s.Close()
	diffs, err := s.Verify(ctx)
	require.NoError(t, err)
	require.Empty(t, diffs)
	p, err := s.ListSessions(ctx, store.SessionQuery{Limit: 10})
	require.NoError(t, err)
	require.NotZero(t, p.Count)
	u, err := s.ListUsers(ctx, store.UserQuery{Limit: 10})
	require.NoError(t, err)
	require.NotZero(t, u.Count)
}
