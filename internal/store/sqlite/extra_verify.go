package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

// loadExtraSnapshot reads the session and hour rollups into got.
func loadExtraSnapshot(ctx context.Context, tx *sql.Tx, got *ledger.Snapshot) error {
	if err := each(ctx, tx, `SELECT session_id, run_count, total_duration, total_cost, total_tokens, first_seen, last_seen FROM sessions`,
		nil, func(rows *sql.Rows) error {
			var id string
			var u ledger.UserRow
			err := rows.Scan(&id, &u.Totals.Runs, &u.Totals.Duration, &u.Totals.Cost, &u.Totals.Tokens, &u.FirstSeen, &u.LastSeen)
			got.Sessions[id] = u
			return err
		}); err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	if err := each(ctx, tx, `SELECT hour, run_count, user_runs, total_duration, total_cost, total_tokens FROM run_hours`,
		nil, func(rows *sql.Rows) error {
			var hour, userRuns int64
			var t ledger.Totals
			if err := rows.Scan(&hour, &t.Runs, &userRuns, &t.Duration, &t.Cost, &t.Tokens); err != nil {
				return err
			}
			got.AddHourRow(hour, t, userRuns)
			return nil
		}); err != nil {
		return fmt.Errorf("run_hours: %w", err)
	}
	if err := each(ctx, tx, `SELECT model, hour, call_count, unpriced_calls, total_cost, total_tokens FROM model_hours`,
		nil, func(rows *sql.Rows) error {
			var model string
			var hour int64
			var t ledger.Totals
			if err := rows.Scan(&model, &hour, &t.Calls, &t.Unpriced, &t.Cost, &t.Tokens); err != nil {
				return err
			}
			got.AddModelHourRow(model, hour, t)
			return nil
		}); err != nil {
		return fmt.Errorf("model_hours: %w", err)
	}
	return nil
}
