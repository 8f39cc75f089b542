package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// UsageStats returns the median, MAD and mean absolute deviation of the
// run counts and token totals of a population of users: every user
// (lifetime aggregates) or every user with a run in the window (window
// aggregates). It reads every user of the population; callers cache it.
func (s *Store) UsageStats(ctx context.Context, q store.StatsQuery) (store.UsageStats, error) {
	var args []any
	arg := argList(&args)
	pop := `SELECT run_count, total_tokens FROM users`
	if q.Window {
		lo, hi := store.Bounds(q.Start, q.End)
		sp := store.SplitWindow(lo, hi)
		if s.indexed(sp) {
			return s.usageStatsIndexed(ctx, sp)
		}
		pop, _ = dialect().WindowAgg(sp, arg, "user_id <> ''")
	}
	sql := `WITH w AS MATERIALIZED (SELECT run_count, total_tokens FROM (` + pop + `) p),
		m AS (SELECT count(*) AS n,
			coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY run_count), 0) AS mr,
			coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY total_tokens), 0) AS mt FROM w)
		SELECT m.n, m.mr, m.mt,
			coalesce((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(w.run_count - m.mr)) FROM w), 0),
			coalesce((SELECT avg(abs(w.run_count - m.mr)) FROM w), 0),
			coalesce((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(w.total_tokens - m.mt)) FROM w), 0),
			coalesce((SELECT avg(abs(w.total_tokens - m.mt)) FROM w), 0)
		FROM m`
	var st store.UsageStats
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&st.Users, &st.RunCount.Median, &st.TotalTokens.Median,
		&st.RunCount.MAD, &st.RunCount.MeanAD, &st.TotalTokens.MAD, &st.TotalTokens.MeanAD); err != nil {
		return store.UsageStats{}, fmt.Errorf("cannot compute usage statistics: %w", err)
	}
	return st, nil
}

// usageStatsIndexed is UsageStats of the users of a window the hour index
// serves.
func (s *Store) usageStatsIndexed(ctx context.Context, sp store.Split) (store.UsageStats, error) {
	var st store.UsageStats
	err := s.inSnapshot(ctx, func(tx pgx.Tx) error {
		v, err := s.windowView(ctx, tx, sp)
		if err != nil {
			return err
		}
		st = v.Stats()
		v.Release()
		return nil
	})
	if err != nil {
		return store.UsageStats{}, fmt.Errorf("cannot compute usage statistics: %w", err)
	}
	return st, nil
}
