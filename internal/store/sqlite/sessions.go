package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// ListSessions returns one page of sessions and how many match q.
// Filtered by user, the rows come from user_sessions (migration 0008): the
// user's sessions with a copy of their aggregates, one range of its (user_id,
// last_seen, session_id) index, counted and sorted there.
func (s *Store) ListSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error) {
	rows, n, err := store.Collect(ctx, q, s.eachSession)
	if err != nil {
		return store.SessionPage{}, fmt.Errorf("sqlite: cannot list sessions: %w", err)
	}
	return store.SessionPage{Sessions: rows, Count: n}, nil
}

// EachSession calls fn with every session matching q's filters, in q's
// order (q.Unpaged), as one statement reads them in one read transaction:
// one snapshot, so that a session updated during the read is neither
// missed nor passed twice. fn runs inside the transaction: it must not wait
// on anything slow. An error from fn ends the read and is returned, wrapped.
func (s *Store) EachSession(ctx context.Context, q store.SessionQuery, fn func(store.SessionSummary) error) error {
	if _, err := s.eachSession(ctx, q.Unpaged(), fn); err != nil {
		return fmt.Errorf("sqlite: cannot export sessions: %w", err)
	}
	return nil
}

// eachSession passes the sessions of q's page to fn, each with its users
// and agents, and returns how many sessions match (0 with q.NoCount).
func (s *Store) eachSession(ctx context.Context, q store.SessionQuery, fn func(store.SessionSummary) error) (int64, error) {
	col, err := sqllist.SortColumn(q.Sort)
	if err != nil {
		return 0, err
	}
	var args []any
	arg := argList(&args)
	from := "sessions s"
	var conds []string
	if q.UserID != "" {
		from, conds = "user_sessions s", []string{"s.user_id = " + arg(q.UserID)}
	}
	f := sqllist.SessionConds(q, q.Agent, arg)
	conds = append(conds, f.Conds...)
	l := listSpec{Dialect: dialect(),
		From: from, Alias: "s", Key: "session_id", Cols: sqllist.SessionColumns, Conds: conds,
		SortCol: col, Desc: q.Desc, After: q.After, Limit: max(q.Limit, 0), Offset: max(q.Offset, 0)}
	count := sqllist.SessionCount(q, f, &l, "")
	countArgs := slices.Clone(args)
	// The count is a column of every page row; an empty page asks for it
	// alone.
	pageSQL := l.CountedSQL(arg, count, "")

	var n int64
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		seen := false
		if err := each(ctx, tx, pageSQL, args, func(rows *sql.Rows) error {
			var x store.SessionSummary
			if err := rows.Scan(&n, &x.SessionID, &x.RunCount, &x.FirstSeen, &x.LastSeen, &x.TotalDuration,
				&x.TotalCost, &x.TotalTokens); err != nil {
				return err
			}
			seen = true
			if err := loadSessionMembers(ctx, tx, &x); err != nil {
				return err
			}
			return fn(x)
		}); err != nil {
			return err
		}
		if !seen && !q.NoCount {
			return tx.QueryRowContext(ctx, "SELECT "+count, countArgs...).Scan(&n)
		}
		return nil
	})
	return n, err
}

// loadSessionMembers fills the distinct users and agents of a session's runs.
func loadSessionMembers(ctx context.Context, tx *sql.Tx, x *store.SessionSummary) error {
	if err := each(ctx, tx, `SELECT DISTINCT user_id FROM runs WHERE session_id = ? AND user_id <> '' ORDER BY user_id`,
		[]any{x.SessionID}, func(rows *sql.Rows) error {
			var u string
			err := rows.Scan(&u)
			x.Users = append(x.Users, u)
			return err
		}); err != nil {
		return err
	}
	return each(ctx, tx, `SELECT DISTINCT agent_name FROM runs WHERE session_id = ? ORDER BY agent_name`,
		[]any{x.SessionID}, func(rows *sql.Rows) error {
			var a string
			err := rows.Scan(&a)
			x.Agents = append(x.Agents, a)
			return err
		})
}

// GetSession returns a session's aggregates and its first
// store.SessionRuns runs, oldest first; store.ErrNotFound if unknown.
func (s *Store) GetSession(ctx context.Context, sessionID string) (store.SessionDetail, error) {
	var d store.SessionDetail
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		x := &d.Summary
		err := tx.QueryRowContext(ctx, `SELECT `+sqllist.SessionColumns+` FROM sessions WHERE session_id = ?`, sessionID).
			Scan(&x.SessionID, &x.RunCount, &x.FirstSeen, &x.LastSeen, &x.TotalDuration, &x.TotalCost, &x.TotalTokens)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := loadSessionMembers(ctx, tx, x); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+sqllist.RunSummaryColumns+`
			FROM runs WHERE session_id = ? ORDER BY start_ns ASC, id ASC LIMIT ?`,
			[]any{sessionID, store.SessionRuns}, appendRunSummary(&d.Runs))
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.SessionDetail{}, fmt.Errorf("sqlite: session %q: %w", sessionID, store.ErrNotFound)
	}
	if err != nil {
		return store.SessionDetail{}, fmt.Errorf("sqlite: cannot get session: %w", err)
	}
	return d, nil
}

// GetRun returns the run with the given id and its counted calls, oldest
// first (ties by span id); store.ErrNotFound if there is none.
func (s *Store) GetRun(ctx context.Context, id int64) (store.RunDetail, error) {
	var d store.RunDetail
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var tid, root []byte
		var implicit, isErr int64
		err := tx.QueryRowContext(ctx, `SELECT id, run_key, trace_id, root_span_id, implicit, user_id, session_id,
				agent_name, workflow_name, start_ns, end_ns, error, input_tokens, cache_read_tokens, cache_write_tokens,
				output_tokens, reasoning_tokens, cost_nanos, call_count, user_conflicts
			FROM runs WHERE id = ?`, id).Scan(&d.ID, &d.Key, &tid, &root, &implicit, &d.UserID, &d.SessionID,
			&d.AgentName, &d.WorkflowName, &d.Start, &d.End, &isErr, &d.Tokens.Input, &d.Tokens.CachedInput,
			&d.Tokens.CacheWrite, &d.Tokens.Output, &d.Tokens.Reasoning, &d.CostNanos, &d.CallCount, &d.UserConflicts)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		d.TraceID, d.RootSpanID = hex.EncodeToString(tid), hex.EncodeToString(root)
		d.Implicit, d.Error = implicit != 0, isErr != 0
		return each(ctx, tx, `SELECT span_id, start_ns, model, provider, input_tokens, cache_read_tokens,
				cache_write_tokens, output_tokens, reasoning_tokens, cost_nanos, cost_source, aggregate
			FROM calls WHERE run_key = ? ORDER BY start_ns, span_id`, []any{d.Key}, func(rows *sql.Rows) error {
			var c store.CallDetail
			var sid []byte
			var agg int64
			if err := rows.Scan(&sid, &c.Start, &c.Model, &c.Provider, &c.Tokens.Input, &c.Tokens.CachedInput,
				&c.Tokens.CacheWrite, &c.Tokens.Output, &c.Tokens.Reasoning, &c.CostNanos, &c.CostSource, &agg); err != nil {
				return err
			}
			c.SpanID, c.Aggregate = hex.EncodeToString(sid), agg != 0
			d.Calls = append(d.Calls, c)
			return nil
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.RunDetail{}, fmt.Errorf("sqlite: run %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.RunDetail{}, fmt.Errorf("sqlite: cannot get run: %w", err)
	}
	return d, nil
}
