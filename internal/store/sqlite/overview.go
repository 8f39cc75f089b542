package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// Overview returns the totals of the runs that started in [q.Start, q.End):
// whole hours from the run_hours and model_hours rollups, the edges from the
// runs and their calls; unique and top users as the windowed users list
// computes them; new users from the users(first_seen) index.
func (s *Store) Overview(ctx context.Context, q store.OverviewQuery) (store.Overview, error) {
	lo, hi := store.Bounds(q.Start, q.End)
	sp := store.SplitWindow(lo, hi)
	var out store.Overview

	var tArgs, mArgs []any
	totals := dialect().OverviewTotals(sp, argList(&tArgs))
	models := dialect().OverviewModels(sp, argList(&mArgs))
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, totals, tArgs...).
			Scan(&out.RunCount, &out.UserRuns, &out.TotalDuration, &out.TotalCost, &out.TotalTokens); err != nil {
			return err
		}
		if err := each(ctx, tx, models, mArgs, appendModelCost(&out.CostByModel)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE first_seen >= ? AND first_seen < ?`, lo, hi).
			Scan(&out.NewUsers)
	})
	if err != nil {
		return store.Overview{}, fmt.Errorf("sqlite: cannot read overview: %w", err)
	}
	if err := s.overviewUsers(ctx, q, lo, hi, &out); err != nil {
		return store.Overview{}, fmt.Errorf("sqlite: cannot read overview: %w", err)
	}
	return out, nil
}

// overviewUsers fills the unique users, top users and outliers of the
// overview: all time from the users table, for a window from one pass over
// the window's users shared by the count and every list.
func (s *Store) overviewUsers(ctx context.Context, q store.OverviewQuery, lo, hi int64, out *store.Overview) error {
	if lo == math.MinInt64 && hi == math.MaxInt64 {
		return store.FillLifetimeOverviewUsers(ctx, s, q, out)
	}
	var args []any
	arg := argList(&args)
	stmt := dialect().WindowOverviewUsers(q, lo, hi, arg, nil, "")
	lists := out.Lists()
	return s.readTx(ctx, func(tx *sql.Tx) error {
		if err := each(ctx, tx, stmt, args,
			func(rows *sql.Rows) error {
				var list, n int64
				var id sql.NullString
				var u store.UserSummary
				if err := rows.Scan(&list, &n, &id, &u.RunCount, &u.FirstSeen, &u.LastSeen, &u.TotalDuration,
					&u.TotalCost, &u.TotalTokens); err != nil {
					return err
				}
				if list == 0 {
					out.UniqueUsers = n
					return nil
				}
				u.UserID = id.String
				l := lists[list-1].Dst
				*l = append(*l, u)
				return nil
			}); err != nil {
			return err
		}
		for _, l := range lists {
			store.SortDesc(*l.Dst, l.Field)
		}
		// The outliers need no agents (store.Overview.HighRunCount).
		return loadWindowAgents(ctx, tx, out.TopUsers, lo, hi)
	})
}

// UsageStats returns the median, MAD and mean absolute deviation of the
// run counts and token totals of a population of users (see store.StatsQuery).
func (s *Store) UsageStats(ctx context.Context, q store.StatsQuery) (store.UsageStats, error) {
	var args []any
	pop := `SELECT run_count, total_tokens FROM users`
	if q.Window {
		lo, hi := store.Bounds(q.Start, q.End)
		pop, _ = dialect().WindowAgg(store.SplitWindow(lo, hi), argList(&args), "user_id <> ''")
		pop = `SELECT run_count, total_tokens FROM (` + pop + `)`
	}
	var runs, tokens []int64
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		return each(ctx, tx, pop, args, func(rows *sql.Rows) error {
			var r, t int64
			err := rows.Scan(&r, &t)
			runs, tokens = append(runs, r), append(tokens, t)
			return err
		})
	})
	if err != nil {
		return store.UsageStats{}, fmt.Errorf("sqlite: cannot compute usage statistics: %w", err)
	}
	return store.UsageStats{Users: int64(len(runs)), RunCount: store.DistOf(runs), TotalTokens: store.DistOf(tokens)}, nil
}
