package postgres

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// undoMigration8 removes what migration 0008 created, as in a database
// migrated before it.
const undoMigration8 = `DROP VIEW user_sessions_recomputed;
	DROP TABLE user_sessions;
	DELETE FROM schema_migrations WHERE version = 8`

// userSessionsOf lists the sessions of user, most recent first.
func userSessionsOf(t *testing.T, s *Store, user string) []store.SessionSummary {
	t.Helper()
	p, err := s.ListSessions(context.Background(), store.SessionQuery{UserID: user, Desc: true, Limit: 100})
	require.NoError(t, err)
	require.EqualValues(t, len(p.Sessions), p.Count)
	return p.Sessions
}

// TestMigration8Backfills opens a database as it was before migration 8,
// with runs of several users in shared sessions, and checks that the
// migration fills user_sessions from them: Verify finds no difference and
// every user's sessions are what they were.
func TestMigration8Backfills(t *testing.T) {
	ctx := context.Background()
	s, dsn := fixtureStore(t)
	var users []string
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT array_agg(DISTINCT user_id ORDER BY user_id) FROM runs
		WHERE user_id <> '' AND session_id <> ''`).Scan(&users))
	require.Greater(t, len(users), 3)
	before := map[string][]store.SessionSummary{}
	for _, u := range users {
		before[u] = userSessionsOf(t, s, u)
		require.NotEmpty(t, before[u], u)
	}
	s = migrateAgain(t, dsn, s, undoMigration8)
	defer s.Close()
	for _, u := range users {
		require.Equal(t, before[u], userSessionsOf(t, s, u), u)
	}
}

// TestVerifyChecksUserSessions changes user_sessions behind the store's
// back: Verify names each row that differs from its recomputation.
func TestVerifyChecksUserSessions(t *testing.T) {
	ctx := context.Background()
	s, _ := fixtureStore(t)
	defer s.Close()
	diffs, err := s.Verify(ctx)
	require.NoError(t, err)
	require.Empty(t, diffs)

	var session, user, gone string
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT session_id, user_id FROM user_sessions ORDER BY 1, 2 LIMIT 1`).
		Scan(&session, &user))
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT user_id FROM user_sessions ORDER BY user_id DESC, session_id DESC LIMIT 1`).
		Scan(&gone))
	_, err = s.pool.Exec(ctx, `UPDATE user_sessions SET total_cost = total_cost + 1 WHERE session_id = $1 AND user_id = $2`,
		session, user)
	require.NoError(t, err)
	_, err = s.pool.Exec(ctx, `DELETE FROM user_sessions WHERE user_id = $1 AND session_id =
		(SELECT max(session_id) FROM user_sessions WHERE user_id = $1)`, gone)
	require.NoError(t, err)
	_, err = s.pool.Exec(ctx, `INSERT INTO user_sessions VALUES ('no-such-session', 'stray', 1, 1, 0, 0, 0, 0, 0)`)
	require.NoError(t, err)

	diffs, err = s.Verify(ctx)
	require.NoError(t, err)
	require.Len(t, diffs, 3, "%q", diffs)
	require.Contains(t, diffs, `user_sessions "no-such-session" "stray": got (1,1,0,0,0,0,0), want no row`)
	for _, d := range diffs {
		require.Contains(t, d, "user_sessions ")
	}
	require.Contains(t, diffs[0]+diffs[1]+diffs[2], `"`+user+`": got`)
	require.Contains(t, diffs[0]+diffs[1]+diffs[2], `"`+gone+`": got no row, want (`)
}
