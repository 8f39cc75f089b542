package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// Windowed aggregates: every aggregate of a user counts only the runs that
// started in [lo, hi). They are exact for any bounds: whole hours inside the
// window come from the user_hours rollup, the parts of the window shorter
// than an hour at either end from the runs themselves (store.SplitWindow).

const windowColumns = `user_id, run_count, first_seen, last_seen, total_duration, total_cost, total_tokens`

// edgeRunsSQL selects the runs with a user that started in [lo, hi) as
// one-run rollup rows (first_seen and last_seen are the run's start).
func edgeRunsSQL(lo, hi, userCond string) string {
	return `SELECT user_id, 1::int8 AS run_count, start_ns AS first_seen, start_ns AS last_seen,
		greatest(end_ns - start_ns, 0) AS total_duration, cost_nanos AS total_cost,
		input_tokens + output_tokens AS total_tokens
		FROM runs WHERE start_ns >= ` + lo + ` AND start_ns < ` + hi + ` AND ` + userCond
}

// windowAggSQL selects, per user with a run in the window, the window's
// run_count, total_duration, total_cost and total_tokens, from user_hours for
// whole hours and from runs at the edges. first_seen and last_seen are exact
// only when the window has no whole hour (exact says whether they are);
// otherwise they are placeholders, filled for the rows that need them.
// userCond restricts the users (non-empty user_id for all, "user_id = $n" for
// one); it is applied to both tables.
func windowAggSQL(sp store.Split, arg func(any) string, userCond string) (sql string, exact bool) {
	if !sp.Hours {
		return `SELECT user_id, count(*)::int8 AS run_count, min(start_ns) AS first_seen, max(start_ns) AS last_seen,
			sum(greatest(end_ns - start_ns, 0))::int8 AS total_duration, sum(cost_nanos)::int8 AS total_cost,
			sum(input_tokens + output_tokens)::int8 AS total_tokens
			FROM runs WHERE start_ns >= ` + arg(sp.Lo) + ` AND start_ns < ` + arg(sp.Hi) + ` AND ` + userCond +
			` GROUP BY user_id`, true
	}
	parts := []string{`SELECT user_id, run_count, 0::int8 AS first_seen, 0::int8 AS last_seen, total_duration,
		total_cost, total_tokens FROM user_hours WHERE hour >= ` + arg(sp.HoursLo) + ` AND hour < ` +
		arg(sp.HoursHi) + ` AND ` + userCond}
	if sp.Lo < sp.HoursLo {
		parts = append(parts, edgeRunsSQL(arg(sp.Lo), arg(sp.HoursLo), userCond))
	}
	if sp.HoursHi < sp.Hi {
		parts = append(parts, edgeRunsSQL(arg(sp.HoursHi), arg(sp.Hi), userCond))
	}
	return `SELECT user_id, sum(run_count)::int8 AS run_count, 0::int8 AS first_seen, 0::int8 AS last_seen,
		sum(total_duration)::int8 AS total_duration, sum(total_cost)::int8 AS total_cost,
		sum(total_tokens)::int8 AS total_tokens
		FROM (` + strings.Join(parts, " UNION ALL ") + `) x GROUP BY user_id`, false
}

// windowRunsSQL selects, per user with a run in [lo, hi), every aggregate
// straight from the runs (the covering index on runs(start_ns)): used when
// the list is sorted by first or last seen, which no rollup holds.
func windowRunsSQL(sp store.Split, arg func(any) string) string {
	return `SELECT user_id, count(*)::int8 AS run_count, min(start_ns) AS first_seen, max(start_ns) AS last_seen,
		sum(greatest(end_ns - start_ns, 0))::int8 AS total_duration, sum(cost_nanos)::int8 AS total_cost,
		sum(input_tokens + output_tokens)::int8 AS total_tokens
		FROM runs WHERE start_ns >= ` + arg(sp.Lo) + ` AND start_ns < ` + arg(sp.Hi) + ` AND user_id <> ''
		GROUP BY user_id`
}

// windowUsersCTE is "w AS (...)": every user with a run in the window and
// its window aggregates; exact reports whether first_seen and last_seen are.
func windowUsersCTE(sp store.Split, arg func(any) string, sortCol string) (cte string, exact bool) {
	if sortCol == "first_seen" || sortCol == "last_seen" {
		return "w AS (" + windowRunsSQL(sp, arg) + ")", true
	}
	sql, exact := windowAggSQL(sp, arg, "user_id <> ''")
	return "w AS (" + sql + ")", exact
}

