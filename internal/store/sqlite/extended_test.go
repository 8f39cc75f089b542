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
	path := filepath.Join(t.TempDir(), "m2.db")
	s := openFile(t, path)
	_, err := s.ApplySpans(ctx, storetest.FixtureSpans())
	require.NoError(t, err)
	for _, q := range []string{
		`DROP TABLE sessions`, `DROP TABLE run_hours`, `DROP TABLE model_hours`,
		`DROP INDEX runs_start`, `DROP INDEX runs_user_agent`, `DROP INDEX runs_session_start`,
		`DROP INDEX user_hours_hour`, `DROP INDEX calls_run_start`, `DROP INDEX user_model_hours_user_hour`,
		`CREATE INDEX runs_session ON runs (session_id)`,
		`DELETE FROM schema_migrations WHERE version = 2`,
	} {
		_, err := s.write.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	require.NoError(t, s.Close())

	s = openFile(t, path)
	defer s.Close()
	diffs, err := s.Verify(ctx)
	require.NoError(t, err)
	require.Empty(t, diffs)
	p, err := s.ListSessions(ctx, store.SessionQuery{Limit: 10})
	require.NoError(t, err)
	require.NotZero(t, p.Count)
	o, err := s.Overview(ctx, store.OverviewQuery{})
	require.NoError(t, err)
	require.NotZero(t, o.RunCount)
}
