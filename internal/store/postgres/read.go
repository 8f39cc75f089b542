package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// agentsOf is a select-list expression: the user's agent names in byte order.
const agentsOf = `coalesce((SELECT array_agg(a.agent_name ORDER BY a.agent_name) FROM user_agents a
	WHERE a.user_id = p.user_id), '{}')`

// ListUsers returns one page of users and the number of users matching q.
// The count and the page are pipelined in one round trip (they may reflect
// commits made between the two statements). The page is served by the
// (field, user_id) index of its direction, so its cost does not grow with the
// number of users unless the filters are very selective; the count reads
// every matching user.
func (s *Store) ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error) {
	rows, n, err := store.Collect(ctx, q, s.eachUser)
	if err != nil {
		return store.UserPage{}, fmt.Errorf("cannot list users: %w", err)
	}
	return store.UserPage{Users: rows, Count: n}, nil
}

// EachUser calls fn with every user matching q's filters, in q's order
// (q.Unpaged), as one statement reads them: one snapshot, and a windowed
// list's aggregate computed once. fn runs while the statement's rows are
// open, holding a connection: it must not wait on anything slow. An error
// from fn ends the read and is returned, wrapped.
func (s *Store) EachUser(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error) error {
	if _, err := s.eachUser(ctx, q.Unpaged(), fn); err != nil {
		return fmt.Errorf("cannot export users: %w", err)
	}
	return nil
}

// eachUser passes the users of q's page to fn and returns how many users
// match (0 with q.NoCount).
func (s *Store) eachUser(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error) (int64, error) {
	if q.Window {
		return s.listUsersWindow(ctx, q, fn)
	}
	lq, err := buildListUsers(q)
	if err != nil {
		return 0, err
	}
	if lq.counted {
		// Planned with its values, not as a cached generic plan: a search
		// pattern decides between the trigram index and reading every user.
		return s.listCountedUsers(ctx, q.NoCount, fn, lq.pageSQL, append([]any{pgx.QueryExecModeExec}, lq.pageArgs...)...)
	}
	b := &pgx.Batch{}
	if lq.countSQL != "" {
		b.Queue(lq.countSQL, lq.countArgs...)
	}
	b.Queue(lq.pageSQL, lq.pageArgs...)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()

	var n int64
	if lq.countSQL != "" {
		if err := br.QueryRow().Scan(&n); err != nil {
			return 0, err
		}
	}
	rows, _ := br.Query()
	var u store.UserSummary
	if _, err := pgx.ForEachRow(rows, []any{&u.UserID, &u.RunCount, &u.FirstSeen, &u.LastSeen, &u.TotalDuration,
		&u.TotalCost, &u.TotalTokens, &u.Agents}, func() error { return fn(withAgents(u)) }); err != nil {
		return 0, err
	}
	return n, br.Close()
}

// withAgents is u with an empty agents list as nil.
func withAgents(u store.UserSummary) store.UserSummary {
	if len(u.Agents) == 0 {
		u.Agents = nil
	}
	return u
}

// listUsersQuery is the SQL of one ListUsers call.
type listUsersQuery struct {
	countSQL  string
	countArgs []any
	pageSQL   string
	pageArgs  []any
	// counted: pageSQL alone answers the count and the page
	// (listCountedUsers), and is planned with its values (search and
	// usage filters).
	counted bool
}

