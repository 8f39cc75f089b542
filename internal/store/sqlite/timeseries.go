package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// maxTimeseriesBuckets bounds the number of buckets one query may ask for
// (about eleven years of hours), so a careless range cannot allocate
// without bound.
const maxTimeseriesBuckets = 100_000

const (
	hourNanos = int64(3600) * 1e9
	dayNanos  = 24 * hourNanos
)

// UserTimeseries returns a user's totals per UTC hour or day bucket over
// [q.Start, q.End), from the user_hours and user_model_hours rollups. Start
// is rounded down to a bucket boundary; every bucket that starts before End
// is present, empty ones as zeros. Rollups are hourly, so an hour row counts
// when the hour starts before End. Unknown users give store.ErrNotFound.
func (s *Store) UserTimeseries(ctx context.Context, q store.TimeseriesQuery) ([]store.Point, error) {
	buckets, err := newTimeBuckets(q)
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
		if len(buckets.points) == 0 {
			return nil
		}
		lo, hi := buckets.hourRange()
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
			if p := buckets.at(hour); p != nil {
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
			buckets.addModel(hour, store.ModelPoint{Model: model, CallCount: calls, TotalCost: cost, TotalTokens: tokens})
		}
		return rows.Err()
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("sqlite: user %q: %w", q.UserID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: cannot read user timeseries: %w", err)
	}
	return buckets.finish(), nil
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

// timeBuckets is the zero-filled series of one TimeseriesQuery.
type timeBuckets struct {
	start, width, end int64
	points            []store.Point
}

func newTimeBuckets(q store.TimeseriesQuery) (*timeBuckets, error) {
	var width int64
	switch q.Bucket {
	case store.BucketHour:
		width = hourNanos
	case store.BucketDay:
		width = dayNanos
	default:
		return nil, fmt.Errorf("unknown bucket %q (want %q or %q)", q.Bucket, store.BucketHour, store.BucketDay)
	}
	if q.Start.IsZero() || q.End.IsZero() {
		return nil, errors.New("start and end are required")
	}
	start := floorTo(q.Start.UnixNano(), width)
	if start > q.Start.UnixNano() {
		return nil, errors.New("start is out of range")
	}
	end := q.End.UnixNano()
	b := &timeBuckets{start: start, width: width, end: end}
	if end <= start {
		return b, nil
	}
	span := end - start // negative when it overflows
	n := span / width
	if span%width != 0 {
		n++
	}
	if span < 0 || n > maxTimeseriesBuckets {
		return nil, fmt.Errorf("too many buckets: at most %d", maxTimeseriesBuckets)
	}
	b.points = make([]store.Point, n)
	for i := range b.points {
		b.points[i].T = start + int64(i)*width
	}
	return b, nil
}

// hourRange is the [lo, hi) range of hour rows that fall into the buckets.
func (b *timeBuckets) hourRange() (lo, hi int64) { return b.start, b.end }

// at returns the bucket holding the hour starting at hour, or nil.
func (b *timeBuckets) at(hour int64) *store.Point {
	if hour < b.start || hour >= b.end {
		return nil
	}
	i := (hour - b.start) / b.width
	if i >= int64(len(b.points)) {
		return nil
	}
	return &b.points[i]
}

// addModel adds one hour of one model's usage to its bucket.
func (b *timeBuckets) addModel(hour int64, m store.ModelPoint) {
	p := b.at(hour)
	if p == nil {
		return
	}
	for i := range p.Models {
		if p.Models[i].Model == m.Model {
			p.Models[i].CallCount += m.CallCount
			p.Models[i].TotalCost += m.TotalCost
			p.Models[i].TotalTokens += m.TotalTokens
			return
		}
	}
	p.Models = append(p.Models, m)
}

// finish sorts each bucket's models by name and returns the points
// (never nil).
func (b *timeBuckets) finish() []store.Point {
	for i := range b.points {
		ms := b.points[i].Models
		sort.Slice(ms, func(x, y int) bool { return ms[x].Model < ms[y].Model })
	}
	if b.points == nil {
		return []store.Point{}
	}
	return b.points
}

// floorTo rounds t down to a multiple of width (also for negative t).
func floorTo(t, width int64) int64 {
	r := t % width
	if r < 0 {
		r += width
	}
	return t - r
}
