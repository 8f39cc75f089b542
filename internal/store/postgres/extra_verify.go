package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store/ledger"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// loadExtraVerify reads the session and hour rollups into got.
func loadExtraVerify(ctx context.Context, tx pgx.Tx, got *ledger.Snapshot) error {
	b := &pgx.Batch{}
	b.Queue(`SELECT session_id, run_count, total_duration, total_cost, total_tokens, first_seen, last_seen FROM sessions`)
	b.Queue(`SELECT hour, run_count, user_runs, total_duration, total_cost, total_tokens FROM run_hours`)
	b.Queue(`SELECT model, hour, call_count, unpriced_calls, total_cost, total_tokens FROM model_hours`)
	br := tx.SendBatch(ctx, b)
	defer br.Close()

	var (
		id       string
		u        ledger.UserRow
		hour, ur int64
		t        ledger.Totals
	)
	rows, _ := br.Query()
	if _, err := pgx.ForEachRow(rows, []any{&id, &u.Totals.Runs, &u.Totals.Duration, &u.Totals.Cost, &u.Totals.Tokens,
		&u.FirstSeen, &u.LastSeen}, func() error {
		got.Sessions[id] = u
		return nil
	}); err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	rows, _ = br.Query()
	if _, err := pgx.ForEachRow(rows, []any{&hour, &t.Runs, &ur, &t.Duration, &t.Cost, &t.Tokens}, func() error {
		got.AddHourRow(hour, t, ur)
		return nil
	}); err != nil {
		return fmt.Errorf("run_hours: %w", err)
	}
	t = ledger.Totals{}
	rows, _ = br.Query()
	if _, err := pgx.ForEachRow(rows, []any{&id, &hour, &t.Calls, &t.Unpriced, &t.Cost, &t.Tokens}, func() error {
		got.AddModelHourRow(id, hour, t)
		return nil
	}); err != nil {
		return fmt.Errorf("model_hours: %w", err)
	}
	return br.Close()
}

// verifyRowCounts compares the row_counts of users and sessions with the
// rows those tables hold, checks that every hour of user_hours and of runs
// has a version, and that user_first_hours counts the users first seen in each
// hour.
func verifyRowCounts(ctx context.Context, tx pgx.Tx) ([]string, error) {
	var diffs []string
	for _, name := range []string{"users", "sessions"} {
		var counted, actual int64
		// name is one of the two constants above.
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(n), 0)::int8, (SELECT count(*) FROM `+name+`)
			FROM row_counts WHERE name = $1`, name).Scan(&counted, &actual); err != nil {
			return nil, fmt.Errorf("row_counts: %w", err)
		}
		if counted != actual {
			diffs = append(diffs, fmt.Sprintf("row_counts %s: got %d, want %d", name, counted, actual))
		}
	}
	// Every hour with rows must have a version, or a replica's hour index
	// would not know it is part of a window.
	var hour int64
	for _, v := range []struct{ table, hours string }{
		{"user_hour_versions", `SELECT DISTINCT hour FROM user_hours`},
		{"run_hour_versions", `SELECT DISTINCT waxell_hour_of(start_ns) FROM runs`},
	} {
		// The names are the constants above.
		rows, _ := tx.Query(ctx, v.hours+` EXCEPT SELECT hour FROM `+v.table+` ORDER BY 1`)
		if _, err := pgx.ForEachRow(rows, []any{&hour}, func() error {
			diffs = append(diffs, fmt.Sprintf("%s: hour %d has no version", v.table, hour))
			return nil
		}); err != nil {
			return nil, fmt.Errorf("%s: %w", v.table, err)
		}
	}
	// The users first seen in each hour, as the triggers on users keep them.
	rows, _ := tx.Query(ctx, `SELECT coalesce(k.hour, u.hour), coalesce(k.n, 0), coalesce(u.n, 0)
		FROM (SELECT hour, sum(n)::int8 AS n FROM user_first_hours GROUP BY hour HAVING sum(n) <> 0) k
		FULL JOIN (SELECT waxell_hour_of(first_seen) AS hour, count(*) AS n FROM users GROUP BY 1) u
			ON k.hour = u.hour
		WHERE k.n IS DISTINCT FROM u.n ORDER BY 1`)
	var kept, counted int64
	if _, err := pgx.ForEachRow(rows, []any{&hour, &kept, &counted}, func() error {
		diffs = append(diffs, fmt.Sprintf("user_first_hours: hour %d: got %d users, want %d", hour, kept, counted))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("user_first_hours: %w", err)
	}
	return diffs, nil
}

// verifyUserSessions compares user_sessions with what runs and sessions
// make of it (sqllist.UserSessionsDiffsSQL).
func verifyUserSessions(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, _ := tx.Query(ctx, sqllist.UserSessionsDiffsSQL())
	var diffs []string
	var session, user, g, w string
	if _, err := pgx.ForEachRow(rows, []any{&session, &user, &g, &w}, func() error {
		diffs = append(diffs, sqllist.UserSessionsDiff(session, user, g, w))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("user_sessions: %w", err)
	}
	return diffs, nil
}