// buildListUsers turns q into SQL. Filter values are parameters; only the
// fixed column names of sqllist.SortColumn and the integers limit and offset are
// spliced in.
func buildListUsers(q store.UserQuery) (listUsersQuery, error) {
	col, err := sqllist.SortColumn(q.Sort)
	if err != nil {
		return listUsersQuery{}, err
	}

	var conds []string
	var args []any
	arg := argList(&args)
	if q.Search != "" {
		conds = append(conds, searchCond("u.search_key", q.Search, arg))
	}
	if q.Agent != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM user_agents a WHERE a.user_id = u.user_id AND a.agent_name = "+
			arg(cleanText(q.Agent))+")")
	}
	if !q.Start.IsZero() || !q.End.IsZero() {
		// A run started in [Start, End) implies last_seen >= Start and
		// first_seen < End (the latest and earliest run starts): conditions
		// the sort indexes serve, so inactive users are not probed. With one
		// bound the implication is an equivalence.
		c := "EXISTS (SELECT 1 FROM runs r WHERE r.user_id = u.user_id"
		if !q.Start.IsZero() {
			start := arg(q.Start.UnixNano())
			c += " AND r.start_ns >= " + start
			conds = append(conds, "u.last_seen >= "+start)
		}
		if !q.End.IsZero() {
			end := arg(q.End.UnixNano())
			c += " AND r.start_ns < " + end
			conds = append(conds, "u.first_seen < "+end)
		}
		if !q.Start.IsZero() && !q.End.IsZero() {
			conds = append(conds, c+")")
		}
	}
	if q.Above != nil {
		conds = append(conds, "u."+col+" > "+arg(*q.Above))
	}
	if q.HighUsage != nil {
		conds = append(conds, sqllist.HighUsageCond("u", *q.HighUsage, arg))
	}
	var lq listUsersQuery
	if q.Search != "" {
		// One pass over the matching users (search.go) serves both the
		// count and the page.
		l := listSpec{Dialect: dialect(),
			From: "m", Alias: "m", Key: "user_id", Cols: sqllist.UserColumns, SortCol: col, Desc: q.Desc,
			After: q.After, Before: q.Before, Limit: max(q.Limit, 0), Offset: max(q.Offset, 0)}
		lq.pageSQL = "WITH " + searchMatchesSQL(q.Search, conds, arg, searchCandidates) + "\n" +
			l.CountedUsersSQL(arg, "p.first_seen", "p.last_seen", ", "+agentsOf)
		lq.pageArgs, lq.counted = args, true
		return lq, nil
	}
	if q.HighUsage != nil {
		// The users above the bounds, wherever the sort puts them (an
		// ascending page would otherwise walk the sort index past most
		// users), read once for the count and the page.
		l := listSpec{Dialect: dialect(),
			From: "m", Alias: "m", Key: "user_id", Cols: sqllist.UserColumns, SortCol: col, Desc: q.Desc,
			After: q.After, Before: q.Before, Limit: max(q.Limit, 0), Offset: max(q.Offset, 0)}
		lq.pageSQL = "WITH m AS MATERIALIZED (SELECT " + sqllist.UserColumns + " FROM users u WHERE " +
			strings.Join(conds, " AND ") + ")\n" + l.CountedUsersSQL(arg, "p.first_seen", "p.last_seen", ", "+agentsOf)
		lq.pageArgs, lq.counted = args, true
		return lq, nil
	}
	switch {
	case q.NoCount:
	case len(conds) == 0:
		// Every user: the count kept by the writers, not a scan.
		lq.countSQL = "SELECT coalesce(sum(n), 0)::int8 FROM row_counts WHERE name = 'users'"
	case len(conds) == 1 && q.Agent != "":
		// One (user, agent) row per user of the agent: an index range, not
		// a join over every user.
		lq.countSQL = "SELECT count(*) FROM user_agents WHERE agent_name = $1"
		lq.countArgs = []any{args[0]}
	default:
		lq.countSQL = "SELECT count(*) FROM users u WHERE " + strings.Join(conds, " AND ")
		lq.countArgs = append([]any(nil), args...)
	}

	// Limit and offset are integers formatted here, not parameters: with a
	// parameter, a cached generic plan assumes a large limit and may give up
	// the index for a full sort of all users.
	l := listSpec{Dialect: dialect(),
		From: "users u", Alias: "u", Key: "user_id", Cols: sqllist.UserColumns, Conds: conds, SortCol: col,
		Desc: q.Desc, After: q.After, Before: q.Before, Limit: max(q.Limit, 0), Offset: max(q.Offset, 0)}
	inner := l.SQL(arg)
	// The agents are computed for the page rows only.
	lq.pageSQL = "SELECT " + sqllist.UserColumns + ", " + agentsOf + " FROM (" + inner + ") p " + l.Order()
	lq.pageArgs = args
	return lq, nil
}

// listCountedUsers runs a CountedUsersSQL statement, passing its users to
// fn, and returns the count (0 when none was asked for).
func (s *Store) listCountedUsers(ctx context.Context, noCount bool, fn func(store.UserSummary) error, sql string,
	args ...any) (int64, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	var n int64
	var id *string
	var u store.UserSummary
	if _, err := pgx.ForEachRow(rows, []any{&n, &id, &u.RunCount, &u.FirstSeen, &u.LastSeen,
		&u.TotalDuration, &u.TotalCost, &u.TotalTokens, &u.Agents}, func() error {
		if id == nil {
			return nil
		}
		u.UserID = *id
		return fn(withAgents(u))
	}); err != nil {
		return 0, err
	}
	if noCount {
		n = 0
	}
	return n, nil
}

func scanUser(rows pgx.Rows) (store.UserSummary, error) {
	var u store.UserSummary
	err := rows.Scan(&u.UserID, &u.RunCount, &u.FirstSeen, &u.LastSeen, &u.TotalDuration, &u.TotalCost,
		&u.TotalTokens, &u.Agents)
	return withAgents(u), err
}

