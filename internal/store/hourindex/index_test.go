package hourindex

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// fakeDB is a Reader over an in-memory table of hourly rows.
type fakeDB struct {
	rows     map[int64]map[string]Aggs
	versions map[int64]int64
	loads    []int64 // hours read, in order
	fail     error
}

func newFakeDB() *fakeDB {
	return &fakeDB{rows: map[int64]map[string]Aggs{}, versions: map[int64]int64{}}
}

func (db *fakeDB) put(hour int64, user string, a Aggs) {
	if db.rows[hour] == nil {
		db.rows[hour] = map[string]Aggs{}
	}
	x := db.rows[hour][user]
	x.add(a)
	db.rows[hour][user] = x
	db.versions[hour]++
}

func (db *fakeDB) Versions(_ context.Context, lo, hi int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	for h, v := range db.versions {
		if h >= lo && h < hi {
			out[h] = v
		}
	}
	return out, nil
}

func (db *fakeDB) Hours(_ context.Context, hours []int64, fn func(int64, string, Aggs)) error {
	if db.fail != nil {
		return db.fail
	}
	for _, h := range hours {
		db.loads = append(db.loads, h)
		for u, a := range db.rows[h] {
			fn(h, u, a)
		}
	}
	return nil
}

// want sums the table's hours [lo, hi) per user.
func (db *fakeDB) want(lo, hi int64) map[string]Aggs {
	out := map[string]Aggs{}
	for h, us := range db.rows {
		if h < lo || h >= hi {
			continue
		}
		for u, a := range us {
			x := out[u]
			x.add(a)
			out[u] = x
		}
	}
	return out
}

func sumsOf(s *View) map[string]Aggs {
	out := map[string]Aggs{}
	ids := s.ix.idTable()
	s.each(func(u uint32, a Aggs) { out[ids[u]] = a })
	return out
}

func randomDB(r *rand.Rand, hours, users, rows int) *fakeDB {
	db := newFakeDB()
	for range rows {
		// Ids with commas, quotes and shared prefixes sort by bytes.
		u := fmt.Sprintf("u,%q-%d", "x", r.IntN(users))
		db.put(int64(r.IntN(hours)), u, Aggs{1 + r.Int64N(3), r.Int64N(5), r.Int64N(4), r.Int64N(6)})
	}
	return db
}

func TestWindowSumsFollowVersions(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	db := randomDB(r, 48, 300, 3000)
	ix := New(Config{MaxEntries: 1 << 20, MaxWindows: 2})

	s, err := ix.Window(ctx, db, 5, 30)
	require.NoError(t, err)
	require.Equal(t, db.want(5, 30), sumsOf(s))
	s.Release()
	require.Len(t, db.loads, 25)

	// Unchanged hours are not read again.
	db.loads = nil
	s, err = ix.Window(ctx, db, 10, 20)
	require.NoError(t, err)
	require.Equal(t, db.want(10, 20), sumsOf(s))
	s.Release()
	require.Empty(t, db.loads)

	// A write to an hour (a new user, and more for a known one) is read
	// again, and only that hour.
	db.put(12, "new user", Aggs{1, 2, 3, 4})
	db.put(12, "u,\"x\"-7", Aggs{2, 2, 2, 2})
	db.loads = nil
	s, err = ix.Window(ctx, db, 10, 20)
	require.NoError(t, err)
	require.Equal(t, db.want(10, 20), sumsOf(s))
	require.Equal(t, []int64{12}, db.loads)

	// Edges add to the sums; released sums come back empty.
	s.Add([]string{"new user", "edge only"}, []Aggs{{1, 1, 1, 1}, {1, 0, 0, 0}})
	w := db.want(10, 20)
	w["new user"] = Aggs{2, 3, 4, 5}
	w["edge only"] = Aggs{1, 0, 0, 0}
	require.Equal(t, w, sumsOf(s))
	require.Equal(t, len(w), s.Len())
	s.Release()

	// The edges are gone from the window's sums after the read.
	s, err = ix.Window(ctx, db, 10, 20)
	require.NoError(t, err)
	require.Equal(t, db.want(10, 20), sumsOf(s))
	require.Equal(t, len(db.want(10, 20)), s.Len())
	s.Release()
}

func TestWindowEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	db := newFakeDB()
	for h := range int64(10) {
		for u := range 10 {
			db.put(h, fmt.Sprint(u), Aggs{RunCount: 1})
		}
	}
	ix := New(Config{MaxEntries: 50, MaxWindows: 2})
	s, err := ix.Window(ctx, db, 0, 10) // a window larger than the cache
	require.NoError(t, err)
	require.Equal(t, db.want(0, 10), sumsOf(s))
	s.Release()
	hours, entries, _ := ix.Cached()
	require.LessOrEqual(t, entries, 50)
	require.Equal(t, 5, hours)

	s, err = ix.Window(ctx, db, 0, 3)
	require.NoError(t, err)
	s.Release()
	_, entries, _ = ix.Cached()
	require.LessOrEqual(t, entries, 50)
	db.loads = nil
	s, err = ix.Window(ctx, db, 0, 3) // just used: still cached
	require.NoError(t, err)
	require.Equal(t, db.want(0, 3), sumsOf(s))
	s.Release()
	require.Empty(t, db.loads)
}

func TestWindowFollowsRunsLeaving(t *testing.T) {
	ctx := context.Background()
	db := newFakeDB()
	db.put(1, "a", Aggs{2, 2, 2, 2})
	db.put(2, "a", Aggs{1, 1, 1, 1})
	db.put(2, "b", Aggs{1, 1, 1, 1})
	ix := New(Config{MaxEntries: 100, MaxWindows: 1})
	read := func(lo, hi int64) map[string]Aggs {
		s, err := ix.Window(ctx, db, lo, hi)
		require.NoError(t, err)
		defer s.Release()
		got := sumsOf(s)
		require.Equal(t, len(got), s.Len())
		return got
	}
	require.Equal(t, db.want(0, 3), read(0, 3))
	// b's run moves to an earlier hour outside the window (its row of hour
	// 2 is deleted), a's count of hour 1 goes down.
	delete(db.rows[2], "b")
	db.versions[2]++
	db.rows[1]["a"] = Aggs{1, 1, 1, 1}
	db.versions[1]++
	require.Equal(t, map[string]Aggs{"a": {2, 2, 2, 2}}, read(0, 3))
	// A second window evicts the first (MaxWindows 1); both stay exact.
	require.Equal(t, db.want(2, 3), read(2, 3))
	_, _, windows := ix.Cached()
	require.Equal(t, 1, windows)
	require.Equal(t, db.want(0, 3), read(0, 3))
}

func TestWindowReadError(t *testing.T) {
	db := newFakeDB()
	db.put(1, "a", Aggs{RunCount: 1})
	db.fail = errors.New("boom")
	_, err := New(Config{MaxEntries: 100, MaxWindows: 2}).Window(context.Background(), db, 0, 5)
	require.ErrorContains(t, err, "cannot read hourly rollups: boom")
}

