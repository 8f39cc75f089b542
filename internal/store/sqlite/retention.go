package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

// Retention: see internal/store/ledger/retired.go for the model and
// migrations/0003_retention.sql for the tables.

// retainBatch is how many traces one retention transaction deletes. The
// store has one writer, so ingest waits for at most one batch.
const retainBatch = 500

// Subqueries of the first/last-seen recomputations (tx.go, extra_tx.go):
// the extremes of a user's (a session's) remaining runs and of its runs
// deleted by retention.
const (
	userRunsMin    = `(SELECT min(start_ns) FROM runs WHERE runs.user_id = users.user_id)`
	userRunsMax    = `(SELECT max(start_ns) FROM runs WHERE runs.user_id = users.user_id)`
	userRetiredMin = `(SELECT first_seen FROM retired_rollups WHERE rollup = 'users' AND k1 = users.user_id AND k2 = '' AND k3 = '')`
	userRetiredMax = `(SELECT last_seen FROM retired_rollups WHERE rollup = 'users' AND k1 = users.user_id AND k2 = '' AND k3 = '')`

	sessionRunsMin    = `(SELECT min(start_ns) FROM runs WHERE runs.session_id = sessions.session_id)`
	sessionRunsMax    = `(SELECT max(start_ns) FROM runs WHERE runs.session_id = sessions.session_id)`
	sessionRetiredMin = `(SELECT first_seen FROM retired_rollups WHERE rollup = 'sessions' AND k1 = sessions.session_id AND k2 = '' AND k3 = '')`
	sessionRetiredMax = `(SELECT last_seen FROM retired_rollups WHERE rollup = 'sessions' AND k1 = sessions.session_id AND k2 = '' AND k3 = '')`
)

const retiredRollupCols = `rollup, k1, k2, k3, runs, calls, unpriced, duration, cost, tokens, user_runs, first_seen, last_seen`

var retentionSQL = map[string]string{
	"retiredTrace": `SELECT count(*) FROM retired_traces WHERE trace_id = ?`,
	// Traces after ?1 (in id order) whose spans all started before ?2. The
	// spans table is clustered by trace id, so this reads it in order and
	// stops after ?3 traces: one retention pass reads it once.
	"retainCandidates": `SELECT trace_id FROM spans WHERE trace_id > ?1 GROUP BY trace_id
		HAVING max(start_ns) < ?2 ORDER BY trace_id LIMIT ?3`,
	"retireCalls": `DELETE FROM calls WHERE trace_id = ?`,
	"retireRuns":  `DELETE FROM runs WHERE ` + runsOfTrace,
	"retireSpans": `DELETE FROM spans WHERE trace_id = ?`,
	"retireTrace": `INSERT INTO retired_traces (trace_id, retired_at) VALUES (?, ?) ON CONFLICT (trace_id) DO NOTHING`,
	"addRetiredRollup": `INSERT INTO retired_rollups (` + retiredRollupCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (rollup, k1, k2, k3) DO UPDATE SET
			runs = runs + excluded.runs, calls = calls + excluded.calls, unpriced = unpriced + excluded.unpriced,
			duration = duration + excluded.duration, cost = cost + excluded.cost, tokens = tokens + excluded.tokens,
			user_runs = user_runs + excluded.user_runs,
			first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
}

func init() {
	for k, v := range retentionSQL {
		writeSQL[k] = v
	}
}

var _ ledger.RetiredTx = (*writeTx)(nil)

// RetiredTraces implements ledger.RetiredTx.
func (w *writeTx) RetiredTraces(ctx context.Context, traces []pcommon.TraceID) ([]bool, error) {
	out := make([]bool, len(traces))
	st := w.stmt(ctx, "retiredTrace")
	for i, t := range traces {
		var n int64
		if err := st.QueryRowContext(ctx, t[:]).Scan(&n); err != nil {
			return nil, fmt.Errorf("retiredTrace: %w", err)
		}
		out[i] = n > 0
	}
	return out, nil
}

