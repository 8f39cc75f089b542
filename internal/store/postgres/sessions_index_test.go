package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// TestSessionCountFollowsRunChanges changes runs directly in SQL, as no
// ingest path can be relied on to (a run whose session or start hour
// changes, a cost update, a delete), and checks after each that the
// triggers bumped the hours they should and only those, and that a
// windowed sessions count through the hour index equals the runs' own.
func TestSessionCountFollowsRunChanges(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	s := openStore(t, dsn)
	defer s.Close()

	hour := int64(time.Hour)
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	exec := func(sql string, args ...any) {
		t.Helper()
		_, err := s.pool.Exec(ctx, sql, args...)
		require.NoError(t, err)
	}
	versions := func() map[int64]int64 {
		t.Helper()
		rows, err := s.pool.Query(ctx, `SELECT hour, sum(version)::int8 FROM run_hour_versions GROUP BY hour`)
		require.NoError(t, err)
		out := map[int64]int64{}
		var h, v int64
		for rows.Next() {
			require.NoError(t, rows.Scan(&h, &v))
			out[(h-base)/hour] = v
		}
		require.NoError(t, rows.Err())
		return out
	}
	// Windows with edges and with whole hours only, both served by the index.
	windows := [][2]int64{{base + hour/2, base + 5*hour + hour/3}, {base + hour, base + 4*hour}}
	check := func(step string) {
		t.Helper()
		for _, w := range windows {
			var want int64
			require.NoError(t, s.pool.QueryRow(ctx, `SELECT count(DISTINCT session_id) FROM runs
				WHERE start_ns >= $1 AND start_ns < $2 AND session_id <> ''`, w[0], w[1]).Scan(&want))
			page, err := s.ListSessions(ctx, store.SessionQuery{Start: time.Unix(0, w[0]), End: time.Unix(0, w[1]), Limit: 1})
			require.NoError(t, err)
			require.Equal(t, want, page.Count, "%s: window %v", step, w)
		}
	}
	insert := func(key, session string, start int64) {
		exec(`INSERT INTO runs (run_key, trace_id, root_span_id, implicit, user_id, session_id, agent_name,
			workflow_name, start_ns, end_ns, error, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
			reasoning_tokens, cost_nanos, call_count, user_conflicts)
			VALUES ($1, '\x01', '\x02', false, 'u', $2, 'a', 'w', $3, $3, false, 1, 1, 0, 0, 0, 1, 1, 0)`,
			key, session, start)
	}
	insert("r1", "s1", base+hour+10)
	insert("r2", "s1", base+2*hour+10)
	insert("r3", "s2", base+2*hour+20)
	insert("r4", "s3", base+3*hour+30)
	v0 := versions()
	require.Len(t, v0, 3)
	check("inserted")

	exec(`UPDATE runs SET cost_nanos = 5 WHERE run_key = 'r2'`)
	require.Equal(t, v0, versions(), "a cost update moves no session: no hour bumped")

	exec(`UPDATE runs SET session_id = 's2' WHERE run_key = 'r1'`)
	v1 := versions()
	require.Equal(t, v0[1]+1, v1[1], "a session change bumps its hour")
	require.Equal(t, v0[2], v1[2])
	check("session changed")

	exec(`UPDATE runs SET start_ns = $1 WHERE run_key = 'r4'`, base+hour+40)
	v2 := versions()
	require.Equal(t, v1[3]+1, v2[3], "the hour the run left")
	require.Equal(t, v1[1]+1, v2[1], "the hour it joined")
	check("start moved")

	exec(`DELETE FROM runs WHERE run_key = 'r3'`)
	require.Equal(t, v2[2]+1, versions()[2], "a delete bumps its hour")
	check("deleted")
}
