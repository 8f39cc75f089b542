package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/storetest"
)

func TestConformanceExtended(t *testing.T) {
	storetest.RunExtended(t, storetest.Opener{
		New: func(t *testing.T) (storetest.Store, func(*testing.T) storetest.Store) {
			path := filepath.Join(t.TempDir(), "waxell.db")
			return openFile(t, path), func(t *testing.T) storetest.Store { return openFile(t, path) }
		},
	})
}

// TestMigration2Backfills opens a database as it was before migration 2
// (runs and calls, no session or hour rollups) and checks that the
// migration fills the new rollups from them: Verify finds no difference.
func TestMigration2Backfills(t *testing.T) {
	ctx := context.Background()
	s, path := fixtureFile(t)
	s = migrateAgain(t, path, s,
		`DROP TABLE sessions`, `DROP TABLE run_hours`, `DROP TABLE model_hours`,
		`DROP INDEX runs_start`, `DROP INDEX runs_user_agent`, `DROP INDEX runs_session_start`,
		`DROP INDEX user_hours_hour`, `DROP INDEX calls_run_start`, `DROP INDEX user_model_hours_user_hour`,
		`CREATE INDEX runs_session ON runs (session_id)`,
		`DELETE FROM schema_migrations WHERE version = 2`)
	defer s.Close()
	p, err := s.ListSessions(ctx, store.SessionQuery{Limit: 10})
	require.NoError(t, err)
	require.NotZero(t, p.Count)
	o, err := s.Overview(ctx, store.OverviewQuery{})
	require.NoError(t, err)
	require.NotZero(t, o.RunCount)
}

// fixtureFile opens a store in a new file holding storetest's fixture.
func fixtureFile(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "waxell.db")
	s := openFile(t, path)
	_, err := s.ApplySpans(context.Background(), storetest.FixtureSpans())
	require.NoError(t, err)
	return s, path
}

// migrateAgain runs the statements undo (which take migrations back out) on
// s, closes it and opens the file again, which applies those migrations
// again; the store it returns must verify.
func migrateAgain(t *testing.T, path string, s *Store, undo ...string) *Store {
	t.Helper()
	ctx := context.Background()
	for _, q := range undo {
		_, err := s.write.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	require.NoError(t, s.Close())
	s = openFile(t, path)
	diffs, err := s.Verify(ctx)
	require.NoError(t, err)
	require.Empty(t, diffs)
	return s
}
