package postgres

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// Overview returns the totals of the runs that started in [q.Start, q.End):
// whole hours from the run_hours and model_hours rollups, the edges from the
// runs and their calls; unique users and top users by cost as the windowed
// users list computes them (so its cost grows with the users active in the
// window); new users from the users(first_seen) index.
func (s *Store) Overview(ctx context.Context, q store.OverviewQuery) (store.Overview, error) {
	lo, hi := store.Bounds(q.Start, q.End)
	sp := store.SplitWindow(lo, hi)
	var out store.Overview

	var tArgs []any
	targ := argList(&tArgs)
	var mArgs []any
	marg := argList(&mArgs)
	edgeTotals := func(lo, hi int64) string {
		return `SELECT count(*) AS rc, count(*) FILTER (WHERE user_id <> '') AS ur,
			sum(greatest(end_ns - start_ns, 0)) AS d, sum(cost_nanos) AS c, sum(input_tokens + output_tokens) AS k
			FROM runs WHERE start_ns >= ` + targ(lo) + ` AND start_ns < ` + targ(hi)
	}
	edgeModels := func(lo, hi int64) string {
		return `SELECT model, 1::int8 AS n, (cost_source = 'unpriced')::int::int8 AS u, cost_nanos AS c,
			input_tokens + output_tokens AS k FROM calls WHERE run_start_ns >= ` + marg(lo) + ` AND run_start_ns < ` + marg(hi)
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
	b := &pgx.Batch{}
	b.Queue(`SELECT coalesce(sum(rc), 0)::int8, coalesce(sum(ur), 0)::int8, coalesce(sum(d), 0)::int8,
		coalesce(sum(c), 0)::int8, coalesce(sum(k), 0)::int8 FROM (`+strings.Join(tParts, " UNION ALL ")+`) t`, tArgs...)
	b.Queue(`SELECT model, sum(c)::int8 AS cost, sum(k)::int8, sum(n)::int8, sum(u)::int8 FROM (`+
		strings.Join(mParts, " UNION ALL ")+`) m GROUP BY model HAVING sum(n) <> 0 OR sum(c) <> 0 OR sum(k) <> 0
		ORDER BY cost DESC, model ASC`, mArgs...)
	if lo == math.MinInt64 && hi == math.MaxInt64 {
		b.Queue(`SELECT coalesce(sum(n), 0)::int8 FROM row_counts WHERE name = 'users'`)
	} else {
		b.Queue(`SELECT count(*) FROM users WHERE first_seen >= $1 AND first_seen < $2`, lo, hi)
	}
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	if err := br.QueryRow().Scan(&out.RunCount, &out.UserRuns, &out.TotalDuration, &out.TotalCost,
		&out.TotalTokens); err != nil {
		return store.Overview{}, fmt.Errorf("cannot read overview: %w", err)
	}
	var err error
	if out.CostByModel, err = readModelCosts(br); err != nil {
		return store.Overview{}, fmt.Errorf("cannot read overview: %w", err)
	}
	if err := br.QueryRow().Scan(&out.NewUsers); err != nil {
		return store.Overview{}, fmt.Errorf("cannot read overview: %w", err)
	}
	if err := br.Close(); err != nil {
		return store.Overview{}, fmt.Errorf("cannot read overview: %w", err)
	}

	if err := s.overviewUsers(ctx, q, lo, hi, &out); err != nil {
		return store.Overview{}, fmt.Errorf("cannot read overview: %w", err)
	}
	return out, nil
}

// overviewUsers fills the unique users, top users and outliers of the
// overview. All time, they come from the users table and its indexes; for a
// window, from one pass over the window's users (the costly part of an
// overview) shared by the count and every list.
func (s *Store) overviewUsers(ctx context.Context, q store.OverviewQuery, lo, hi int64, out *store.Overview) error {
	if lo == math.MinInt64 && hi == math.MaxInt64 {
		return store.FillLifetimeOverviewUsers(ctx, s, q, out)
	}
	var args []any
	arg := argList(&args)
	agg, exact := dialect().WindowAgg(store.SplitWindow(lo, hi), arg, "user_id <> ''")
	loA, hiA := arg(lo), arg(hi)
	first, last := sqllist.WindowExtremes(exact, loA, hiA)
	stmt := sqllist.OverviewUsers{Agg: agg, First: first, Last: last, Zero: "0::int8",
		Agents: windowAgentsOf("p.user_id", loA, hiA), NoAgents: "'{}'::text[]"}.SQL(q, arg)
	lists := out.Lists()
	rows, err := s.pool.Query(ctx, stmt, args...)
	if err != nil {
		return err
	}
	var list int32
	var n int64
	var id *string
	var u store.UserSummary
	_, err = pgx.ForEachRow(rows, []any{&list, &n, &id, &u.RunCount, &u.FirstSeen, &u.LastSeen, &u.TotalDuration,
		&u.TotalCost, &u.TotalTokens, &u.Agents}, func() error {
		if list == 0 {
			out.UniqueUsers = n
			return nil
		}
		u.UserID = *id
		x := u
		x.Agents = slices.Clone(u.Agents)
		if len(x.Agents) == 0 {
			x.Agents = nil
		}
		l := lists[list-1].Dst
		*l = append(*l, x)
		return nil
	})
	if err != nil {
		return err
	}
	// UNION ALL keeps no order: each list is sorted here.
	for _, l := range lists {
		store.SortDesc(*l.Dst, l.Field)
	}
	return nil
}
