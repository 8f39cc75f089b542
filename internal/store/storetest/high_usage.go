package storetest

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// boundsOf returns bounds that some but not all of users are above: the
// median run count and the 75th percentile of tokens.
func boundsOf(users []store.UserSummary) store.UsageBounds {
	runs, tokens := make([]int64, len(users)), make([]int64, len(users))
	for i, u := range users {
		runs[i], tokens[i] = u.RunCount, u.TotalTokens
	}
	slices.Sort(runs)
	slices.Sort(tokens)
	return store.UsageBounds{RunCount: runs[len(runs)/2], Tokens: tokens[len(tokens)*3/4]}
}

func above(users []store.UserSummary, b store.UsageBounds) []store.UserSummary {
	var out []store.UserSummary
	for _, u := range users {
		if u.RunCount > b.RunCount || u.TotalTokens > b.Tokens {
			out = append(out, u)
		}
	}
	return out
}

// testHighUsage: the HighUsage filter keeps the users above either bound,
// in lifetime and windowed lists, counted, in every order, by keyset pages.
func testHighUsage(t *testing.T, e *extHandle) {
	lifetime := values(refUsers(e.f.runs))
	b := boundsOf(lifetime)
	want := above(lifetime, b)
	require.NotEmpty(t, want)
	require.Less(t, len(want), len(lifetime))
	for _, field := range store.UserSortFields {
		for _, desc := range []bool{false, true} {
			q := store.UserQuery{Sort: field, Desc: desc, HighUsage: &b, Limit: 100000}
			require.Equal(t, page(sorted(want, field, desc), len(want)), e.list(q), "lifetime %s desc=%v", field, desc)
			cur := func(u store.UserSummary) store.Cursor { return store.Cursor{Value: sortField(u, field), ID: u.UserID} }
			got := pages(t, 2, func(after *store.Cursor) []store.UserSummary {
				q.Limit, q.After = 2, after
				return e.list(q).Users
			}, cur)
			require.Equal(t, sorted(want, field, desc), got, "lifetime pages %s desc=%v", field, desc)
		}
	}
	// With a search, and with bounds nobody is above.
	got := e.list(store.UserQuery{Search: "W-", Sort: store.SortTotalCost, HighUsage: &b, Limit: 100000})
	var match []store.UserSummary
	for _, u := range want {
		if len(u.UserID) > 1 && u.UserID[:2] == "w-" {
			match = append(match, u)
		}
	}
	require.Equal(t, page(sorted(match, store.SortTotalCost, false), len(match)), got)
	none := store.UsageBounds{RunCount: 1 << 62, Tokens: 1 << 62}
	require.Equal(t, page(nil, 0), e.list(store.UserQuery{HighUsage: &none, Limit: 10}))

	for _, w := range e.windows(10) {
		ref := values(refUsers(e.f.windowOf(w[0], w[1])))
		if len(ref) < 2 {
			continue
		}
		b := boundsOf(ref)
		want := above(ref, b)
		for _, field := range []string{store.SortTotalCost, store.SortFirstSeen} {
			q := store.UserQuery{Start: tsOf(w[0]), End: tsOf(w[1]), Sort: field, Desc: true, HighUsage: &b}
			require.Equal(t, page(sorted(want, field, true), len(want)), e.listWindow(q), "window %v %s", w, field)
			require.Equal(t, sorted(want, field, true), e.eachUser(store.UserQuery{Window: true, Start: q.Start,
				End: q.End, Sort: field, Desc: true, HighUsage: &b}), "window %v %s export", w, field)
		}
	}
}
