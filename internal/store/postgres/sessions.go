package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
)

const sessionColumns = `session_id, run_count, first_seen, last_seen, total_duration, total_cost, total_tokens`

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
// row_counts.
func (s *Store) ListSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error) {
	sortField := q.Sort
	if sortField == "" {
		sortField = store.SortLastSeen
	}
	col, ok := sortColumns[sortField]
	if !ok {
		return store.SessionPage{}, fmt.Errorf("cannot list sessions: unknown sort field %q", q.Sort)
	}
	var args []any
	arg := argList(&args)
	var conds []string
	if q.UserID != "" {
		conds = append(conds, "s.session_id IN (SELECT r.session_id FROM runs r WHERE r.user_id = "+
			arg(cleanText(q.UserID))+")")
	}
	if q.Agent != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM runs r WHERE r.session_id = s.session_id AND r.agent_name = "+
			arg(cleanText(q.Agent))+")")
	}
	if !q.Start.IsZero() || !q.End.IsZero() {
		lo, hi := store.Bounds(q.Start, q.End)
		loA, hiA := arg(lo), arg(hi)
		// first/last seen bound the runs' starts: a cheap necessary
		// condition before the exact probe.
		conds = append(conds, "s.last_seen >= "+loA, "s.first_seen < "+hiA,
			"EXISTS (SELECT 1 FROM runs r WHERE r.session_id = s.session_id AND r.start_ns >= "+loA+
				" AND r.start_ns < "+hiA+")")
	}
	countSQL, countArgs := "", []any(nil)
	switch {
	case q.NoCount:
	case len(conds) == 0:
		countSQL = "SELECT coalesce(sum(n), 0)::int8 FROM row_counts WHERE name = 'sessions'"
	default:
		countSQL = "SELECT count(*) FROM sessions s WHERE " + strings.Join(conds, " AND ")
		countArgs = append([]any(nil), args...)
	}
	l := listSpec{Dialect: dialect(),
		From: "sessions s", Alias: "s", Key: "session_id", Cols: sessionColumns, Conds: conds,
		SortCol: col, Desc: q.Desc, After: q.After, Limit: max(q.Limit, 0), Offset: max(q.Offset, 0)}
	pageSQL := "SELECT " + sessionColumns + ", " + sessionUsersOf + ", " + sessionAgentsOf + " FROM (" + l.SQL(arg) +
		") p " + l.Order()

	b := &pgx.Batch{}
	if countSQL != "" {
		b.Queue(countSQL, countArgs...)
	}
	b.Queue(pageSQL, args...)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	var page store.SessionPage
	if countSQL != "" {
		if err := br.QueryRow().Scan(&page.Count); err != nil {
			return store.SessionPage{}, fmt.Errorf("cannot list sessions: %w", err)
		}
	}
	rows, _ := br.Query()
	var x store.SessionSummary
	if _, err := pgx.ForEachRow(rows, sessionDest(&x), func() error {
		page.Sessions = append(page.Sessions, normSession(x))
		return nil
	}); err != nil {
		return store.SessionPage{}, fmt.Errorf("cannot list sessions: %w", err)
	}
	if err := br.Close(); err != nil {
		return store.SessionPage{}, fmt.Errorf("cannot list sessions: %w", err)
	}
	return page, nil
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
	b.Queue("SELECT "+sessionColumns+", "+sessionUsersOf+", "+sessionAgentsOf+" FROM sessions p WHERE session_id = $1", id)
	b.Queue(`SELECT id, run_key, agent_name, workflow_name, session_id, start_ns, end_ns, error, cost_nanos,
			input_tokens + output_tokens, user_id
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
	rows, _ := br.Query()
	var r store.RunSummary
	if _, err := pgx.ForEachRow(rows, []any{&r.ID, &r.Key, &r.AgentName, &r.WorkflowName, &r.SessionID, &r.Start,
		&r.End, &r.Error, &r.CostNanos, &r.Tokens, &r.UserID}, func() error {
		d.Runs = append(d.Runs, r)
		return nil
	}); err != nil {
		return store.SessionDetail{}, fmt.Errorf("cannot get session: %w", err)
	}
	if err := br.Close(); err != nil {
		return store.SessionDetail{}, fmt.Errorf("cannot get session: %w", err)
	}
	return d, nil
}
