package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// querier is a connection or a pool.
type querier interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}

// LockWaits returns how many sessions of q's database wait for a lock, for
// tests that hold one and poll until the statements behind it queue up (or
// are gone).
func LockWaits(ctx context.Context, q querier) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
	return n, err
}

// WaitForLockWaits polls LockWaits until cond holds of it, and fails tb
// with what when that takes more than 30 seconds.
func WaitForLockWaits(tb testing.TB, q querier, what string, cond func(waiting int) bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := LockWaits(context.Background(), q)
		if err != nil {
			tb.Fatalf("cannot count the sessions waiting for a lock: %v", err)
		}
		if cond(n) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: %d sessions wait for a lock", what, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
