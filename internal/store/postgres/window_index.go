package postgres

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/hourindex"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// hourIndexConfig bounds a replica's hour index: a week at a million users
// is about 720,000 (user, hour) rows, 40 bytes each, and every window kept
// holds 40 bytes per user the index knows (DESIGN.md §8.26).
var hourIndexConfig = hourindex.Config{MaxEntries: 2_000_000, MaxWindows: 3}

// maxIndexedHours is the longest window the hour index serves (31 days);
// longer ones are summed by the database.
const maxIndexedHours = 31 * 24

// indexed reports whether the users' hour index serves the window sp
// (indexable).
func (s *Store) indexed(sp store.Split) bool { return s.hours != nil && indexable(sp) }

// indexable reports whether an hour index serves the window sp: it has
// whole hours, bounded, at most maxIndexedHours of them. A window without
// whole hours is read from the runs alone, which is cheap.
func indexable(sp store.Split) bool {
	return sp.Hours && sp.HoursLo != math.MinInt64 && sp.HoursHi != math.MaxInt64 &&
		(sp.HoursHi-sp.HoursLo)/ledger.HourNanos <= maxIndexedHours
}

// inSnapshot runs fn in one read-only REPEATABLE READ transaction, so that
// the hour versions, the hours reread, the edges and the page rows' runs are
// one state of the database.
func (s *Store) inSnapshot(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// hourSource is what an hour index reads: the hours' versions, their rows
// and a window's edge rows, each row (key, run count, duration, cost,
// tokens).
type hourSource struct {
	ix *hourindex.Index
	// versions selects (hour, version) of the hours [$1, $2), summed over
	// the shards.
	versions string
	// hours selects (hour, key, aggregates) of the hours $1 (an int8
	// array, ascending).
	hours string
	// edges returns the statement of the edge rows of the runs that
	// started in [lo, hi).
	edges func(lo, hi int64) (string, []any)
}

// usersByHour is the users' hour index over user_hours (DESIGN.md §8.26).
func (s *Store) usersByHour() hourSource {
	return hourSource{
		ix: s.hours,
		versions: `SELECT hour, sum(version)::int8 FROM user_hour_versions
			WHERE hour >= $1 AND hour < $2 GROUP BY hour`,
		hours: `SELECT hour, user_id, run_count, total_duration, total_cost, total_tokens
			FROM user_hours WHERE hour = ANY($1::int8[])`,
		edges: func(lo, hi int64) (string, []any) {
			var args []any
			runs := dialect().WindowRuns(store.Split{Lo: lo, Hi: hi}, argList(&args), "user_id <> ''")
			return `SELECT user_id, run_count, total_duration, total_cost, total_tokens FROM (` + runs + `) e`, args
		},
	}
}

// windowView returns the window sp's sums per user (usersByHour).
func (s *Store) windowView(ctx context.Context, tx pgx.Tx, sp store.Split) (*hourindex.View, error) {
	return s.usersByHour().view(ctx, tx, sp)
}

// view returns the window sp's sums per key: whole hours from the hour
// index, the edges from the runs, read with the hours' versions in one
// round trip. The caller releases it.
func (src hourSource) view(ctx context.Context, tx pgx.Tx, sp store.Split) (*hourindex.View, error) {
	b := &pgx.Batch{}
	b.Queue(src.versions, sp.HoursLo, sp.HoursHi)
	for _, e := range [][2]int64{{sp.Lo, sp.HoursLo}, {sp.HoursHi, sp.Hi}} {
		if e[0] < e[1] {
			sql, args := src.edges(e[0], e[1])
			b.Queue(sql, args...)
		}
	}
	br := tx.SendBatch(ctx, b)
	versions, err := scanVersions(br.Query())
	if err != nil {
		br.Close()
		return nil, fmt.Errorf("cannot read hour versions: %w", err)
	}
	var ids []string
	var as []hourindex.Aggs
	for range b.Len() - 1 {
		var id string
		var a hourindex.Aggs
		rows, _ := br.Query()
		if _, err := pgx.ForEachRow(rows, []any{&id, &a.RunCount, &a.TotalDuration, &a.TotalCost, &a.TotalTokens},
			func() error {
				ids, as = append(ids, id), append(as, a)
				return nil
			}); err != nil {
			br.Close()
			return nil, fmt.Errorf("cannot read a window's edge runs: %w", err)
		}
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("cannot read a window's edge runs: %w", err)
	}
	v, err := src.ix.Window(ctx, hourReader{tx, versions, src.hours}, sp.HoursLo, sp.HoursHi)
	if err != nil {
		return nil, err
	}
	v.Add(ids, as)
	return v, nil
}

func scanVersions(rows pgx.Rows, err error) (map[int64]int64, error) {
	if err != nil {
		return nil, err
	}
	out := map[int64]int64{}
	var h, v int64
	_, err = pgx.ForEachRow(rows, []any{&h, &v}, func() error {
		out[h] = v
		return nil
	})
	return out, err
}

// hourReader reads an hour source's rows in a transaction, with the
// versions read before in it.
type hourReader struct {
	tx       pgx.Tx
	versions map[int64]int64
	hours    string
}

func (r hourReader) Versions(context.Context, int64, int64) (map[int64]int64, error) {
	return r.versions, nil
}

func (r hourReader) Hours(ctx context.Context, hours []int64, fn func(int64, string, hourindex.Aggs)) error {
	rows, _ := r.tx.Query(ctx, r.hours, hours)
	var h int64
	var id string
	var a hourindex.Aggs
	_, err := pgx.ForEachRow(rows, []any{&h, &id, &a.RunCount, &a.TotalDuration, &a.TotalCost, &a.TotalTokens},
		func() error {
			fn(h, id, a)
			return nil
		})
	return err
}

// windowExtremes fills each user's first and last run start in [lo, hi)
// and agents, which the hourly rollups do not hold.
func windowExtremes(ctx context.Context, tx pgx.Tx, users []store.UserSummary, lo, hi int64) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]string, len(users))
	for i := range users {
		ids[i] = users[i].UserID
	}
	first, last := sqllist.WindowExtremes(false, "$2", "$3")
	rows, _ := tx.Query(ctx, `SELECT `+first+`, `+last+`, `+windowAgentsOf("p.user_id", "$2", "$3")+`
		FROM unnest($1::text[]) WITH ORDINALITY AS p(user_id, i) ORDER BY p.i`, ids, lo, hi)
	i := 0
	var firstNs, lastNs int64
	var agents []string
	_, err := pgx.ForEachRow(rows, []any{&firstNs, &lastNs, &agents}, func() error {
		u := &users[i]
		u.FirstSeen, u.LastSeen, u.Agents = firstNs, lastNs, agents
		*u = withAgents(*u)
		agents = nil
		i++
		return nil
	})
	return err
}

