package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// listUsersWindow passes the users of q's page, with window aggregates
// (sqllist.WindowList), to fn, their agents read a chunk at a time, and
// returns how many users had a run in the window (eachUser).
func (s *Store) listUsersWindow(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error) (int64, error) {
	col, err := sqllist.SortColumn(q.Sort)
	if err != nil {
		return 0, err
	}
	var args []any
	arg := argList(&args)
	search := func(q string) string { return "instr(u.search_key, " + arg(strings.ToLower(q)) + ") > 0" }
	query := dialect().WindowList(q, col, arg, search, q.Agent, nil)
	lo, hi := store.Bounds(q.Start, q.End)

	var n int64
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		out := userChunks{fill: func(users []store.UserSummary) error { return loadWindowAgents(ctx, tx, users, lo, hi) }, fn: fn}
		for rows.Next() {
			var id sql.NullString
			var u store.UserSummary
			if err := rows.Scan(&n, &id, &u.RunCount, &u.FirstSeen, &u.LastSeen, &u.TotalDuration,
				&u.TotalCost, &u.TotalTokens); err != nil {
				return err
			}
			if !id.Valid {
				continue
			}
			u.UserID = id.String
			if err := out.add(u); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return out.flush()
	})
	if q.NoCount {
		n = 0
	}
	return n, err
}

// loadWindowAgents fills the agents of users: those of their runs that
// started in [lo, hi), each probed in the (user_id, agent_name, start_ns)
// index.
func loadWindowAgents(ctx context.Context, tx *sql.Tx, users []store.UserSummary, lo, hi int64) error {
	return fillAgents(ctx, tx, users, []any{lo, hi}, func(ids string) string {
		return `SELECT a.user_id, a.agent_name FROM user_agents a
			WHERE a.user_id IN (` + ids + `) AND EXISTS (SELECT 1 FROM runs r
				WHERE r.user_id = a.user_id AND r.agent_name = a.agent_name AND r.start_ns >= ?1 AND r.start_ns < ?2)
			ORDER BY a.user_id, a.agent_name`
	})
}

// GetUserWindow returns a user's aggregates, agents, cost by model and most
// recent runs counting only the runs that started in the window. A user
// without runs in the window has zero aggregates and empty lists; an unknown
// user gives store.ErrNotFound.
func (s *Store) GetUserWindow(ctx context.Context, q store.WindowDetailQuery) (store.UserDetail, error) {
	lo, hi := store.Bounds(q.Start, q.End)
	sp := store.SplitWindow(lo, hi)
	var d store.UserDetail
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE user_id = ?`, q.UserID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		u := &d.Summary
		u.UserID = q.UserID

		var args []any
		arg := argList(&args)
		totals := dialect().UserWindowTotals(sp, arg, arg(q.UserID), nil)
		if err := tx.QueryRowContext(ctx, totals, args...).Scan(&u.RunCount, &u.TotalDuration, &u.TotalCost, &u.TotalTokens,
			&u.FirstSeen, &u.LastSeen); err != nil {
			return err
		}
		if u.RunCount == 0 {
			return nil
		}
		users := []store.UserSummary{*u}
		if err := loadWindowAgents(ctx, tx, users, lo, hi); err != nil {
			return err
		}
		*u = users[0]

		var margs []any
		marg := argList(&margs)
		models := dialect().UserWindowModels(sp, marg, marg(q.UserID))
		if err := each(ctx, tx, models, margs, appendModelCost(&d.CostByModel)); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+sqllist.RunSummaryColumns+`
			FROM runs WHERE user_id = ? AND start_ns >= ? AND start_ns < ? ORDER BY start_ns DESC, id DESC LIMIT ?`,
			[]any{q.UserID, lo, hi, store.RecentRuns}, appendRunSummary(&d.Runs))
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.UserDetail{}, fmt.Errorf("sqlite: user %q: %w", q.UserID, store.ErrNotFound)
	}
	if err != nil {
		return store.UserDetail{}, fmt.Errorf("sqlite: cannot get user: %w", err)
	}
	return d, nil
}

// appendRunSummary returns a scan function (each) that appends a row of
// sqllist.RunSummaryColumns to runs.
func appendRunSummary(runs *[]store.RunSummary) func(*sql.Rows) error {
	return func(rows *sql.Rows) error {
		var r store.RunSummary
		if err := scanRunSummary(rows, &r); err != nil {
			return err
		}
		*runs = append(*runs, r)
		return nil
	}
}

// scanRunSummary scans a row of lead columns and then
// sqllist.RunSummaryColumns into lead and r.
func scanRunSummary(rows *sql.Rows, r *store.RunSummary, lead ...any) error {
	var isErr int64
	if err := rows.Scan(append(lead, &r.ID, &r.Key, &r.AgentName, &r.WorkflowName, &r.SessionID, &r.Start, &r.End,
		&isErr, &r.CostNanos, &r.Tokens, &r.UserID)...); err != nil {
		return err
	}
	r.Error = isErr != 0
	return nil
}

// appendModelCost returns a scan function (each) that appends a row of
// model, cost, tokens, calls and unpriced calls to models.
func appendModelCost(models *[]store.ModelCost) func(*sql.Rows) error {
	return func(rows *sql.Rows) error {
		var m store.ModelCost
		if err := rows.Scan(&m.Model, &m.TotalCost, &m.TotalTokens, &m.CallCount, &m.UnpricedCalls); err != nil {
			return err
		}
		*models = append(*models, m)
		return nil
	}
}

// each runs query with args in tx and calls scan on each row.
func each(ctx context.Context, tx *sql.Tx, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