// GetUser returns a user's aggregates, cost by model and most recent runs,
// pipelined in one round trip; store.ErrNotFound if the user is unknown.
func (s *Store) GetUser(ctx context.Context, userID string) (store.UserDetail, error) {
	id := cleanText(userID)
	b := &pgx.Batch{}
	b.Queue("SELECT "+sqllist.UserColumns+", "+agentsOf+" FROM users p WHERE user_id = $1", id)
	b.Queue(`SELECT `+sqllist.ModelCostColumns+` FROM user_models
		WHERE user_id = $1 ORDER BY total_cost DESC, model ASC`, id)
	b.Queue(`SELECT `+sqllist.RunSummaryColumns+`
		FROM runs WHERE user_id = $1 ORDER BY start_ns DESC, id DESC LIMIT $2`, id, int64(store.RecentRuns))
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()

	var d store.UserDetail
	rows, _ := br.Query()
	found := false
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return store.UserDetail{}, fmt.Errorf("cannot get user: %w", err)
		}
		d.Summary, found = u, true
	}
	if err := rows.Err(); err != nil {
		return store.UserDetail{}, fmt.Errorf("cannot get user: %w", err)
	}
	if !found {
		return store.UserDetail{}, store.ErrNotFound
	}
	if err := readUserLists(br, &d); err != nil {
		return store.UserDetail{}, fmt.Errorf("cannot get user: %w", err)
	}
	return d, nil
}

// Verify recomputes every rollup from the runs and calls and returns each
// difference from the stored rollups (none when the store is exact). It reads
// one REPEATABLE READ snapshot, so it is exact also while writers run.
func (s *Store) Verify(ctx context.Context) ([]string, error) {
	var diffs []string
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			want, got, err := loadVerify(ctx, tx)
			if err != nil {
				return err
			}
			if err := loadExtraVerify(ctx, tx, got); err != nil {
				return err
			}
			if err := loadRetired(ctx, tx, want); err != nil {
				return err
			}
			diffs = ledger.Compare(want, got)
			countDiffs, err := verifyRowCounts(ctx, tx)
			if err != nil {
				return err
			}
			diffs = append(diffs, countDiffs...)
			memberDiffs, err := verifyUserSessions(ctx, tx)
			diffs = append(diffs, memberDiffs...)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("cannot verify store: %w", err)
	}
	return diffs, nil
}

func loadVerify(ctx context.Context, tx pgx.Tx) (want, got *ledger.Snapshot, err error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT id, ` + runColumns + ` FROM runs`)
	b.Queue(`SELECT ` + callColumns + ` FROM calls`)
	b.Queue(`SELECT user_id, run_count, total_duration, total_cost, total_tokens, first_seen, last_seen FROM users`)
	b.Queue(`SELECT user_id, model, call_count, unpriced_calls, total_cost, total_tokens FROM user_models`)
	b.Queue(`SELECT user_id, agent_name, run_count FROM user_agents`)
	b.Queue(`SELECT user_id, hour, run_count, total_duration, total_cost, total_tokens FROM user_hours`)
	b.Queue(`SELECT user_id, model, hour, call_count, unpriced_calls, total_cost, total_tokens FROM user_model_hours`)
	br := tx.SendBatch(ctx, b)
	defer br.Close()

	var runs []genai.Run
	rows, _ := br.Query()
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		runs = append(runs, r.Run)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	var calls []genai.Call
	rows, _ = br.Query()
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		calls = append(calls, c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}

	got = ledger.NewSnapshot()
	var (
		user, name string
		hour       int64
		t          ledger.Totals
		u          ledger.UserRow
	)
	steps := []struct {
		dest []any
		add  func()
	}{
		{[]any{&user, &u.Totals.Runs, &u.Totals.Duration, &u.Totals.Cost, &u.Totals.Tokens, &u.FirstSeen, &u.LastSeen},
			func() { got.Users[user] = u }},
		{[]any{&user, &name, &t.Calls, &t.Unpriced, &t.Cost, &t.Tokens},
			func() { got.UserModels[[2]string{user, name}] = t }},
		{[]any{&user, &name, &t.Runs},
			func() { got.UserAgents[[2]string{user, name}] = ledger.Totals{Runs: t.Runs} }},
		{[]any{&user, &hour, &t.Runs, &t.Duration, &t.Cost, &t.Tokens},
			func() {
				got.UserHours[[2]string{user, fmt.Sprint(hour)}] = ledger.Totals{Runs: t.Runs, Duration: t.Duration,
					Cost: t.Cost, Tokens: t.Tokens}
			}},
		{[]any{&user, &name, &hour, &t.Calls, &t.Unpriced, &t.Cost, &t.Tokens},
			func() {
				got.UserModelHours[[3]string{user, name, fmt.Sprint(hour)}] = ledger.Totals{Calls: t.Calls,
					Unpriced: t.Unpriced, Cost: t.Cost, Tokens: t.Tokens}
			}},
	}
	for _, st := range steps {
		t = ledger.Totals{}
		rows, _ := br.Query()
		if _, err := pgx.ForEachRow(rows, st.dest, func() error { st.add(); return nil }); err != nil {
			return nil, nil, err
		}
	}
	if err := br.Close(); err != nil {
		return nil, nil, err
	}
	return ledger.Expected(runs, calls), got, nil
}
