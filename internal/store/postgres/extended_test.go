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
	s, dsn := fixtureStore(t)
	s = migrateAgain(t, dsn, s, undoMigration8, `DROP TABLE sessions, run_hours, model_hours, row_counts;
		DROP INDEX runs_start_idx, runs_user_agent_idx, runs_session_start_idx, user_hours_hour_idx,
			user_model_hours_user_hour_idx, calls_run_start_idx;
		CREATE INDEX runs_session_idx ON runs (session_id);
		DELETE FROM schema_migrations WHERE version = 2`)
	defer s.Close()
	p, err := s.ListSessions(ctx, store.SessionQuery{Limit: 10})
	require.NoError(t, err)
	require.NotZero(t, p.Count)
	u, err := s.ListUsers(ctx, store.UserQuery{Limit: 10})
	require.NoError(t, err)
	require.NotZero(t, u.Count)
}

// fixtureStore opens a store on a new database holding storetest's fixture.
func fixtureStore(t *testing.T) (*Store, string) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	s := openStore(t, dsn)
	_, err := s.ApplySpans(context.Background(), storetest.FixtureSpans())
	require.NoError(t, err)
	return s, dsn
}

// migrateAgain runs the statements undo (which take migrations back out) on
// s, closes it and opens the database again, which applies those migrations
// again; the store it returns must verify.
func migrateAgain(t *testing.T, dsn string, s *Store, undo ...string) *Store {
	t.Helper()
	ctx := context.Background()
	for _, q := range undo {
		_, err := s.pool.Exec(ctx, q)
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	s = openStore(t, dsn)
	diffs, err := s.Verify(ctx)
	require.NoError(t, err)
	require.Empty(t, diffs)
	return s
}
