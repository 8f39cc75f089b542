package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// sessionUsersOf and sessionAgentsOf are select-list expressions over a
// page row p: the distinct users and agents of the session's runs.
const (
	sessionUsersOf = `coalesce((SELECT array_agg(DISTINCT r.user_id ORDER BY r.user_id) FROM runs r
		WHERE r.session_id = p.session_id AND r.user_id <> ''), '{}')`
	sessionAgentsOf = `coalesce((SELECT array_agg(DISTINCT r.agent_name ORDER BY r.agent_name) FROM runs r
		WHERE r.session_id = p.session_id), '{}')`
)

// ListSessions returns one page of sessions and how many match q. Pages
// are served by the (field, session_id) index of the sort direction, with
// offset or keyset (q.After) pagination; the unfiltered count comes from
// row_counts. Filtered by user, the rows come from user_sessions (migration
// 0008): the user's sessions with a copy of their aggregates, one range of
// its (user_id, last_seen, session_id) index, counted and sorted there.
func (s *Store) ListSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error) {
	rows, n, err := store.Collect(ctx, q, s.eachSession)
	if err != nil {
		return store.SessionPage{}, fmt.Errorf("cannot list sessions: %w", err)
	}
	return store.SessionPage{Sessions: rows, Count: n}, nil
}

// EachSession calls fn with every session matching q's filters, in q's
// order (q.Unpaged), as one statement reads them: one snapshot, so that a
// session updated during the read is neither missed nor passed twice. fn
// runs while the statement's rows are open, holding a connection: it must
// not wait on anything slow. An error from fn ends the read and is
// returned, wrapped.
func (s *Store) EachSession(ctx context.Context, q store.SessionQuery, fn func(store.SessionSummary) error) error {
	if _, err := s.eachSession(ctx, q.Unpaged(), fn); err != nil {
		return fmt.Errorf("cannot export sessions: %w", err)
	}
	return nil
}

// eachSession passes the sessions of q's page to fn and returns how many
// sessions match (0 with q.NoCount).
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
		from, conds = "user_sessions s", []string{"s.user_id = " + arg(cleanText(q.UserID))}
	}
	f := sqllist.SessionConds(q, cleanText(q.Agent), arg)
	conds = append(conds, f.Conds...)
	l := listSpec{Dialect: dialect(),
		From: from, Alias: "s", Key: "session_id", Cols: sqllist.SessionColumns, Conds: conds,
		SortCol: col, Desc: q.Desc, After: q.After, Limit: max(q.Limit, 0), Offset: max(q.Offset, 0)}
	if sp, ok := s.sessionCountIndexed(q); ok {
		// The count from the sessions' hour index, the page in the same
		// snapshot.
		var n int64
		err := s.inSnapshot(ctx, func(tx pgx.Tx) error {
			var err error
			if n, err = s.sessionCount(ctx, tx, sp); err != nil {
				return err
			}
			_, _, err = readSessions(ctx, tx, &l, arg(n)+"::int8", arg, &args, fn)
			return err
		})
		return n, err
	}
	count := sqllist.SessionCount(q, f, &l, "(SELECT coalesce(sum(n), 0)::int8 FROM row_counts WHERE name = 'sessions')")
	countArgs := slices.Clone(args)
	n, seen, err := readSessions(ctx, s.pool, &l, count, arg, &args, fn)
	if err == nil && !seen && !q.NoCount {
		err = s.pool.QueryRow(ctx, "SELECT "+count, countArgs...).Scan(&n)
	}
	return n, err
}

// readSessions reads the page of l, with count as its count column, and
// passes its rows to fn. It returns the count, and whether the page had a
// row (an empty page has no count).
func readSessions(ctx context.Context, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, l *listSpec, count string, arg func(any) string, args *[]any, fn func(store.SessionSummary) error) (int64, bool, error) {
	// The count is a column of every page row.
	pageSQL := l.CountedSQL(arg, count, ", "+sessionUsersOf+", "+sessionAgentsOf)
	rows, _ := db.Query(ctx, pageSQL, *args...)
	var n int64
	var x store.SessionSummary
	seen := false
	_, err := pgx.ForEachRow(rows, append([]any{&n}, sessionDest(&x)...), func() error {
		seen = true
		return fn(normSession(x))
	})
	return n, seen, err
}

func sessionDest(x *store.SessionSummary) []any {
	return []any{&x.SessionID, &x.RunCount, &x.FirstSeen, &x.LastSeen, &x.TotalDuration, &x.TotalCost,
		&x.TotalTokens, &x.Users, &x.Agents}
}

func normSession(x store.SessionSummary) store.SessionSummary {
	if len(x.Users) == 0 {
		x.Users = nil
	}
	if len(x.Agents) == 0 {
		x.Agents = nil
	}
	return x
}

// GetSession returns a session's aggregates and its first
// store.SessionRuns runs, oldest first; store.ErrNotFound if unknown.
func (s *Store) GetSession(ctx context.Context, sessionID string) (store.SessionDetail, error) {
	id := cleanText(sessionID)
	b := &pgx.Batch{}
	b.Queue("SELECT "+sqllist.SessionColumns+", "+sessionUsersOf+", "+sessionAgentsOf+" FROM sessions p WHERE session_id = $1", id)
	b.Queue(`SELECT `+sqllist.RunSummaryColumns+`
		FROM runs WHERE session_id = $1 ORDER BY start_ns ASC, id ASC LIMIT $2`, id, int64(store.SessionRuns))
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	var d store.SessionDetail
	if err := br.QueryRow().Scan(sessionDest(&d.Summary)...); errors.Is(err, pgx.ErrNoRows) {
		return store.SessionDetail{}, fmt.Errorf("session %q: %w", sessionID, store.ErrNotFound)
	} else if err != nil {
		return store.SessionDetail{}, fmt.Errorf("cannot get session: %w", err)
	}
	d.Summary = normSession(d.Summary)
	var err error
	if d.Runs, err = readRunSummaries(br); err != nil {
		return store.SessionDetail{}, fmt.Errorf("cannot get session: %w", err)
	}
	if err := br.Close(); err != nil {
		return store.SessionDetail{}, fmt.Errorf("cannot get session: %w", err)
	}
	return d, nil
}
