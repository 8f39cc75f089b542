package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// UserTimeseries returns a user's totals per UTC hour or day bucket over
// [q.Start, q.End), from the user_hours and user_model_hours rollups. Start
// is rounded down to a bucket boundary; every bucket that starts before End
// is present, empty ones as zeros. Rollups are hourly, so an hour row counts
// when the hour starts before End. Unknown users give store.ErrNotFound.
// The three queries are pipelined in one round trip.
func (s *Store) UserTimeseries(ctx context.Context, q store.TimeseriesQuery) ([]store.Point, error) {
	buckets, err := store.NewTimeBuckets(q)
	if err != nil {
		return nil, fmt.Errorf("cannot read user timeseries: %w", err)
	}
	id := cleanText(q.UserID)
	lo, hi := buckets.HourRange()
	b := &pgx.Batch{}
	b.Queue(`SELECT 1 FROM users WHERE user_id = $1`, id)
	b.Queue(`SELECT hour, run_count, total_duration, total_cost, total_tokens
		FROM user_hours WHERE user_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour`, id, lo, hi)
	b.Queue(`SELECT model, hour, call_count, total_cost, total_tokens
		FROM user_model_hours WHERE user_id = $1 AND hour >= $2 AND hour < $3`, id, lo, hi)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()

	var one int32
	if err := br.QueryRow().Scan(&one); errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("user %q: %w", q.UserID, store.ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("cannot read user timeseries: %w", err)
	}
	rows, _ := br.Query()
	var hour, runs, dur, cost, tokens int64
	if _, err := pgx.ForEachRow(rows, []any{&hour, &runs, &dur, &cost, &tokens}, func() error {
		if p := buckets.At(hour); p != nil {
			p.RunCount += runs
			p.TotalDuration += dur
			p.TotalCost += cost
			p.TotalTokens += tokens
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("cannot read user timeseries: %w", err)
	}
	rows, _ = br.Query()
	var m store.ModelPoint
	if _, err := pgx.ForEachRow(rows, []any{&m.Model, &hour, &m.CallCount, &m.TotalCost, &m.TotalTokens}, func() error {
		buckets.AddModel(hour, m)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("cannot read user timeseries: %w", err)
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("cannot read user timeseries: %w", err)
	}
	return buckets.Finish(), nil
}

// ListAgents returns the distinct agent names of user_agents, sorted in
// byte order (COLLATE "C"). It walks the (agent_name, user_id) index one
// name at a time (a loose index scan), so its cost grows with the number of
// agents, not with the number of users.
func (s *Store) ListAgents(ctx context.Context) ([]string, error) {
	rows, _ := s.pool.Query(ctx, `WITH RECURSIVE a(name) AS (
			(SELECT agent_name FROM user_agents ORDER BY agent_name LIMIT 1)
			UNION ALL
			SELECT (SELECT u.agent_name FROM user_agents u WHERE u.agent_name > a.name ORDER BY u.agent_name LIMIT 1)
			FROM a WHERE a.name IS NOT NULL
		)
		SELECT name FROM a WHERE name IS NOT NULL`)
	agents, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("cannot list agents: %w", err)
	}
	return agents, nil
}