// referencePage pages the window's users by sorting all of them.
func referencePage(all map[string]Aggs, q PageQuery) ([]store.UserSummary, int64) {
	f, _ := fieldOf(q.Field)
	var us []store.UserSummary
	for u, a := range all {
		if (q.Above != nil && a.field(f) <= *q.Above) || (q.Keep != nil && !q.Keep(a)) {
			continue
		}
		us = append(us, store.UserSummary{UserID: u, RunCount: a.RunCount, TotalDuration: a.TotalDuration,
			TotalCost: a.TotalCost, TotalTokens: a.TotalTokens})
	}
	key := func(u store.UserSummary) Aggs {
		return Aggs{u.RunCount, u.TotalDuration, u.TotalCost, u.TotalTokens}
	}
	cmp := func(a, b store.UserSummary) int {
		ka, kb := key(a), key(b)
		va, vb := ka.field(f), kb.field(f)
		c := 0
		switch {
		case va < vb:
			c = -1
		case va > vb:
			c = 1
		default:
			c = strings.Compare(a.UserID, b.UserID)
		}
		if q.Desc {
			c = -c
		}
		return c
	}
	slices.SortFunc(us, cmp)
	n := int64(len(us))
	at := func(c *store.Cursor) store.UserSummary {
		// A row at the cursor's position, for comparisons.
		var x store.UserSummary
		x.UserID = c.ID
		switch q.Field {
		case store.SortRunCount:
			x.RunCount = c.Value
		case store.SortTotalDuration:
			x.TotalDuration = c.Value
		case store.SortTotalCost:
			x.TotalCost = c.Value
		default:
			x.TotalTokens = c.Value
		}
		return x
	}
	var page []store.UserSummary
	switch {
	case q.Before != nil:
		c := at(q.Before)
		var before []store.UserSummary
		for _, u := range us {
			if cmp(u, c) < 0 {
				before = append(before, u)
			}
		}
		page = before[max(0, len(before)-q.Limit):]
	case q.After != nil:
		c := at(q.After)
		for _, u := range us {
			if cmp(u, c) > 0 {
				page = append(page, u)
			}
		}
	default:
		page = us[min(q.Offset, len(us)):]
	}
	if q.Limit > 0 && len(page) > q.Limit {
		page = page[:q.Limit]
	}
	return page, n
}

func TestPageMatchesSortedList(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	db := randomDB(r, 24, 400, 2500) // small values: many ties
	ix := New(Config{MaxEntries: 1 << 20, MaxWindows: 2})
	s, err := ix.Window(ctx, db, 0, 24)
	require.NoError(t, err)
	defer s.Release()
	all := db.want(0, 24)
	ids := make([]string, 0, len(all))
	for u := range all {
		ids = append(ids, u)
	}
	slices.Sort(ids)
	fields := []string{store.SortRunCount, store.SortTotalDuration, store.SortTotalCost, store.SortTotalTokens}
	var qs []PageQuery
	var wants []PageResult
	for i := range 400 {
		q := PageQuery{Field: fields[r.IntN(4)], Desc: r.IntN(2) == 0, Limit: r.IntN(30), Offset: r.IntN(50)}
		if r.IntN(3) == 0 {
			above := r.Int64N(8)
			q.Keep = func(a Aggs) bool { return a.RunCount > above || a.TotalTokens > above+3 }
		}
		if r.IntN(3) == 0 {
			above := r.Int64N(10)
			q.Above = &above
		}
		switch r.IntN(4) {
		case 0:
			q.After = &store.Cursor{Value: r.Int64N(12), ID: ids[r.IntN(len(ids))]}
		case 1:
			q.Before = &store.Cursor{Value: r.Int64N(12), ID: ids[r.IntN(len(ids))]}
			q.Limit = 1 + r.IntN(30)
		}
		got, n, err := s.Page(q)
		require.NoError(t, err)
		want, wn := referencePage(all, q)
		qs, wants = append(qs, q), append(wants, PageResult{Users: want, Count: wn})
		require.Equal(t, wn, n, "query %d %+v", i, q)
		if len(want) == 0 {
			require.Empty(t, got, "query %d %+v", i, q)
			continue
		}
		require.Equal(t, want, got, "query %d %+v", i, q)
	}
	// One pass answers all the queries at once, as each alone.
	got, err := s.Pages(qs...)
	require.NoError(t, err)
	require.Equal(t, wants, got)
	_, _, err = s.Page(PageQuery{Field: store.SortLastSeen})
	require.ErrorContains(t, err, `sort field "last_seen" has no hourly rollup`)
}

func TestStats(t *testing.T) {
	db := newFakeDB()
	for i, a := range []Aggs{{1, 0, 0, 10}, {2, 0, 0, 20}, {9, 0, 0, 30}, {4, 0, 0, 1000}} {
		db.put(int64(i%2), fmt.Sprint(i), a)
	}
	s, err := New(Config{MaxEntries: 100, MaxWindows: 2}).Window(context.Background(), db, 0, 2)
	require.NoError(t, err)
	defer s.Release()
	require.Equal(t, store.UsageStats{Users: 4, RunCount: store.DistOf([]int64{1, 2, 9, 4}),
		TotalTokens: store.DistOf([]int64{10, 20, 30, 1000})}, s.Stats())
}

