package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// UserTimeseries returns a user's totals per UTC hour or day bucket over
// [q.Start, q.End), from the user_hours and user_model_hours rollups. Start
// is rounded down to a bucket boundary; every bucket that starts before End
// is present, empty ones as zeros. Rollups are hourly, so an hour row counts
// when the hour starts before End. Unknown users give store.ErrNotFound.
func (s *Store) UserTimeseries(ctx context.Context, q store.TimeseriesQuery) ([]store.Point, error) {
	buckets, err := store.NewTimeBuckets(q)
	if err != nil {
		return nil, fmt.Errorf("sqlite: cannot read user timeseries: %w", err)
	}
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE user_id = ?`, q.UserID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if buckets.Empty() {
			return nil
		}
		lo, hi := buckets.HourRange()
		rows, err := tx.QueryContext(ctx, `SELECT hour, run_count, total_duration, total_cost, total_tokens
			FROM user_hours WHERE user_id = ? AND hour >= ? AND hour < ? ORDER BY hour`, q.UserID, lo, hi)
		if err != nil {
			return err
		}
		for rows.Next() {
			var hour, runs, dur, cost, tokens int64
			if err := rows.Scan(&hour, &runs, &dur, &cost, &tokens); err != nil {
				_ = rows.Close()
				return err
			}
			if p := buckets.At(hour); p != nil {
				p.RunCount += runs
				p.TotalDuration += dur
				p.TotalCost += cost
				p.TotalTokens += tokens
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}

		rows, err = tx.QueryContext(ctx, `SELECT model, hour, call_count, total_cost, total_tokens
			FROM user_model_hours WHERE user_id = ? AND hour >= ? AND hour < ?`, q.UserID, lo, hi)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var model string
			var hour, calls, cost, tokens int64
			if err := rows.Scan(&model, &hour, &calls, &cost, &tokens); err != nil {
				return err
			}
			buckets.AddModel(hour, store.ModelPoint{Model: model, CallCount: calls, TotalCost: cost, TotalTokens: tokens})
		}
		return rows.Err()
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("sqlite: user %q: %w", q.UserID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: cannot read user timeseries: %w", err)
	}
	return buckets.Finish(), nil
}

// ListAgents returns the distinct agent names of user_agents, sorted in
// byte order. It walks the (agent_name, user_id) index one name at a time
// (a loose index scan), so its cost grows with the number of agents, not
// with the number of users.
func (s *Store) ListAgents(ctx context.Context) ([]string, error) {
	var agents []string
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `WITH RECURSIVE a(name) AS (
				SELECT min(agent_name) FROM user_agents
				UNION ALL
				SELECT (SELECT min(agent_name) FROM user_agents WHERE agent_name > a.name) FROM a WHERE a.name IS NOT NULL
			)
			SELECT name FROM a WHERE name IS NOT NULL`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				return err
			}
			agents = append(agents, name)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: cannot list agents: %w", err)
	}
	return agents, nil
}
