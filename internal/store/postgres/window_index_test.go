package postgres

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// TestHourIndexFollowsOtherReplicas reads windows through one store (a
// replica with its hour index) while another writes into the window's
// hours, shuffled so that runs move between hours and users as their spans
// arrive; after every batch each read equals the same read summed by the
// database (a store without the index).
func TestHourIndexFollowsOtherReplicas(t *testing.T) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	dsn := pgtest.NewDatabase(t)
	reader, writer, plain := openStore(t, dsn), openStore(t, dsn), openStore(t, dsn)
	defer reader.Close()
	defer writer.Close()
	defer plain.Close()
	plain.hours, plain.sessionHours = nil, nil

	tr := newTraffic(seed, 30)
	spans := tr.traces(0, 1500)
	r := rand.New(rand.NewPCG(seed, 7))
	r.Shuffle(len(spans), func(i, j int) { spans[i], spans[j] = spans[j], spans[i] })

	day := int64(24 * time.Hour)
	windows := [][2]int64{
		{tr.base + 2*day + int64(30*time.Minute), tr.base + 5*day + int64(17*time.Minute)}, // edges at both ends
		{tr.base + 3*day, tr.base + 4*day},                                                 // whole hours only
	}
	above := int64(2)
	check := func(step int) {
		for _, w := range windows {
			start, end := time.Unix(0, w[0]), time.Unix(0, w[1])
			for _, q := range []store.UserQuery{
				{Sort: store.SortTotalCost, Desc: true, Limit: 7},
				{Sort: store.SortRunCount, Limit: 5, Offset: 3},
				{Sort: store.SortTotalTokens, Desc: true, Limit: 4, After: &store.Cursor{Value: 5000, ID: "user-0010"}},
				{Sort: store.SortTotalDuration, Limit: 4, Before: &store.Cursor{Value: 60e9, ID: "user-0020"}},
				{Sort: store.SortRunCount, Desc: true, Limit: 50, Above: &above},
				{Sort: store.SortTotalCost, Desc: true, Limit: 50, HighUsage: &store.UsageBounds{RunCount: 3, Tokens: 4000}},
				// By last run, from the runs' start index (recentUsers).
				{Sort: store.SortLastSeen, Desc: true, Limit: 6},
				{Sort: store.SortLastSeen, Desc: true, Limit: 4, Offset: 5},
				{Sort: store.SortLastSeen, Desc: true, Limit: 5, After: &store.Cursor{Value: (w[0] + w[1]) / 2, ID: "user-0012"}},
				{Sort: store.SortLastSeen, Desc: true, Limit: 500},
			} {
				q.Window, q.Start, q.End = true, start, end
				got, err := reader.ListUsers(ctx, q)
				require.NoError(t, err)
				want, err := plain.ListUsers(ctx, q)
				require.NoError(t, err)
				require.Equal(t, want, got, "step %d window %v query %+v", step, w, q)
			}
			// The next page by last run after a page's last row, as a
			// client pages.
			first, err := plain.ListUsers(ctx, store.UserQuery{Window: true, Start: start, End: end,
				Sort: store.SortLastSeen, Desc: true, Limit: 3})
			require.NoError(t, err)
			if len(first.Users) == 3 {
				last := first.Users[2]
				q := store.UserQuery{Window: true, Start: start, End: end, Sort: store.SortLastSeen, Desc: true,
					Limit: 4, After: &store.Cursor{Value: last.LastSeen, ID: last.UserID}}
				got, err := reader.ListUsers(ctx, q)
				require.NoError(t, err)
				want, err := plain.ListUsers(ctx, q)
				require.NoError(t, err)
				require.Equal(t, want, got, "step %d window %v next page", step, w)
			}
			oq := store.OverviewQuery{Start: start, End: end, RunCountAbove: &above, TokensAbove: &above}
			got, err := reader.Overview(ctx, oq)
			require.NoError(t, err)
			want, err := plain.Overview(ctx, oq)
			require.NoError(t, err)
			require.Equal(t, want, got, "step %d window %v overview", step, w)
			for _, q := range []store.SessionQuery{
				{Sort: store.SortLastSeen, Desc: true, Limit: 5},
				{Sort: store.SortTotalCost, Desc: true, Limit: 3, Offset: 2},
				{Sort: store.SortRunCount, Limit: 4},
			} {
				q.Start, q.End = start, end
				got, err := reader.ListSessions(ctx, q)
				require.NoError(t, err)
				want, err := plain.ListSessions(ctx, q)
				require.NoError(t, err)
				require.Equal(t, want, got, "step %d window %v sessions %+v", step, w, q)
			}
			// The sessions' count comes from their hour index and the
			// edges: counted here from the runs themselves.
			var sessions int64
			require.NoError(t, reader.pool.QueryRow(ctx, `SELECT count(DISTINCT session_id) FROM runs
				WHERE start_ns >= $1 AND start_ns < $2 AND session_id <> ''`, w[0], w[1]).Scan(&sessions))
			page, err := reader.ListSessions(ctx, store.SessionQuery{Start: start, End: end, Limit: 1})
			require.NoError(t, err)
			require.Equal(t, sessions, page.Count, "step %d window %v sessions", step, w)
			// New users come from user_first_hours and the edges: counted
			// here from the runs themselves.
			var newUsers int64
			require.NoError(t, reader.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT user_id FROM runs
				WHERE user_id <> '' GROUP BY user_id HAVING min(start_ns) >= $1 AND min(start_ns) < $2) f`,
				w[0], w[1]).Scan(&newUsers))
			require.Equal(t, newUsers, got.NewUsers, "step %d window %v new users", step, w)
			sq := store.StatsQuery{Window: true, Start: start, End: end}
			gotStats, err := reader.UsageStats(ctx, sq)
			require.NoError(t, err)
			wantStats, err := plain.UsageStats(ctx, sq)
			require.NoError(t, err)
			require.Equal(t, wantStats.Users, gotStats.Users, "step %d", step)
			require.InDelta(t, wantStats.RunCount.Median, gotStats.RunCount.Median, 1e-9)
			require.InDelta(t, wantStats.TotalTokens.MAD, gotStats.TotalTokens.MAD, 1e-9)
		}
	}
	step := 0
	for b := range slices.Chunk(spans, len(spans)/8+1) {
		for c := range slices.Chunk(b, 60) {
			_, err := writer.ApplySpans(ctx, c)
			require.NoError(t, err)
		}
		check(step)
		step++
	}
	_, _, windows2 := reader.hours.Cached()
	require.Equal(t, 2, windows2, "the reader's windows came from its hour index")
	_, _, windows2 = reader.sessionHours.Cached()
	require.Equal(t, 2, windows2, "the reader's sessions counts came from their hour index")
	var users int64
	require.NoError(t, reader.pool.QueryRow(ctx, `SELECT count(DISTINCT user_id) FROM runs
		WHERE start_ns >= $1 AND start_ns < $2 AND user_id <> ''`, windows[0][0], windows[0][1]).Scan(&users))
	require.Greater(t, users, int64(10), "the window is not trivial")
	diffs, err := writer.Verify(ctx)
	require.NoError(t, err)
	require.Empty(t, diffs)
}
