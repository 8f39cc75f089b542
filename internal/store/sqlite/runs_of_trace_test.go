package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// TestRunsOfTrace holds the run_key range that replaced runs (trace_id): it
// selects exactly the runs of one trace and none of its neighbours in key
// order, through the run_key index, and retires exactly them.
func TestRunsOfTrace(t *testing.T) {
	ctx := context.Background()
	s := openFile(t, filepath.Join(t.TempDir(), "waxell.db"))
	defer s.Close()

	trace := func(g int) pcommon.TraceID {
		var id pcommon.TraceID
		id[14], id[15] = byte(g>>8), byte(g)
		return id
	}
	root := func(r int) pcommon.SpanID {
		var id pcommon.SpanID
		id[7] = byte(r)
		return id
	}
	// Traces whose ids differ in their last byte only: every trace's key
	// range has neighbours on both sides.
	for g := range 300 {
		for r := 1; r <= 2; r++ {
			tid, sid := trace(g), root(r)
			_, err := s.write.ExecContext(ctx, `INSERT INTO runs (run_key, trace_id, root_span_id, implicit, user_id,
					session_id, agent_name, workflow_name, start_ns, end_ns, error, input_tokens, output_tokens,
					cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, call_count, user_conflicts)
				VALUES (?, ?, ?, 0, 'u', '', '', '', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)`,
				genai.RunKey(tid, sid), tid[:], sid[:])
			require.NoError(t, err)
		}
	}

	load := writeSQL["loadRuns"]
	for _, g := range []int{0, 171, 299, 300} {
		tid := trace(g)
		rows, err := s.write.QueryContext(ctx, "SELECT run_key FROM ("+load+") ORDER BY run_key", tid[:])
		require.NoError(t, err)
		var keys []string
		for rows.Next() {
			var k string
			require.NoError(t, rows.Scan(&k))
			keys = append(keys, k)
		}
		require.NoError(t, rows.Err())
		var want []string
		if g < 300 { // trace 300 has no runs
			want = []string{genai.RunKey(tid, root(1)), genai.RunKey(tid, root(2))}
		}
		require.Equal(t, want, keys, "trace %d", g)
	}

	tid := trace(171)
	rows, err := s.write.QueryContext(ctx, "EXPLAIN QUERY PLAN "+load, tid[:])
	require.NoError(t, err)
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	text := strings.Join(plan, "\n")
	require.Contains(t, text, "USING INDEX sqlite_autoindex_runs_1 (run_key>? AND run_key<?)", text)

	res, err := s.write.ExecContext(ctx, retentionSQL["retireRuns"], tid[:])
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	var left int
	require.NoError(t, s.write.QueryRowContext(ctx, "SELECT count(*) FROM runs").Scan(&left))
	require.Equal(t, 598, left)
}
