package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
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
	targ, marg := argList(&tArgs), argList(&mArgs)
	edgeTotals := func(lo, hi int64) string {
		return `SELECT count(*) AS rc, coalesce(sum(user_id <> ''), 0) AS ur, sum(max(end_ns - start_ns, 0)) AS d,
			sum(cost_nanos) AS c, sum(input_tokens + output_tokens) AS k
			FROM runs WHERE start_ns >= ` + targ(lo) + ` AND start_ns < ` + targ(hi)
	}
	edgeModels := func(lo, hi int64) string {
		return `SELECT model, 1 AS n, cost_source = 'unpriced' AS u, cost_nanos AS c, input_tokens + output_tokens AS k
			FROM calls WHERE run_start_ns >= ` + marg(lo) + ` AND run_start_ns < ` + marg(hi)
	}
	var tParts, mParts []string
	if sp.Hours {
		tParts = append(tParts, `SELECT sum(run_count) AS rc, sum(user_runs) AS ur, sum(total_duration) AS d,
			sum(total_cost) AS c, sum(total_tokens) AS k FROM run_hours WHERE hour >= `+targ(sp.HoursLo)+
			` AND hour < `+targ(sp.HoursHi))
		mParts = append(mParts, `SELECT model, call_count AS n, unpriced_calls AS u, total_cost AS c, total_tokens AS k
			FROM model_hours WHERE hour >= `+marg(sp.HoursLo)+` AND hour < `+marg(sp.HoursHi))
		if sp.Lo < sp.HoursLo {
			tParts = append(tParts, edgeTotals(sp.Lo, sp.HoursLo))
			mParts = append(mParts, edgeModels(sp.Lo, sp.HoursLo))
		}
		if sp.HoursHi < sp.Hi {
			tParts = append(tParts, edgeTotals(sp.HoursHi, sp.Hi))
			mParts = append(mParts, edgeModels(sp.HoursHi, sp.Hi))
		}
	} else {
		tParts = append(tParts, edgeTotals(sp.Lo, sp.Hi))
		mParts = append(mParts, edgeModels(sp.Lo, sp.Hi))
	}
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(rc), 0), coalesce(sum(ur), 0), coalesce(sum(d), 0),
			coalesce(sum(c), 0), coalesce(sum(k), 0) FROM (`+strings.Join(tParts, " UNION ALL ")+`)`, tArgs...).
			Scan(&out.RunCount, &out.UserRuns, &out.TotalDuration, &out.TotalCost, &out.TotalTokens); err != nil {
			return err
		}
		if err := each(ctx, tx, `SELECT model, sum(c) AS cost, sum(k), sum(n), sum(u) FROM (`+
			strings.Join(mParts, " UNION ALL ")+`) GROUP BY model HAVING sum(n) <> 0 OR sum(c) <> 0 OR sum(k) <> 0
			ORDER BY cost DESC, model ASC`, mArgs, appendModelCost(&out.CostByModel)); err != nil {
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
	agg, exact := dialect().WindowAgg(store.SplitWindow(lo, hi), arg, "user_id <> ''")
	loA, hiA := arg(lo), arg(hi)
	first, last := sqllist.WindowExtremes(exact, loA, hiA)
	stmt := sqllist.OverviewUsers{Agg: agg, First: first, Last: last, Zero: "0"}.SQL(q, arg)
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
			if err := loadWindowAgents(ctx, tx, *l.Dst, lo, hi); err != nil {
				return err
			}
		}
		return nil
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