// listUsersIndexed is listUsersWindow for a page the hour index serves
// (indexedList).
func (s *Store) listUsersIndexed(ctx context.Context, q store.UserQuery, col string, fn func(store.UserSummary) error) (int64, error) {
	return s.pageFromIndex(ctx, q, fn, func(_ pgx.Tx, v *hourindex.View) ([]store.UserSummary, int64, error) {
		return v.Page(hourindex.PageQuery{Field: col, Desc: q.Desc, Above: q.Above, Keep: keepUsers(q),
			After: q.After, Before: q.Before, Offset: max(q.Offset, 0), Limit: max(q.Limit, 0)})
	})
}

// pageFromIndex runs read on the hour index's view of q's window, passes
// the page it returns to fn with its users' first and last runs and agents
// in the window, all in one snapshot, and returns read's count (0 with
// q.NoCount).
func (s *Store) pageFromIndex(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error,
	read func(tx pgx.Tx, v *hourindex.View) ([]store.UserSummary, int64, error)) (int64, error) {
	lo, hi := store.Bounds(q.Start, q.End)
	var page []store.UserSummary
	var n int64
	err := s.inSnapshot(ctx, func(tx pgx.Tx) error {
		v, err := s.windowView(ctx, tx, store.SplitWindow(lo, hi))
		if err != nil {
			return err
		}
		page, n, err = read(tx, v)
		v.Release()
		if err != nil {
			return err
		}
		return windowExtremes(ctx, tx, page, lo, hi)
	})
	if err != nil {
		return 0, err
	}
	for _, u := range page {
		if err := fn(u); err != nil {
			return 0, err
		}
	}
	if q.NoCount {
		n = 0
	}
	return n, nil
}

// indexedList reports whether the hour index serves the windowed list q
// sorted by col: a page (an export reads its extremes in one pass over the
// window's runs instead) of a window the index serves, sorted by a rollup's
// field, without the search and agent filters (which need the users' rows
// and runs).
func (s *Store) indexedList(q store.UserQuery, col string) bool {
	lo, hi := store.Bounds(q.Start, q.End)
	paged := q.Limit > 0 || q.Offset > 0 || q.After != nil || q.Before != nil
	return paged && q.Search == "" && q.Agent == "" && hourindex.Sortable(col) && s.indexed(store.SplitWindow(lo, hi))
}

// keepUsers is the index's form of q's HighUsage filter.
func keepUsers(q store.UserQuery) func(hourindex.Aggs) bool {
	if q.HighUsage == nil {
		return nil
	}
	b := *q.HighUsage
	return func(a hourindex.Aggs) bool { return a.RunCount > b.RunCount || a.TotalTokens > b.Tokens }
}
