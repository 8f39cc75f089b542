package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

// Retention: see internal/store/ledger/retired.go for the model and
// migrations/0003_retention.sql for the tables.

// retainBatch is how many traces one retention transaction deletes.
const retainBatch = 500

// retentionLockKey is the pg_advisory_xact_lock key that lets one replica
// at a time run retention ("waxell-r" in ASCII). Retention in another
// replica's transaction would be correct too (traces are locked), only
// wasted work.
const retentionLockKey int64 = 0x77_61_78_65_6c_6c_2d_72

// Subqueries of the first/last-seen recomputations (tx.go, extra_tx.go):
// the extremes of a user's (a session's) runs deleted by retention.
const (
	retiredUserFirst    = `(SELECT x.first_seen FROM retired_rollups x WHERE x.rollup = 'users' AND x.k1 = u.user_id AND x.k2 = '' AND x.k3 = '')`
	retiredUserLast     = `(SELECT x.last_seen FROM retired_rollups x WHERE x.rollup = 'users' AND x.k1 = u.user_id AND x.k2 = '' AND x.k3 = '')`
	retiredSessionFirst = `(SELECT x.first_seen FROM retired_rollups x WHERE x.rollup = 'sessions' AND x.k1 = s.session_id AND x.k2 = '' AND x.k3 = '')`
	retiredSessionLast  = `(SELECT x.last_seen FROM retired_rollups x WHERE x.rollup = 'sessions' AND x.k1 = s.session_id AND x.k2 = '' AND x.k3 = '')`
)

const (
	retiredTracesSQL = `SELECT trace_id FROM retired_traces WHERE trace_id = ANY($1::bytea[])`
	// Traces after $1 (in id order) whose spans all started before $2; the
	// primary key of spans gives them in order, so a pass reads the table
	// once.
	retainCandidatesSQL = `SELECT trace_id FROM spans WHERE trace_id > $1 GROUP BY trace_id
		HAVING max(start_ns) < $2 ORDER BY trace_id LIMIT $3`
	// Lock the candidates in id order, as the ledger's lock does, then keep
	// those that are still entirely old: a writer may have added a newer
	// span between the scan and the lock.
	retainLockSQL    = `SELECT trace_id FROM traces WHERE trace_id = ANY($1::bytea[]) ORDER BY trace_id FOR UPDATE`
	retainRecheckSQL = `SELECT trace_id FROM spans WHERE trace_id = ANY($1::bytea[]) GROUP BY trace_id
		HAVING max(start_ns) < $2 ORDER BY trace_id`
	retainCallsSQL      = `SELECT ` + callColumns + ` FROM calls WHERE trace_id = ANY($1::bytea[]) ORDER BY trace_id, span_id`
	addRetiredRollupSQL = `INSERT INTO retired_rollups AS t (rollup, k1, k2, k3, runs, calls, unpriced, duration, cost,
			tokens, user_runs, first_seen, last_seen)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[],
			$8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::int8[], $13::int8[])
		ON CONFLICT (rollup, k1, k2, k3) DO UPDATE SET runs = t.runs + EXCLUDED.runs, calls = t.calls + EXCLUDED.calls,
			unpriced = t.unpriced + EXCLUDED.unpriced, duration = t.duration + EXCLUDED.duration,
			cost = t.cost + EXCLUDED.cost, tokens = t.tokens + EXCLUDED.tokens,
			user_runs = t.user_runs + EXCLUDED.user_runs,
			first_seen = least(t.first_seen, EXCLUDED.first_seen), last_seen = greatest(t.last_seen, EXCLUDED.last_seen)`
	retireCallsSQL = `DELETE FROM calls WHERE trace_id = ANY($1::bytea[])`
	retireSpansSQL = `DELETE FROM spans WHERE trace_id = ANY($1::bytea[])`
	retireTraceSQL = `INSERT INTO retired_traces (trace_id, retired_at) SELECT unnest($1::bytea[]), $2
		ON CONFLICT (trace_id) DO NOTHING`
	loadRetiredSQL = `SELECT rollup, k1, k2, k3, runs, calls, unpriced, duration, cost, tokens, user_runs, first_seen,
		last_seen FROM retired_rollups`
)

// retireRunsSQL deletes the runs of the traces $1 (runsOfTrace).
var retireRunsSQL = `DELETE FROM runs USING unnest($1::bytea[]) AS k(trace_id) WHERE ` + runsOfTrace("k.trace_id")

var _ ledger.RetiredTx = (*applyTx)(nil)

// RetiredTraces implements ledger.RetiredTx. The ledger calls it only for
// known traces without stored spans, so ordinary batches never pay for it.
func (t *applyTx) RetiredTraces(ctx context.Context, traces []pcommon.TraceID) ([]bool, error) {
	rows, _ := t.tx.Query(ctx, retiredTracesSQL, idBytes(traces))
	retired := map[pcommon.TraceID]bool{}
	var raw []byte
	if _, err := pgx.ForEachRow(rows, []any{&raw}, func() error {
		id, err := traceID(raw)
		retired[id] = true
		return err
	}); err != nil {
		return nil, fmt.Errorf("retired traces: %w", err)
	}
	out := make([]bool, len(traces))
	for i, id := range traces {
		out[i] = retired[id]
	}
	return out, nil
}

func idBytes(traces []pcommon.TraceID) [][]byte {
	ids := make([][]byte, len(traces))
	for i := range traces {
		ids[i] = traces[i][:]
	}
	return ids
}