func TestWindowWaitEndsWithContext(t *testing.T) {
	db := newFakeDB()
	db.put(1, "a", Aggs{RunCount: 1})
	ix := New(Config{MaxEntries: 100, MaxWindows: 2})
	v, err := ix.Window(context.Background(), db, 0, 5)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = ix.Window(ctx, db, 0, 5) // the window is in use
	require.ErrorIs(t, err, context.Canceled)
	v.Release()
	v, err = ix.Window(context.Background(), db, 0, 5)
	require.NoError(t, err)
	require.Equal(t, 1, v.Len())
	v.Release()
}

// TestPagesFollowEdgesAndChangedHours reads one window over and over while
// its hours change (or not, so that cached rankings are reused) and each
// read adds its own edges, a few or many (so that a ranking is too short
// and rebuilt); every page equals a sorted reference.
func TestPagesFollowEdgesAndChangedHours(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(8, 9))
	user := func(n int) string { return fmt.Sprintf("u,%q-%d", "x", r.IntN(n)) }
	aggs := func() Aggs { return Aggs{1 + r.Int64N(3), r.Int64N(5), r.Int64N(4), r.Int64N(6)} }
	db := randomDB(r, 24, 3000, 9000)
	ix := New(Config{MaxEntries: 1 << 20, MaxWindows: 2})
	fields := []string{store.SortRunCount, store.SortTotalDuration, store.SortTotalCost, store.SortTotalTokens}
	for round := range 40 {
		if round%3 == 1 {
			for range 1 + r.IntN(30) {
				db.put(int64(r.IntN(24)), user(3300), aggs())
			}
			// Runs leaving: a row gone.
			for h, us := range db.rows {
				for u := range us {
					delete(us, u)
					db.versions[h]++
					break
				}
				break
			}
		}
		v, err := ix.Window(ctx, db, 0, 24)
		require.NoError(t, err)
		all := db.want(0, 24)
		edges := r.IntN(40)
		if round%4 == 3 {
			edges = 2500
		}
		var us []string
		var as []Aggs
		for range edges {
			u, a := user(3600), aggs()
			us, as = append(us, u), append(as, a)
			x := all[u]
			x.add(a)
			all[u] = x
		}
		v.Add(us, as)
		require.Equal(t, all, sumsOf(v), "round %d", round)
		require.Equal(t, len(all), v.Len(), "round %d", round)
		for i := range 25 {
			q := PageQuery{Field: fields[r.IntN(4)], Desc: r.IntN(2) == 0, Limit: 1 + r.IntN(30), Offset: r.IntN(40)}
			if r.IntN(2) == 0 {
				above := r.Int64N(12)
				q.Above = &above
			}
			got, n, err := v.Page(q)
			require.NoError(t, err)
			want, wn := referencePage(all, q)
			require.Equal(t, wn, n, "round %d query %d %+v", round, i, q)
			if len(want) == 0 {
				require.Empty(t, got, "round %d query %d %+v", round, i, q)
				continue
			}
			require.Equal(t, want, got, "round %d query %d %+v", round, i, q)
		}
		v.Release()
	}
}

func TestSums(t *testing.T) {
	db := newFakeDB()
	db.put(1, "a", Aggs{2, 2, 2, 2})
	db.put(2, "b", Aggs{1, 1, 1, 1})
	v, err := New(Config{MaxEntries: 100, MaxWindows: 1}).Window(context.Background(), db, 0, 3)
	require.NoError(t, err)
	defer v.Release()
	v.Add([]string{"b", "c"}, []Aggs{{1, 0, 0, 5}, {1, 1, 1, 1}})
	require.Equal(t, []Aggs{{2, 2, 2, 2}, {2, 1, 1, 6}, {1, 1, 1, 1}, {}},
		v.Sums([]string{"a", "b", "c", "nobody"}))
}