// Retain deletes the spans, runs and calls of every trace whose spans all
// started before `before`, keeping the rollups (lifetime aggregates) as they
// are, and returns how many traces it deleted. Each batch of traces is one
// transaction; a cancelled ctx stops between (or rolls back) batches, with
// what was committed so far staying exact.
func (s *Store) Retain(ctx context.Context, before time.Time) (int64, error) {
	cutoff := before.UnixNano()
	after := []byte{} // sorts before every trace id
	var total int64
	for {
		n, last, err := s.retainBatch(ctx, cutoff, after)
		total += n
		if err != nil {
			return total, classify("cannot apply retention", err)
		}
		if last == nil {
			return total, nil
		}
		after = last
	}
}

// retainBatch retires up to retainBatch traces after `after` and returns
// the last candidate examined (nil when there was none).
func (s *Store) retainBatch(ctx context.Context, cutoff int64, after []byte) (int64, []byte, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = tx.Rollback() }()
	if err := s.checkSchema(ctx, tx); err != nil {
		return 0, nil, err
	}
	w := newWriteTx(tx, s.stmts)

	rows, err := w.stmt(ctx, "retainCandidates").QueryContext(ctx, after, cutoff, retainBatch)
	if err != nil {
		return 0, nil, fmt.Errorf("retainCandidates: %w", err)
	}
	var traces []pcommon.TraceID
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			_ = rows.Close()
			return 0, nil, err
		}
		var t pcommon.TraceID
		if len(raw) != len(t) {
			_ = rows.Close()
			return 0, nil, fmt.Errorf("malformed trace id of %d bytes", len(raw))
		}
		copy(t[:], raw)
		traces = append(traces, t)
	}
	if err := rows.Close(); err != nil {
		return 0, nil, err
	}
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	if len(traces) == 0 {
		return 0, nil, nil
	}

	if err := retire(ctx, w, traces, time.Now().UnixNano()); err != nil {
		return 0, nil, err
	}
	if err := tx.Commit(); err != nil {
		return 0, nil, err
	}
	last := traces[len(traces)-1]
	return int64(len(traces)), last[:], nil
}

// retire moves what the traces' runs and calls contributed to the rollups
// into retired_rollups, deletes their calls, runs and spans and records them
// as retired.
func retire(ctx context.Context, w *writeTx, traces []pcommon.TraceID, now int64) error {
	stored, err := w.LoadRuns(ctx, traces)
	if err != nil {
		return err
	}
	calls, err := w.LoadCalls(ctx, traces)
	if err != nil {
		return err
	}
	runs := make([]genai.Run, len(stored))
	for i := range stored {
		runs[i] = stored[i].Run
	}
	for _, r := range ledger.RetiredRows(ledger.Expected(runs, calls)) {
		t := r.Totals
		if _, err := w.exec(ctx, "addRetiredRollup", r.Rollup, r.Key[0], r.Key[1], r.Key[2],
			t.Runs, t.Calls, t.Unpriced, t.Duration, t.Cost, t.Tokens, r.UserRuns, r.FirstSeen, r.LastSeen); err != nil {
			return err
		}
	}
	for _, t := range traces {
		for _, name := range []string{"retireCalls", "retireRuns", "retireSpans"} {
			if _, err := w.exec(ctx, name, t[:]); err != nil {
				return err
			}
		}
		if _, err := w.exec(ctx, "retireTrace", t[:], now); err != nil {
			return err
		}
	}
	// user_sessions follows the runs stored; the sessions keep their rows.
	return w.applyUserSessions(ctx, ledger.RetiredUserSessions(runs))
}

// loadRetired adds the retired rollup rows to want (Verify).
func loadRetired(ctx context.Context, tx *sql.Tx, want *ledger.Snapshot) error {
	return each(ctx, tx, `SELECT `+retiredRollupCols+` FROM retired_rollups`, nil, func(rows *sql.Rows) error {
		var r ledger.RetiredRow
		t := &r.Totals
		if err := rows.Scan(&r.Rollup, &r.Key[0], &r.Key[1], &r.Key[2], &t.Runs, &t.Calls, &t.Unpriced, &t.Duration,
			&t.Cost, &t.Tokens, &r.UserRuns, &r.FirstSeen, &r.LastSeen); err != nil {
			return err
		}
		want.AddRetired(r)
		return nil
	})
}