// listUsersWindow lists users with a run in the window, with window
// aggregates. Its cost grows with the number of (user, hour) rows and edge
// runs inside the window: every such user's aggregates are needed to sort.
func (s *Store) listUsersWindow(ctx context.Context, q store.UserQuery) (store.UserPage, error) {
	sortField := q.Sort
	if sortField == "" {
		sortField = store.SortLastSeen
	}
	col, ok := sortColumns[sortField]
	if !ok {
		return store.UserPage{}, fmt.Errorf("cannot list users: unknown sort field %q", q.Sort)
	}
	lo, hi := store.Bounds(q.Start, q.End)
	sp := store.SplitWindow(lo, hi)
	var args []any
	arg := argList(&args)
	w, exact := windowUsersCTE(sp, arg, col)
	loA, hiA := arg(lo), arg(hi)

	var conds []string
	if q.Search != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM users u WHERE u.user_id = w.user_id AND "+
			searchCond("u.search_key", q.Search, arg)+")")
	}
	if q.Agent != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM runs r WHERE r.user_id = w.user_id AND r.agent_name = "+
			arg(cleanText(q.Agent))+" AND r.start_ns >= "+loA+" AND r.start_ns < "+hiA+")")
	}
	if q.Above != nil {
		conds = append(conds, "w."+col+" > "+arg(*q.Above))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	l := listSpec{Dialect: dialect(),
		From: "f", Alias: "f", Key: "user_id", Cols: windowColumns, SortCol: col, Desc: q.Desc,
		After: q.After, Before: q.Before, Limit: max(q.Limit, 0), Offset: max(q.Offset, 0)}
	first, last := sqllist.WindowExtremes(exact, loA, hiA)
	sql := "WITH " + w + ", f AS MATERIALIZED (SELECT w.* FROM w" + where + ")\n" +
		countedPageSQL(l, arg, first, last, windowAgentsOf("p.user_id", loA, hiA))
	return s.listCountedUsers(ctx, q.NoCount, sql, args...)
}

// windowAgentsOf is a select-list expression: the agents (sorted) of the
// user's runs that started in [lo, hi). Each of the user's agents is probed
// in the (user_id, agent_name, start_ns) index.
func windowAgentsOf(user, lo, hi string) string {
	return `coalesce((SELECT array_agg(a.agent_name ORDER BY a.agent_name) FROM user_agents a
		WHERE a.user_id = ` + user + ` AND EXISTS (SELECT 1 FROM runs r WHERE r.user_id = a.user_id
			AND r.agent_name = a.agent_name AND r.start_ns >= ` + lo + ` AND r.start_ns < ` + hi + `)), '{}')`
}