// Retain deletes the spans, runs and calls of every trace whose spans all
// started before `before`, keeping the rollups (lifetime aggregates) as they
// are, and returns how many traces it deleted. Each batch of traces is one
// transaction. When another process is retaining at the same moment, Retain
// returns 0 at once and leaves the work to it.
func (s *Store) Retain(ctx context.Context, before time.Time) (int64, error) {
	cutoff := before.UnixNano()
	after := []byte{} // sorts before every trace id
	var total int64
	for {
		n, last, err := s.retainBatch(ctx, cutoff, after)
		total += n
		if err != nil {
			return total, fmt.Errorf("cannot apply retention: %w", classify(err))
		}
		if last == nil {
			return total, nil
		}
		after = last
	}
}

// retainBatch retires up to retainBatch traces after `after` and returns the
// last candidate examined (nil when there was none, or when another process
// holds the retention lock).
func (s *Store) retainBatch(ctx context.Context, cutoff int64, after []byte) (n int64, last []byte, err error) {
	// Retention looks runs up by key range like ingest, so it shares
	// beginWriteSQL (see there why JIT is off).
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{BeginQuery: beginWriteSQL}, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, retentionLockKey).Scan(&locked); err != nil {
			return fmt.Errorf("retention lock: %w", err)
		}
		if !locked {
			return nil
		}
		// traces first, as every writer: a migration locks it before any
		// other table (fenceWritersSQL).
		if _, err := tx.Exec(ctx, `LOCK TABLE traces IN ROW SHARE MODE`); err != nil {
			return fmt.Errorf("retention: lock traces: %w", err)
		}
		if err := checkSchema(ctx, tx, s.schema); err != nil {
			return fmt.Errorf("retention: %w", err)
		}
		candidates, err := traceList(ctx, tx, retainCandidatesSQL, after, cutoff, retainBatch)
		if err != nil {
			return fmt.Errorf("retention candidates: %w", err)
		}
		if len(candidates) == 0 {
			return nil
		}
		lastID := candidates[len(candidates)-1]
		last = lastID[:]
		if _, err := traceList(ctx, tx, retainLockSQL, idBytes(candidates)); err != nil {
			return fmt.Errorf("retention lock traces: %w", err)
		}
		traces, err := traceList(ctx, tx, retainRecheckSQL, idBytes(candidates), cutoff)
		if err != nil {
			return fmt.Errorf("retention recheck: %w", err)
		}
		if len(traces) == 0 {
			return nil
		}
		if err := retire(ctx, tx, traces, time.Now().UnixNano()); err != nil {
			return err
		}
		n = int64(len(traces))
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return n, last, nil
}

func traceList(ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]pcommon.TraceID, error) {
	rows, _ := tx.Query(ctx, sql, args...)
	var out []pcommon.TraceID
	var raw []byte
	_, err := pgx.ForEachRow(rows, []any{&raw}, func() error {
		id, err := traceID(raw)
		out = append(out, id)
		return err
	})
	return out, err
}

// retire moves what the (locked) traces' runs and calls contributed to the
// rollups into retired_rollups, deletes their calls, runs and spans and
// records them as retired.
func retire(ctx context.Context, tx pgx.Tx, traces []pcommon.TraceID, now int64) error {
	ids := idBytes(traces)
	var runs []genai.Run
	rows, _ := tx.Query(ctx, loadRunsSQL, ids)
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("retention runs: %w", err)
		}
		runs = append(runs, r.Run)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("retention runs: %w", err)
	}
	var calls []genai.Call
	rows, _ = tx.Query(ctx, retainCallsSQL, ids)
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("retention calls: %w", err)
		}
		calls = append(calls, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("retention calls: %w", err)
	}

	t := &applyTx{tx: tx}
	if rs := ledger.RetiredRows(ledger.Expected(runs, calls)); len(rs) > 0 {
		n := len(rs)
		names, k1, k2, k3 := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		cols := make([][]int64, 9)
		for c := range cols {
			cols[c] = make([]int64, n)
		}
		for i, r := range rs {
			x := r.Totals
			names[i], k1[i], k2[i], k3[i] = r.Rollup, r.Key[0], r.Key[1], r.Key[2]
			for c, v := range []int64{x.Runs, x.Calls, x.Unpriced, x.Duration, x.Cost, x.Tokens, r.UserRuns, r.FirstSeen, r.LastSeen} {
				cols[c][i] = v
			}
		}
		t.queue(addRetiredRollupSQL, names, k1, k2, k3,
			cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8])
	}
	t.queue(retireCallsSQL, ids)
	t.queue(retireRunsSQL, ids)
	t.queue(retireSpansSQL, ids)
	t.queue(retireTraceSQL, ids, now)
	// user_sessions follows the runs stored. Its rows are taken after their
	// sessions' rows, as ingest takes them.
	if us := ledger.RetiredUserSessions(runs); len(us) > 0 {
		sessions := make([]string, 0, len(us))
		for _, d := range us {
			if len(sessions) == 0 || sessions[len(sessions)-1] != d.SessionID {
				sessions = append(sessions, d.SessionID)
			}
		}
		t.queue(lockSessionsSQL, sessions)
		userSessionsRollup.queue(t, us)
	}
	if err := t.flush(ctx); err != nil {
		return fmt.Errorf("retention writes: %w", err)
	}
	return nil
}

// loadRetired adds the retired rollup rows to want (Verify).
func loadRetired(ctx context.Context, tx pgx.Tx, want *ledger.Snapshot) error {
	rows, _ := tx.Query(ctx, loadRetiredSQL)
	var r ledger.RetiredRow
	t := &r.Totals
	_, err := pgx.ForEachRow(rows, []any{&r.Rollup, &r.Key[0], &r.Key[1], &r.Key[2], &t.Runs, &t.Calls, &t.Unpriced,
		&t.Duration, &t.Cost, &t.Tokens, &r.UserRuns, &r.FirstSeen, &r.LastSeen}, func() error {
		want.AddRetired(r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("retired_rollups: %w", err)
	}
	return nil
}
