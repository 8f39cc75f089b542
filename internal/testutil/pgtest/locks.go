package pgtest

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// LockWaits returns how many sessions of q's database wait for a lock, for
// tests that hold one and poll until the statements behind it queue up (or
// are gone).
func LockWaits(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
	return n, err
}
