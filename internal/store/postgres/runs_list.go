package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// ListRuns returns one page of runs and how many match q.
func (s *Store) ListRuns(ctx context.Context, q store.RunQuery) (store.RunPage, error) {
	rows, n, err := store.Collect(ctx, q, s.eachRun)
	if err != nil {
		return store.RunPage{}, fmt.Errorf("cannot list runs: %w", err)
	}
	return store.RunPage{Runs: rows, Count: n}, nil
}

// EachRun calls fn with every run matching q's filters, in q's order
// (q.Unpaged), as one statement reads them. fn runs while the statement's
// rows are open, holding a connection: it must not wait on anything slow.
// An error from fn ends the read and is returned, wrapped.
func (s *Store) EachRun(ctx context.Context, q store.RunQuery, fn func(store.RunSummary) error) error {
	if _, err := s.eachRun(ctx, q.Unpaged(), fn); err != nil {
		return fmt.Errorf("cannot export runs: %w", err)
	}
	return nil
}

// eachRun passes the runs of q's page to fn and returns how many runs
// match (0 with q.NoCount).
func (s *Store) eachRun(ctx context.Context, q store.RunQuery, fn func(store.RunSummary) error) (int64, error) {
	var args []any
	l := sqllist.Runs(dialect(), q, cleanText(q.UserID), cleanText(q.SessionID), cleanText(q.Agent), argList(&args))
	rows, _ := s.pool.Query(ctx, l.Page, args...)
	var n int64
	var r store.RunSummary
	seen := false
	if _, err := pgx.ForEachRow(rows, append([]any{&n}, runSummaryDest(&r)...), func() error {
		seen = true
		return fn(r)
	}); err != nil {
		return 0, err
	}
	if !seen && !q.NoCount {
		if err := s.pool.QueryRow(ctx, "SELECT "+l.Count, args[:l.CountArgs]...).Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, nil
}
