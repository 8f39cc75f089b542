package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// agentsChunk bounds the number of user ids bound to one agents query.
const agentsChunk = 500

// readTx runs fn in a read transaction, so that its queries see one snapshot.
func (s *Store) readTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// ListUsers returns one page of the users matching q and how many match.
func (s *Store) ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error) {
	rows, n, err := store.Collect(ctx, q, s.eachUser)
	if err != nil {
		return store.UserPage{}, fmt.Errorf("sqlite: cannot list users: %w", err)
	}
	return store.UserPage{Users: rows, Count: n}, nil
}

// EachUser calls fn with every user matching q's filters, in q's order
// (q.Unpaged), as one statement reads them in one read transaction: one
// snapshot, and a windowed list's aggregate computed once. fn runs inside
// the transaction: it must not wait on anything slow. An error from fn ends
// the read and is returned, wrapped.
func (s *Store) EachUser(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error) error {
	if _, err := s.eachUser(ctx, q.Unpaged(), fn); err != nil {
		return fmt.Errorf("sqlite: cannot export users: %w", err)
	}
	return nil
}

// eachUser passes the users of q's page to fn and returns how many users
// match (0 with q.NoCount).
func (s *Store) eachUser(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error) (int64, error) {
	if q.Window {
		return s.listUsersWindow(ctx, q, fn)
	}
	col, err := sqllist.SortColumn(q.Sort)
	if err != nil {
		return 0, err
	}

	// where holds the page's conditions; count those of the count, which
	// differ only in form.
	var where, count []string
	var args []any
	arg := argList(&args)
	if q.Search != "" {
		where = append(where, `instr(u.search_key, `+arg(strings.ToLower(q.Search))+`) > 0`)
	}
	if !q.Start.IsZero() || !q.End.IsZero() {
		// A run started in [Start, End) implies last_seen >= Start and
		// first_seen < End (the latest and earliest run starts): conditions
		// the sort indexes serve, so inactive users are not probed. With one
		// bound the implication is an equivalence.
		runs := `EXISTS (SELECT 1 FROM runs r WHERE r.user_id = u.user_id`
		if !q.Start.IsZero() {
			start := arg(q.Start.UnixNano())
			runs += ` AND r.start_ns >= ` + start
			where = append(where, `u.last_seen >= `+start)
		}
		if !q.End.IsZero() {
			end := arg(q.End.UnixNano())
			runs += ` AND r.start_ns < ` + end
			where = append(where, `u.first_seen < `+end)
		}
		if !q.Start.IsZero() && !q.End.IsZero() {
			where = append(where, runs+`)`)
		}
	}
	if q.Above != nil {
		where = append(where, `u.`+col+` > `+arg(*q.Above))
	}
	if q.HighUsage != nil {
		where = append(where, sqllist.HighUsageCond("u", *q.HighUsage, arg))
	}
	count = append(count, where...)
	if q.Agent != "" {
		agent := arg(q.Agent)
		// The page reads users in sort order until it has a page, probing
		// each; the count reads every match, from the (agent_name, user_id)
		// index.
		where = append(where, `EXISTS (SELECT 1 FROM user_agents a WHERE a.user_id = u.user_id AND a.agent_name = `+agent+`)`)
		count = append(count, `u.user_id IN (SELECT user_id FROM user_agents WHERE agent_name = `+agent+`)`)
	}
	cond := ""
	if len(count) > 0 {
		cond = " WHERE " + strings.Join(count, " AND ")
	}
	countArgs := append([]any(nil), args...)
	l := listSpec{Dialect: dialect(),
		From: "users u", Alias: "u", Key: "user_id", Cols: sqllist.UserColumns, Conds: where, SortCol: col,
		Desc: q.Desc, After: q.After, Before: q.Before, Limit: max(q.Limit, 0), Offset: max(q.Offset, 0)}
	pageSQL := l.SQL(arg)

	var n int64
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		if !q.NoCount {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users u`+cond, countArgs...).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return nil
			}
		}
		rows, err := tx.QueryContext(ctx, pageSQL, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		out := userChunks{fill: func(users []store.UserSummary) error { return loadAgents(ctx, tx, users) }, fn: fn}
		for rows.Next() {
			var u store.UserSummary
			if err := rows.Scan(&u.UserID, &u.RunCount, &u.FirstSeen, &u.LastSeen, &u.TotalDuration, &u.TotalCost, &u.TotalTokens); err != nil {
				return err
			}
			if err := out.add(u); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return out.flush()
	})
	return n, err
}

// userChunks passes users to fn agentsChunk at a time, once fill has read
// the agents of the chunk (in the transaction whose rows are still open).
type userChunks struct {
	fill func([]store.UserSummary) error
	fn   func(store.UserSummary) error
	buf  []store.UserSummary
}

func (c *userChunks) add(u store.UserSummary) error {
	c.buf = append(c.buf, u)
	if len(c.buf) < agentsChunk {
		return nil
	}
	return c.flush()
}

func (c *userChunks) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	if err := c.fill(c.buf); err != nil {
		return err
	}
	for _, u := range c.buf {
		if err := c.fn(u); err != nil {
			return err
		}
	}
	c.buf = c.buf[:0]
	return nil
}

// loadAgents fills the agents of users, a chunk of users per query.
func loadAgents(ctx context.Context, tx *sql.Tx, users []store.UserSummary) error {
	return fillAgents(ctx, tx, users, nil, func(ids string) string {
		return `SELECT user_id, agent_name FROM user_agents WHERE user_id IN (` + ids + `) ORDER BY user_id, agent_name`
	})
}

// fillAgents fills the agents of users, a chunk of users per query. query
// returns a statement selecting (user_id, agent_name) rows, ordered by
// both, for the ids whose placeholders it is given; fixed are the values of
// the placeholders before them (?1 to ?len(fixed)).
func fillAgents(ctx context.Context, tx *sql.Tx, users []store.UserSummary, fixed []any, query func(ids string) string) error {
	index := make(map[string]int, len(users))
	for i := range users {
		index[users[i].UserID] = i
	}
	for start := 0; start < len(users); start += agentsChunk {
		chunk := users[start:min(start+agentsChunk, len(users))]
		args := append(make([]any, 0, len(fixed)+len(chunk)), fixed...)
		marks := make([]string, len(chunk))
		for i := range chunk {
			args = append(args, chunk[i].UserID)
			marks[i] = "?" + strconv.Itoa(len(args))
		}
		rows, err := tx.QueryContext(ctx, query(strings.Join(marks, ",")), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, agent string
			if err := rows.Scan(&id, &agent); err != nil {
				_ = rows.Close()
				return err
			}
			if i, ok := index[id]; ok {
				users[i].Agents = append(users[i].Agents, agent)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// GetUser returns a user's aggregates, cost by model and recent runs, or
// an error wrapping store.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, userID string) (store.UserDetail, error) {
	var d store.UserDetail
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		u := &d.Summary
		err := tx.QueryRowContext(ctx, `SELECT `+sqllist.UserColumns+` FROM users WHERE user_id = ?`, userID).
			Scan(&u.UserID, &u.RunCount, &u.FirstSeen, &u.LastSeen, &u.TotalDuration, &u.TotalCost, &u.TotalTokens)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		users := []store.UserSummary{*u}
		if err := loadAgents(ctx, tx, users); err != nil {
			return err
		}
		*u = users[0]

		if err := each(ctx, tx, `SELECT `+sqllist.ModelCostColumns+`
			FROM user_models WHERE user_id = ? ORDER BY total_cost DESC, model ASC`, []any{userID},
			appendModelCost(&d.CostByModel)); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+sqllist.RunSummaryColumns+`
			FROM runs WHERE user_id = ? ORDER BY start_ns DESC, id DESC LIMIT ?`, []any{userID, store.RecentRuns},
			appendRunSummary(&d.Runs))
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.UserDetail{}, fmt.Errorf("sqlite: user %q: %w", userID, store.ErrNotFound)
	}
	if err != nil {
		return store.UserDetail{}, fmt.Errorf("sqlite: cannot get user: %w", err)
	}
	return d, nil
}

// Verify recomputes every rollup from runs and calls and lists each
// difference from the stored rollups. An empty list means the store is exact.
func (s *Store) Verify(ctx context.Context) ([]string, error) {
	var diffs []string
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var runs []genai.Run
		if err := each(ctx, tx, `SELECT id, run_key, `+runCols+` FROM runs`, nil, func(rows *sql.Rows) error {
			r, err := scanRun(rows)
			runs = append(runs, r.Run)
			return err
		}); err != nil {
			return fmt.Errorf("runs: %w", err)
		}
		var calls []genai.Call
		if err := each(ctx, tx, `SELECT `+callCols+` FROM calls`, nil, func(rows *sql.Rows) error {
			c, err := scanCall(rows)
			calls = append(calls, c)
			return err
		}); err != nil {
			return fmt.Errorf("calls: %w", err)
		}

		got := ledger.NewSnapshot()
		if err := each(ctx, tx, `SELECT user_id, run_count, total_duration, total_cost, total_tokens, first_seen, last_seen FROM users`,
			nil, func(rows *sql.Rows) error {
				var id string
				var u ledger.UserRow
				err := rows.Scan(&id, &u.Totals.Runs, &u.Totals.Duration, &u.Totals.Cost, &u.Totals.Tokens, &u.FirstSeen, &u.LastSeen)
				got.Users[id] = u
				return err
			}); err != nil {
			return fmt.Errorf("users: %w", err)
		}
		if err := each(ctx, tx, `SELECT user_id, model, call_count, unpriced_calls, total_cost, total_tokens FROM user_models`,
			nil, func(rows *sql.Rows) error {
				var k [2]string
				var t ledger.Totals
				err := rows.Scan(&k[0], &k[1], &t.Calls, &t.Unpriced, &t.Cost, &t.Tokens)
				got.UserModels[k] = t
				return err
			}); err != nil {
			return fmt.Errorf("user_models: %w", err)
		}
		if err := each(ctx, tx, `SELECT user_id, agent_name, run_count FROM user_agents`, nil, func(rows *sql.Rows) error {
			var k [2]string
			var t ledger.Totals
			err := rows.Scan(&k[0], &k[1], &t.Runs)
			got.UserAgents[k] = t
			return err
		}); err != nil {
			return fmt.Errorf("user_agents: %w", err)
		}
		if err := each(ctx, tx, `SELECT user_id, hour, run_count, total_duration, total_cost, total_tokens FROM user_hours`,
			nil, func(rows *sql.Rows) error {
				var user string
				var hour int64
				var t ledger.Totals
				err := rows.Scan(&user, &hour, &t.Runs, &t.Duration, &t.Cost, &t.Tokens)
				got.UserHours[[2]string{user, fmt.Sprint(hour)}] = t
				return err
			}); err != nil {
			return fmt.Errorf("user_hours: %w", err)
		}
		if err := each(ctx, tx, `SELECT user_id, model, hour, call_count, unpriced_calls, total_cost, total_tokens FROM user_model_hours`,
			nil, func(rows *sql.Rows) error {
				var user, model string
				var hour int64
				var t ledger.Totals
				err := rows.Scan(&user, &model, &hour, &t.Calls, &t.Unpriced, &t.Cost, &t.Tokens)
				got.UserModelHours[[3]string{user, model, fmt.Sprint(hour)}] = t
				return err
			}); err != nil {
			return fmt.Errorf("user_model_hours: %w", err)
		}
		if err := loadExtraSnapshot(ctx, tx, got); err != nil {
			return err
		}
		want := ledger.Expected(runs, calls)
		if err := loadRetired(ctx, tx, want); err != nil {
			return fmt.Errorf("retired_rollups: %w", err)
		}
		diffs = ledger.Compare(want, got)
		return each(ctx, tx, sqllist.UserSessionsDiffsSQL(), nil, func(rows *sql.Rows) error {
			var session, user, g, w string
			err := rows.Scan(&session, &user, &g, &w)
			diffs = append(diffs, sqllist.UserSessionsDiff(session, user, g, w))
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: cannot verify: %w", err)
	}
	return diffs, nil
}
