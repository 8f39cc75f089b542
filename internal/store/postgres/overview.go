package postgres

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/hourindex"
)

// Overview returns the totals of the runs that started in [q.Start, q.End):
// whole hours from the run_hours and model_hours rollups, the edges from the
// runs and their calls; unique users, top users and outliers as the
// windowed users list computes them (the hour index when it serves the
// window); new users from user_first_hours and the users(first_seen) index.
func (s *Store) Overview(ctx context.Context, q store.OverviewQuery) (store.Overview, error) {
	lo, hi := store.Bounds(q.Start, q.End)
	sp := store.SplitWindow(lo, hi)
	var out store.Overview
	// One connection at a time: a read holds one query slot, and the slots
	// must leave ingest a connection (api.max_concurrent_queries).
	if err := s.overviewTotals(ctx, sp, &out); err != nil {
		return store.Overview{}, fmt.Errorf("cannot read overview: %w", err)
	}
	if err := s.overviewUsers(ctx, q, lo, hi, &out); err != nil {
		return store.Overview{}, fmt.Errorf("cannot read overview: %w", err)
	}
	return out, nil
}

// overviewTotals fills the totals, cost by model and new users of sp.
func (s *Store) overviewTotals(ctx context.Context, sp store.Split, out *store.Overview) error {
	var tArgs, mArgs []any
	totals := dialect().OverviewTotals(sp, argList(&tArgs))
	models := dialect().OverviewModels(sp, argList(&mArgs))
	b := &pgx.Batch{}
	b.Queue(totals, tArgs...)
	b.Queue(models, mArgs...)
	queueNewUsers(b, sp)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	if err := br.QueryRow().Scan(&out.RunCount, &out.UserRuns, &out.TotalDuration, &out.TotalCost,
		&out.TotalTokens); err != nil {
		return err
	}
	var err error
	if out.CostByModel, err = readModelCosts(br); err != nil {
		return err
	}
	if err := br.QueryRow().Scan(&out.NewUsers); err != nil {
		return err
	}
	return br.Close()
}

// queueNewUsers queues the count of users first seen in sp: all of them
// from row_counts; a window's whole hours from user_first_hours and its
// edges from the users(first_seen) index, so that a week costs two index
// ranges of minutes rather than every user first seen in it.
func queueNewUsers(b *pgx.Batch, sp store.Split) {
	const seen = `SELECT count(*) FROM users WHERE first_seen >= $1 AND first_seen < $2`
	switch {
	case sp.Lo == math.MinInt64 && sp.Hi == math.MaxInt64:
		b.Queue(`SELECT coalesce(sum(n), 0)::int8 FROM row_counts WHERE name = 'users'`)
	case !sp.Hours:
		b.Queue(seen, sp.Lo, sp.Hi)
	default:
		b.Queue(`SELECT (`+seen+`) + (SELECT count(*) FROM users WHERE first_seen >= $3 AND first_seen < $4)
			+ (SELECT coalesce(sum(n), 0)::int8 FROM user_first_hours WHERE hour >= $2 AND hour < $3)`,
			sp.Lo, sp.HoursLo, sp.HoursHi, sp.Hi)
	}
}

// overviewUsers fills the unique users, top users and outliers of the
// overview. All time, they come from the users table and its indexes; for a
// window, from one pass over the window's users (the costly part of an
// overview) shared by the count and every list.
func (s *Store) overviewUsers(ctx context.Context, q store.OverviewQuery, lo, hi int64, out *store.Overview) error {
	if lo == math.MinInt64 && hi == math.MaxInt64 {
		return store.FillLifetimeOverviewUsers(ctx, s, q, out)
	}
	if s.indexed(store.SplitWindow(lo, hi)) {
		return s.overviewUsersIndexed(ctx, q, lo, hi, out)
	}
	var args []any
	arg := argList(&args)
	agents := func(loA, hiA string) string { return windowAgentsOf("p.user_id", loA, hiA) }
	stmt := dialect().WindowOverviewUsers(q, lo, hi, arg, agents, "'{}'::text[]")
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

// overviewUsersIndexed is overviewUsers for a window the hour index serves:
// its lists in one pass over the window's users (or from its rankings), the
// top users' extremes in one read.
func (s *Store) overviewUsersIndexed(ctx context.Context, q store.OverviewQuery, lo, hi int64, out *store.Overview) error {
	top, outliers := q.OverviewLists()
	aboves := []*int64{nil, q.RunCountAbove, q.TokensAbove}
	var qs []hourindex.PageQuery
	var dsts []*[]store.UserSummary
	for i, l := range out.Lists() {
		limit := top
		if i > 0 {
			if aboves[i] == nil {
				continue
			}
			limit = outliers
		}
		qs = append(qs, hourindex.PageQuery{Field: l.Field, Desc: true, Above: aboves[i], Limit: limit})
		dsts = append(dsts, l.Dst)
	}
	return s.inSnapshot(ctx, func(tx pgx.Tx) error {
		v, err := s.windowView(ctx, tx, store.SplitWindow(lo, hi))
		if err != nil {
			return err
		}
		rs, err := v.Pages(qs...)
		v.Release()
		if err != nil {
			return err
		}
		out.UniqueUsers = rs[0].Count
		for i, r := range rs {
			*dsts[i] = r.Users
		}
		// The outliers need no extremes (Overview.HighRunCount).
		return windowExtremes(ctx, tx, out.TopUsers, lo, hi)
	})
}
