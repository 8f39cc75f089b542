package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// ListRuns returns one page of runs and how many match q.
func (s *Store) ListRuns(ctx context.Context, q store.RunQuery) (store.RunPage, error) {
	rows, n, err := store.Collect(ctx, q, s.eachRun)
	if err != nil {
		return store.RunPage{}, fmt.Errorf("sqlite: cannot list runs: %w", err)
	}
	return store.RunPage{Runs: rows, Count: n}, nil
}

// EachRun calls fn with every run matching q's filters, in q's order
// (q.Unpaged), as one statement reads them in one read transaction. fn runs
// inside the transaction: it must not wait on anything slow. An error from
// fn ends the read and is returned, wrapped.
func (s *Store) EachRun(ctx context.Context, q store.RunQuery, fn func(store.RunSummary) error) error {
	if _, err := s.eachRun(ctx, q.Unpaged(), fn); err != nil {
		return fmt.Errorf("sqlite: cannot export runs: %w", err)
	}
	return nil
}

// eachRun passes the runs of q's page to fn and returns how many runs
// match (0 with q.NoCount).
func (s *Store) eachRun(ctx context.Context, q store.RunQuery, fn func(store.RunSummary) error) (int64, error) {
	var args []any
	l := sqllist.Runs(dialect(), q, q.UserID, q.SessionID, q.Agent, argList(&args))
	var n int64
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		seen := false
		if err := each(ctx, tx, l.Page, args, func(rows *sql.Rows) error {
			var r store.RunSummary
			if err := scanRunSummary(rows, &r, &n); err != nil {
				return err
			}
			seen = true
			return fn(r)
		}); err != nil {
			return err
		}
		if !seen && !q.NoCount {
			return tx.QueryRowContext(ctx, "SELECT "+l.Count, args[:l.CountArgs]...).Scan(&n)
		}
		return nil
	})
	return n, err
}
