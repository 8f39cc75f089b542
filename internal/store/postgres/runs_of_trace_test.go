package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// TestRunsOfTrace holds the run_key range that replaced runs (trace_id): it
// selects exactly the runs of the given traces and none of their neighbours
// in key order, and it is planned as probes of the run_key index.
func TestRunsOfTrace(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewDatabase(t))
	defer s.Close()

	// 20,000 runs over 10,000 traces whose ids differ in their last byte
	// only, so every trace's key range has neighbours on both sides.
	_, err := s.pool.Exec(ctx, `INSERT INTO runs (run_key, trace_id, root_span_id, implicit, user_id, session_id,
			agent_name, workflow_name, start_ns, end_ns, error, input_tokens, output_tokens, cache_read_tokens,
			cache_write_tokens, reasoning_tokens, cost_nanos, call_count, user_conflicts)
		SELECT encode(t, 'hex') || ':' || lpad(to_hex(r), 16, '0'), t, decode(lpad(to_hex(r), 16, '0'), 'hex'),
			false, 'u', '', '', '', 0, 0, false, 0, 0, 0, 0, 0, 0, 0, 0
		FROM generate_series(0, 9999) g, generate_series(1, 2) r,
			LATERAL (SELECT decode(lpad(to_hex(g), 32, '0'), 'hex') AS t) x`)
	require.NoError(t, err)
	_, err = s.pool.Exec(ctx, "ANALYZE runs")
	require.NoError(t, err)

	trace := func(g int) pcommon.TraceID {
		var id pcommon.TraceID
		id[14], id[15] = byte(g>>8), byte(g)
		return id
	}
	want := []pcommon.TraceID{trace(0), trace(4241), trace(4242), trace(9999), trace(12345)} // the last has no runs
	ids := make([][]byte, len(want))
	for i := range want {
		ids[i] = want[i][:]
	}

	rows, err := s.pool.Query(ctx, loadRunsSQL, ids)
	require.NoError(t, err)
	var keys []string
	for rows.Next() {
		r, err := scanRun(rows)
		require.NoError(t, err)
		require.Equal(t, genai.RunKey(r.TraceID, r.RootSpanID), r.Key)
		keys = append(keys, r.Key)
	}
	require.NoError(t, rows.Err())
	var expected []string
	for _, id := range want[:4] {
		for r := 1; r <= 2; r++ {
			var root pcommon.SpanID
			root[7] = byte(r)
			expected = append(expected, genai.RunKey(id, root))
		}
	}
	require.Equal(t, expected, keys)

	for name, sql := range map[string]string{"load": loadRunsSQL, "retire": retireRunsSQL} {
		rows, err := s.pool.Query(ctx, "EXPLAIN "+sql, ids)
		require.NoError(t, err)
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		text := strings.Join(plan, "\n")
		require.Regexp(t, `Index Scan (using|on) runs_run_key_key`, text, "%s:\n%s", name, text)
		require.NotContains(t, text, "Seq Scan on runs", "%s:\n%s", name, text)
	}

	tag, err := s.pool.Exec(ctx, retireRunsSQL, ids)
	require.NoError(t, err)
	require.EqualValues(t, 8, tag.RowsAffected())
	var left int
	require.NoError(t, s.pool.QueryRow(ctx, "SELECT count(*) FROM runs").Scan(&left))
	require.Equal(t, 20000-8, left)
}

// TestBeginWriteTurnsJITOff holds the BEGIN query of ingest and retention:
// the run lookups above are estimated at thousands of rows per trace, which
// crosses jit_above_cost, so JIT must be off inside the transaction (and
// only there), which must still be READ COMMITTED and read-write.
func TestBeginWriteTurnsJITOff(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewDatabase(t))
	defer s.Close()

	var before string
	require.NoError(t, s.pool.QueryRow(ctx, "SELECT current_setting('jit')").Scan(&before))
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: beginWriteSQL})
	require.NoError(t, err)
	var jit, iso, readOnly string
	require.NoError(t, tx.QueryRow(ctx, "SELECT current_setting('jit'), current_setting('transaction_isolation'), "+
		"current_setting('transaction_read_only')").Scan(&jit, &iso, &readOnly))
	require.Equal(t, []string{"off", "read committed", "off"}, []string{jit, iso, readOnly})
	require.NoError(t, tx.Commit(ctx))

	var after string
	require.NoError(t, s.pool.QueryRow(ctx, "SELECT current_setting('jit')").Scan(&after))
	require.Equal(t, before, after, "SET LOCAL ends with the transaction")
}
