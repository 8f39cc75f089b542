package storetest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// tieUsers are users whose sort values fall in a few large tie groups
// (three start times, one or two runs, two costs), with ids whose byte order
// differs from their case-insensitive order.
func tieUsers() []userSpec {
	var out []userSpec
	for i := range 24 {
		runs := []runSpec{{at(5, 1, i%3, 0), 10, 10, 10, 100, []string{"alpha", "beta"}[i%2]}}
		if i%4 == 0 {
			runs = append(runs, runSpec{at(5, 2, 0, 0), 10, 10, 10, 100, "alpha"})
		}
		out = append(out, userSpec{fmt.Sprintf("%c-%02d", "tT"[i%2], 23-i), runs})
	}
	return out
}

// testBackward pages backwards (UserQuery.Before) through tie-heavy users,
// with and without filters: the page before every position of every sort
// is the rows just before it, in list order, equal to the offset page that
// ends there, and the count is the whole filtered list's.
func testBackward(t *testing.T, o Opener) {
	h := o.open(t)
	specs := append(sortUsers(), tieUsers()...)
	h.apply(all(buildUsers(1000, specs)...))
	users := summaries(specs)
	// matching selects the users for which some run satisfies ok.
	matching := func(ok func(userSpec, runSpec) bool) []store.UserSummary {
		var ids []string
		for _, u := range specs {
			if slices.ContainsFunc(u.runs, func(r runSpec) bool { return ok(u, r) }) {
				ids = append(ids, u.id)
			}
		}
		return pick(users, ids...)
	}
	start, end := at(5, 1, 1, 0), at(5, 2, 0, 0)
	filters := []struct {
		name   string
		q      store.UserQuery
		want   []store.UserSummary
		limits []int
	}{
		{"all", store.UserQuery{}, users, []int{1, 4}},
		{"agent", store.UserQuery{Agent: "alpha"},
			matching(func(_ userSpec, r runSpec) bool { return r.agent == "alpha" }), []int{3}},
		{"search", store.UserQuery{Search: "t-1"},
			matching(func(u userSpec, _ runSpec) bool { return strings.Contains(strings.ToLower(u.id), "t-1") }), []int{3}},
		{"range", store.UserQuery{Start: time.Unix(0, start), End: time.Unix(0, end)},
			matching(func(_ userSpec, r runSpec) bool { return r.start >= start && r.start < end }), []int{3}},
	}
	for _, f := range filters {
		require.Greater(t, len(f.want), 6, f.name)
		for _, field := range store.UserSortFields {
			for _, desc := range []bool{false, true} {
				want := sorted(f.want, field, desc)
				n := len(want)
				// Past the last row: the page before it is the last page.
				past := store.Cursor{Value: math.MaxInt64}
				if desc {
					past.Value = math.MinInt64
				}
				for _, limit := range f.limits {
					for i := 0; i <= n; i++ {
						name := fmt.Sprintf("%s %s desc=%v limit %d before #%d", f.name, field, desc, limit, i)
						cur := past
						if i < n {
							cur = store.Cursor{Value: sortField(want[i], field), ID: want[i].UserID}
						}
						q := f.q
						q.Sort, q.Desc, q.Limit, q.Before = field, desc, limit, &cur
						q.Offset = 2 // ignored with a cursor
						got := h.list(q)
						require.Equal(t, page(want[max(0, i-limit):i], n), got, name)
						if i == 0 {
							continue
						}
						q.Before, q.Offset, q.Limit = nil, max(0, i-limit), min(limit, i)
						require.Equal(t, h.list(q), got, "offset page, "+name)
					}
				}
			}
		}
	}
	// NoCount leaves the count out of a backward page too.
	want := sorted(users, store.SortRunCount, true)
	c := store.Cursor{Value: want[10].RunCount, ID: want[10].UserID}
	got := h.list(store.UserQuery{Sort: store.SortRunCount, Desc: true, Limit: 3, Before: &c, NoCount: true})
	require.Equal(t, page(want[7:10], 0), got)
	h.verify()
}
