package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// Sizes of the sessions benchmark's store: one heavy user with heavyRuns runs
// in sessions of five, and lightUsers users with nine runs in three sessions
// each.
const (
	heavyRuns  = 100_000
	lightUsers = 100_000
	lightRuns  = 9
)

// BenchmarkSessionsOfUser lists the sessions of one user (the API's
// sessions?user_id=), newest first, in a store of 1,000,000 runs: the heavy
// user's 20,000 sessions and a light user's three. Only the tables the list
// reads, runs, sessions and user_sessions, are loaded, with SQL.
//
//	go test -run '^$' -bench SessionsOfUser -benchtime 20x ./internal/store/sqlite/
func BenchmarkSessionsOfUser(b *testing.B) {
	ctx := context.Background()
	s := openFile(b, filepath.Join(b.TempDir(), "sessions.db"))
	defer s.Close()
	t0 := time.Now()
	loadSessionsBench(ctx, b, s)
	b.Logf("loaded %d runs in %v", heavyRuns+lightUsers*lightRuns, time.Since(t0).Round(time.Millisecond))

	for _, bc := range []struct {
		user     string
		sessions int64
	}{
		{"heavy", heavyRuns / 5},
		{fmt.Sprintf("light-%06d", lightUsers/2), lightRuns / 3},
	} {
		b.Run(bc.user, func(b *testing.B) {
			q := store.SessionQuery{UserID: bc.user, Sort: store.SortLastSeen, Desc: true, Limit: 25}
			for b.Loop() {
				page, err := s.ListSessions(ctx, q)
				require.NoError(b, err)
				require.Equal(b, bc.sessions, page.Count)
				require.Len(b, page.Sessions, int(min(bc.sessions, 25)))
				require.Equal(b, []string{bc.user}, page.Sessions[0].Users)
			}
		})
	}
}

// loadSessionsBench writes the benchmark's runs, their start times spread
// over 1,000,000 seconds in an order unrelated to their users, and the
// sessions and user_sessions rolled up from them.
func loadSessionsBench(ctx context.Context, b *testing.B, s *Store) {
	b.Helper()
	const n = heavyRuns + lightUsers*lightRuns
	_, err := s.write.ExecContext(ctx, `WITH RECURSIVE i(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM i WHERE v + 1 < ?1)
		INSERT INTO runs (run_key, trace_id, root_span_id, implicit, user_id, session_id, agent_name, workflow_name,
			start_ns, end_ns, error, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
			reasoning_tokens, cost_nanos, call_count, user_conflicts)
		SELECT 'run-' || v, randomblob(16), x'0000000000000001', 0,
			CASE WHEN v < ?2 THEN 'heavy' ELSE printf('light-%06d', (v - ?2) / ?3) END,
			CASE WHEN v < ?2 THEN 'heavy-' || (v / 5) ELSE printf('light-%06d-%d', (v - ?2) / ?3, (v - ?2) % ?3 / 3) END,
			'agent', 'default', t, t + 2000000000, 0, 100, 20, 0, 0, 0, 1500, 1, 0
		FROM (SELECT v, 1700000000000000000 + (v * 7919 % ?1) * 1000000000 AS t FROM i)`, n, heavyRuns, lightRuns)
	require.NoError(b, err)
	_, err = s.write.ExecContext(ctx, `INSERT INTO sessions (session_id, run_count, first_seen, last_seen,
			total_duration, total_cost, total_tokens)
		SELECT session_id, count(*), min(start_ns), max(start_ns), sum(end_ns - start_ns), sum(cost_nanos),
			sum(input_tokens + output_tokens)
		FROM runs GROUP BY session_id`)
	require.NoError(b, err)
	_, err = s.write.ExecContext(ctx, `INSERT INTO user_sessions SELECT * FROM user_sessions_recomputed`)
	require.NoError(b, err)
	_, err = s.write.ExecContext(ctx, `ANALYZE`)
	require.NoError(b, err)
}
