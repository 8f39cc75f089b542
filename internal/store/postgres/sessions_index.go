package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// sessionsByHour is the sessions' hour index: the sessions with runs
// starting in each hour, read from the runs themselves (a session has about
// one run per hour, so a rollup would be as large) and versioned by
// run_hour_versions (migration 0012, DESIGN.md §8.28). Only the run count
// is summed: a windowed sessions list shows the sessions' lifetime
// aggregates and needs the window for its count alone.
func (s *Store) sessionsByHour() hourSource {
	return hourSource{
		ix: s.sessionHours,
		versions: `SELECT hour, sum(version)::int8 FROM run_hour_versions
			WHERE hour >= $1 AND hour < $2 GROUP BY hour`,
		hours: `SELECT h.hour, r.session_id, r.n, 0::int8, 0::int8, 0::int8
			FROM unnest($1::int8[]) AS h(hour), LATERAL (SELECT session_id, count(*)::int8 AS n FROM runs
				WHERE start_ns >= h.hour AND start_ns < h.hour + 3600000000000 AND session_id <> ''
				GROUP BY session_id) r`,
		edges: func(lo, hi int64) (string, []any) {
			return `SELECT session_id, count(*)::int8, 0::int8, 0::int8, 0::int8 FROM runs
				WHERE start_ns >= $1 AND start_ns < $2 AND session_id <> '' GROUP BY session_id`, []any{lo, hi}
		},
	}
}

// sessionCountIndexed reports whether the sessions' hour index counts q's
// sessions, and over which window: a counted list filtered by a window the
// index serves and by nothing else.
func (s *Store) sessionCountIndexed(q store.SessionQuery) (store.Split, bool) {
	if s.sessionHours == nil || q.NoCount || q.UserID != "" || q.Agent != "" || (q.Start.IsZero() && q.End.IsZero()) {
		return store.Split{}, false
	}
	sp := store.SplitWindow(store.Bounds(q.Start, q.End))
	return sp, indexable(sp)
}

// sessionCount counts the distinct sessions with a run that started in sp,
// in tx's snapshot.
func (s *Store) sessionCount(ctx context.Context, tx pgx.Tx, sp store.Split) (int64, error) {
	v, err := s.sessionsByHour().view(ctx, tx, sp)
	if err != nil {
		return 0, err
	}
	defer v.Release()
	return int64(v.Len()), nil
}
