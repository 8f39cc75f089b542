package sqlite

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// TestUserSessionsMigrationAndVerify opens a database as it was before
// migration 8: the migration fills user_sessions so that Verify finds no
// difference and every user's sessions list is what it was; a row changed
// behind the store's back is then named by Verify.
func TestUserSessionsMigrationAndVerify(t *testing.T) {
	ctx := context.Background()
	s, path := fixtureFile(t)
	lists := func() map[string]store.SessionPage {
		out := map[string]store.SessionPage{}
		rows, err := s.write.QueryContext(ctx, `SELECT DISTINCT user_id FROM runs WHERE user_id <> '' AND session_id <> ''`)
		require.NoError(t, err)
		var users []string
		for rows.Next() {
			var u string
			require.NoError(t, rows.Scan(&u))
			users = append(users, u)
		}
		require.NoError(t, rows.Err())
		for _, u := range users {
			p, err := s.ListSessions(ctx, store.SessionQuery{UserID: u, Sort: store.SortRunCount, Desc: true, Limit: 100})
			require.NoError(t, err)
			require.NotZero(t, p.Count, u)
			out[u] = p
		}
		return out
	}
	before := lists()
	require.Greater(t, len(before), 3)
	s = migrateAgain(t, path, s, `DROP VIEW user_sessions_recomputed`, `DROP TABLE user_sessions`,
		`DELETE FROM schema_migrations WHERE version = 8`)
	defer s.Close()
	require.Equal(t, before, lists())

	_, err := s.write.ExecContext(ctx, `UPDATE user_sessions SET runs = runs + 1
		WHERE rowid = (SELECT min(rowid) FROM user_sessions)`)
	require.NoError(t, err)
	diffs, err := s.Verify(ctx)
	require.NoError(t, err)
	require.Len(t, diffs, 1)
	require.Regexp(t, `^user_sessions "[^"]+" "[^"]+": got \(\d+,`, diffs[0])
}