// GetUserWindow returns a user's aggregates, agents, cost by model and most
// recent runs counting only the runs that started in the window. A user
// without runs in the window has zero aggregates (FirstSeen and LastSeen 0)
// and empty lists; an unknown user gives store.ErrNotFound.
func (s *Store) GetUserWindow(ctx context.Context, q store.WindowDetailQuery) (store.UserDetail, error) {
	id := cleanText(q.UserID)
	lo, hi := store.Bounds(q.Start, q.End)
	sp := store.SplitWindow(lo, hi)

	var aggArgs []any
	arg := argList(&aggArgs)
	idA := arg(id)
	agg, _ := windowAggSQL(sp, arg, "user_id = "+idA)
	loA, hiA := arg(lo), arg(hi)
	in := " FROM runs r WHERE r.user_id = " + idA + " AND r.start_ns >= " + loA + " AND r.start_ns < " + hiA + ")"
	aggSQL := `SELECT coalesce(sum(run_count), 0)::int8, coalesce(sum(total_duration), 0)::int8,
		coalesce(sum(total_cost), 0)::int8, coalesce(sum(total_tokens), 0)::int8,
		coalesce((SELECT min(r.start_ns)` + in + `, 0), coalesce((SELECT max(r.start_ns)` + in + `, 0), ` +
		windowAgentsOf(idA, loA, hiA) + ` FROM (` + agg + `) a`

	var modelArgs []any
	marg := argList(&modelArgs)
	midA := marg(id)
	var parts []string
	edgeCalls := func(lo, hi string) string {
		return `SELECT c.model, 1::int8 AS call_count, (c.cost_source = 'unpriced')::int::int8 AS unpriced_calls,
			c.cost_nanos AS total_cost, c.input_tokens + c.output_tokens AS total_tokens
			FROM runs r JOIN calls c ON c.trace_id = r.trace_id AND c.run_key = r.run_key
			WHERE r.user_id = ` + midA + ` AND r.start_ns >= ` + lo + ` AND r.start_ns < ` + hi
	}
	if sp.Hours {
		parts = append(parts, `SELECT model, call_count, unpriced_calls, total_cost, total_tokens FROM user_model_hours
			WHERE user_id = `+midA+` AND hour >= `+marg(sp.HoursLo)+` AND hour < `+marg(sp.HoursHi))
		if sp.Lo < sp.HoursLo {
			parts = append(parts, edgeCalls(marg(sp.Lo), marg(sp.HoursLo)))
		}
		if sp.HoursHi < sp.Hi {
			parts = append(parts, edgeCalls(marg(sp.HoursHi), marg(sp.Hi)))
		}
	} else {
		parts = append(parts, edgeCalls(marg(sp.Lo), marg(sp.Hi)))
	}
	modelSQL := `SELECT model, sum(total_cost)::int8 AS c, sum(total_tokens)::int8, sum(call_count)::int8,
		sum(unpriced_calls)::int8 FROM (` + strings.Join(parts, " UNION ALL ") + `) m
		GROUP BY model ORDER BY c DESC, model ASC`

	b := &pgx.Batch{}
	b.Queue(`SELECT 1 FROM users WHERE user_id = $1`, id)
	b.Queue(aggSQL, aggArgs...)
	b.Queue(modelSQL, modelArgs...)
	b.Queue(`SELECT id, run_key, agent_name, workflow_name, session_id, start_ns, end_ns, error, cost_nanos,
			input_tokens + output_tokens, user_id
		FROM runs WHERE user_id = $1 AND start_ns >= $2 AND start_ns < $3 ORDER BY start_ns DESC, id DESC LIMIT $4`,
		id, lo, hi, int64(store.RecentRuns))
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()

	var one int32
	if err := br.QueryRow().Scan(&one); errors.Is(err, pgx.ErrNoRows) {
		return store.UserDetail{}, fmt.Errorf("user %q: %w", q.UserID, store.ErrNotFound)
	} else if err != nil {
		return store.UserDetail{}, fmt.Errorf("cannot get user: %w", err)
	}
	var d store.UserDetail
	u := &d.Summary
	u.UserID = q.UserID
	if err := br.QueryRow().Scan(&u.RunCount, &u.TotalDuration, &u.TotalCost, &u.TotalTokens, &u.FirstSeen,
		&u.LastSeen, &u.Agents); err != nil {
		return store.UserDetail{}, fmt.Errorf("cannot get user: %w", err)
	}
	if len(u.Agents) == 0 {
		u.Agents = nil
	}
	rows, _ := br.Query()
	var m store.ModelCost
	if _, err := pgx.ForEachRow(rows, []any{&m.Model, &m.TotalCost, &m.TotalTokens, &m.CallCount, &m.UnpricedCalls},
		func() error {
			d.CostByModel = append(d.CostByModel, m)
			return nil
		}); err != nil {
		return store.UserDetail{}, fmt.Errorf("cannot get user: %w", err)
	}
	rows, _ = br.Query()
	var r store.RunSummary
	if _, err := pgx.ForEachRow(rows, []any{&r.ID, &r.Key, &r.AgentName, &r.WorkflowName, &r.SessionID, &r.Start,
		&r.End, &r.Error, &r.CostNanos, &r.Tokens, &r.UserID}, func() error {
		d.Runs = append(d.Runs, r)
		return nil
	}); err != nil {
		return store.UserDetail{}, fmt.Errorf("cannot get user: %w", err)
	}
	if err := br.Close(); err != nil {
		return store.UserDetail{}, fmt.Errorf("cannot get user: %w", err)
	}
	return d, nil
}
