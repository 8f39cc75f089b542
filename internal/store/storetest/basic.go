package storetest

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

func sortStrings(s []string) { sort.Strings(s) }

// sortField is the value of a sort field of a summary.
func sortField(u store.UserSummary, field string) int64 {
	switch field {
	case store.SortLastSeen:
		return u.LastSeen
	case store.SortFirstSeen:
		return u.FirstSeen
	case store.SortRunCount:
		return u.RunCount
	case store.SortTotalCost:
		return u.TotalCost
	case store.SortTotalTokens:
		return u.TotalTokens
	case store.SortTotalDuration:
		return u.TotalDuration
	}
	panic("storetest: unknown sort field " + field)
}

// sorted orders users by field in the given direction, ties by user id
// (byte order) in the same direction.
func sorted(users []store.UserSummary, field string, desc bool) []store.UserSummary {
	out := append([]store.UserSummary(nil), users...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := sortField(out[i], field), sortField(out[j], field)
		if a != b {
			if desc {
				return a > b
			}
			return a < b
		}
		if desc {
			return out[i].UserID > out[j].UserID
		}
		return out[i].UserID < out[j].UserID
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

func page(users []store.UserSummary, count int) store.UserPage {
	if len(users) == 0 {
		users = nil
	}
	return store.UserPage{Users: users, Count: int64(count)}
}

func pick(users []store.UserSummary, ids ...string) []store.UserSummary {
	var out []store.UserSummary
	for _, u := range users {
		for _, id := range ids {
			if u.UserID == id {
				out = append(out, u)
			}
		}
	}
	return out
}

func testApplyExact(t *testing.T, o Opener) {
	h := o.open(t)
	f := newBasicFixture()
	h.apply(f.spans())

	users := basicUsers()
	for _, field := range store.UserSortFields {
		for _, desc := range []bool{false, true} {
			got := h.list(store.UserQuery{Sort: field, Desc: desc})
			require.Equal(t, page(sorted(users, field, desc), 5), got, "sort %s desc=%v", field, desc)
		}
	}
	// One literal ordering, independent of the test's own sorting.
	got := h.list(store.UserQuery{Sort: store.SortLastSeen, Desc: true})
	var ids []string
	for _, u := range got.Users {
		ids = append(ids, u.UserID)
	}
	require.Equal(t, []string{"carol", "bob", "dave", "alice", "eve"}, ids)

	for id, want := range f.details() {
		require.Equal(t, want, zeroRunIDs(t, h.user(id)), "GetUser %s", id)
	}
	h.verify()
}

func testStats(t *testing.T, o Opener) {
	h := o.open(t)
	f := newBasicFixture()
	spans := f.spans()
	require.Len(t, spans, 27)
	st, err := h.s.ApplySpans(context.Background(), spans)
	require.NoError(t, err)
	require.Equal(t, ledger.Stats{Spans: 27, NewSpans: 27, Traces: 8, RunsChanged: 10, CallsChanged: 15}, st)

	st, err = h.s.ApplySpans(context.Background(), spans)
	require.NoError(t, err)
	require.Equal(t, ledger.Stats{Spans: 27, DuplicateSpans: 27}, st)

	st, err = h.s.ApplySpans(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, ledger.Stats{}, st)

	// A duplicate inside one batch of a new trace counts once.
	b := newTrace(100)
	a := b.agent(none, "x", at(0, 1, 0, 0), at(0, 1, 0, 1), user("zed"))
	b.llm(a, "m", at(0, 1, 0, 0), at(0, 1, 0, 1), tok(1, 1), 1, computed)
	st, err = h.s.ApplySpans(context.Background(), append(append(b.spans, b.spans[1]), spans[0]))
	require.NoError(t, err)
	require.Equal(t, ledger.Stats{Spans: 4, NewSpans: 2, Traces: 1, RunsChanged: 1, CallsChanged: 1, DuplicateSpans: 2}, st)
	h.verify()
}

func testNotFound(t *testing.T, o Opener) {
	h := o.open(t)
	h.requireNoUser("alice")
	require.Equal(t, store.UserPage{}, h.list(store.UserQuery{}))
	f := newBasicFixture()
	h.apply(f.spans())
	h.requireNoUser("nobody")
	h.requireNoUser("")
	h.requireNoUser("ALICE") // ids are case-sensitive
	h.requireNoUser("alic")
	h.verify()
}

func testSort(t *testing.T, o Opener) {
	h := o.open(t)
	specs := sortUsers()
	h.apply(all(buildUsers(1000, specs)...))
	users := summaries(specs)
	for _, field := range store.UserSortFields {
		for _, desc := range []bool{false, true} {
			got := h.list(store.UserQuery{Sort: field, Desc: desc})
			require.Equal(t, page(sorted(users, field, desc), len(users)), got, "sort %s desc=%v", field, desc)
		}
	}
	// Literal orders of two fields with ties broken by byte order of user ids,
	// in the sort's direction.
	ids := func(p store.UserPage) []string {
		var out []string
		for _, u := range p.Users {
			out = append(out, u.UserID)
		}
		return out
	}
	require.Equal(t, []string{"u-f", "U-c", "\u00fc-e", "u-d", "u-b", "u-a ", "u-a", "_g", "Z"},
		ids(h.list(store.UserQuery{Sort: store.SortRunCount, Desc: true})))
	require.Equal(t, []string{"u-a ", "\u00fc-e", "_g", "u-a", "u-b", "u-d", "U-c", "Z", "u-f"},
		ids(h.list(store.UserQuery{Sort: store.SortTotalCost})))
	h.verify()
}

func testPagination(t *testing.T, o Opener) {
	h := o.open(t)
	specs := sortUsers()
	h.apply(all(buildUsers(1000, specs)...))
	users := summaries(specs)
	n := len(users)
	for _, field := range store.UserSortFields {
		for _, desc := range []bool{false, true} {
			want := sorted(users, field, desc)
			for _, limit := range []int{1, 2, 4, n, n + 5} {
				for offset := 0; offset <= n+1; offset++ {
					end := min(offset+limit, n)
					var w []store.UserSummary
					if offset < n {
						w = want[offset:end]
					}
					got := h.list(store.UserQuery{Sort: field, Desc: desc, Limit: limit, Offset: offset})
					require.Equal(t, page(w, n), got, "sort %s desc=%v limit %d offset %d", field, desc, limit, offset)
				}
			}
		}
	}
	h.verify()
}

func testSearch(t *testing.T, o Opener) {
	h := o.open(t)
	specs := searchUsers()
	h.apply(all(buildUsers(2000, specs)...))
	users := summaries(specs)
	require.Len(t, searchLong, 300)

	cases := []struct {
		q    string
		want []string
	}{
		{"", nil}, // all
		{"alice", []string{"ALICE-Upper", "alice"}},
		{"ALICE", []string{"ALICE-Upper", "alice"}},
		{"aLiCe-u", []string{"ALICE-Upper"}},
		{"%", []string{"100%", "50%off"}},
		{"%off", []string{"50%off"}},
		{"0%", []string{"100%", "50%off"}},
		{"_", []string{"under_score"}},
		{"under_", []string{"under_score"}},
		{"'", []string{"o'brien"}},
		{"o'b", []string{"o'brien"}},
		{"\"", []string{"o\"quote"}},
		{"/", []string{"a/b/c"}},
		{"b/c", []string{"a/b/c"}},
		{" ", []string{"with space"}},
		{"h s", []string{"with space"}},
		{"\\", []string{"back\\slash"}},
		{"\\s", []string{"back\\slash"}},
		{"\u00fcn\u00ef", []string{"\u00dcn\u00efc\u00f6d\u00e9-\u03a9mega"}},
		{"\u00dcN\u00cf", []string{"\u00dcn\u00efc\u00f6d\u00e9-\u03a9mega"}},
		{"\u03c9mega", []string{"\u00dcn\u00efc\u00f6d\u00e9-\u03a9mega"}},
		{"\u672c", []string{"\u65e5\u672c\u8a9e"}},
		{"middle", []string{searchLong}},
		{"xxxxxmiddleyyyy", []string{searchLong}},
		{searchLong, []string{searchLong}},
		{"x", []string{searchLong, "underXscore"}},
		{"zzz", nil},
		{"*", nil},
		{"[a]", nil},
		{"o\"q", []string{"o\"quote"}},
	}
	for _, c := range cases {
		var want []store.UserSummary
		if c.q == "" {
			want = users
		} else {
			want = pick(users, c.want...)
		}
		want = sorted(want, store.SortRunCount, false)
		got := h.list(store.UserQuery{Search: c.q, Sort: store.SortRunCount})
		require.Equal(t, page(want, len(want)), got, "search %q", c.q)
		if len(want) > 1 {
			got = h.list(store.UserQuery{Search: c.q, Sort: store.SortRunCount, Limit: 1, Offset: 1})
			require.Equal(t, page(want[1:2], len(want)), got, "search %q page 2", c.q)
		}
	}
	for _, s := range specs {
		d := h.user(s.id)
		require.Equal(t, summaryOf(users, s.id), d.Summary)
	}
	h.verify()
}

func testAgentFilter(t *testing.T, o Opener) {
	h := o.open(t)
	f := newBasicFixture()
	h.apply(f.spans())
	users := basicUsers()
	cases := []struct {
		agent string
		want  []string
	}{
		{"planner", []string{"alice", "eve"}},
		{"classifier", []string{"carol", "dave"}},
		{"web", []string{"bob"}},
		{"researcher", []string{"bob"}},
		{"summarizer", []string{"carol"}},
		{"plan", nil},
		{"Planner", nil},
		{"unknown", nil},
		{"default", nil},
		{"batch", nil},
	}
	for _, c := range cases {
		for _, desc := range []bool{false, true} {
			want := sorted(pick(users, c.want...), store.SortTotalCost, desc)
			got := h.list(store.UserQuery{Agent: c.agent, Sort: store.SortTotalCost, Desc: desc})
			require.Equal(t, page(want, len(want)), got, "agent %q", c.agent)
		}
	}
	// Combined with search and a time range.
	got := h.list(store.UserQuery{Agent: "planner", Search: "V"})
	require.Equal(t, page(pick(users, "eve"), 1), got)
	got = h.list(store.UserQuery{Agent: "classifier", Search: "a"})
	require.Equal(t, page(sorted(pick(users, "carol", "dave"), store.SortLastSeen, false), 2), got)
	got = h.list(store.UserQuery{Agent: "planner", Start: time.Unix(0, at(0, 10, 0, 0)), End: time.Unix(0, at(0, 10, 0, 1))})
	require.Equal(t, page(pick(users, "alice"), 1), got)
	// The agent and the time range are matched independently: bob ran "web" on
	// day 1 and "researcher" on day 0.
	got = h.list(store.UserQuery{Agent: "web", End: time.Unix(0, at(1, 0, 0, 0))})
	require.Equal(t, page(pick(users, "bob"), 1), got)
	h.verify()
}

func testTimeFilter(t *testing.T, o Opener) {
	h := o.open(t)
	f := newBasicFixture()
	h.apply(f.spans())
	users := basicUsers()
	ts := func(ns int64) time.Time { return time.Unix(0, ns) }
	var zero time.Time
	cases := []struct {
		start, end time.Time
		want       []string
	}{
		{zero, zero, []string{"alice", "bob", "carol", "dave", "eve"}},
		// [start, end): start inclusive, end exclusive, on run start times.
		{ts(at(0, 11, 0, 0)), ts(at(0, 14, 0, 10)), []string{"alice", "bob", "carol"}},
		{ts(at(0, 11, 0, 0)), ts(at(0, 14, 0, 10) + 1), []string{"alice", "bob", "carol", "dave"}},
		{ts(at(0, 11, 0, 0) + 1), ts(at(0, 14, 0, 0)), []string{"alice"}},
		{ts(at(1, 0, 0, 0)), zero, []string{"bob", "carol"}},
		{ts(at(1, 9, 0, 2)), zero, []string{"bob", "carol"}},
		{ts(at(1, 9, 0, 2) + 1), zero, []string{"carol"}},
		{ts(at(2, 8, 0, 0) + 1), zero, nil},
		{zero, ts(at(0, 10, 0, 0)), []string{"eve"}},
		{zero, ts(at(0, 10, 0, 0) + 1), []string{"alice", "eve"}},
		{zero, ts(at(0, 9, 0, 0)), nil},
		// A run's end or its span times do not matter: alice's T1 ends at 10:00:30.
		{ts(at(0, 10, 0, 1)), ts(at(0, 10, 1, 0)), nil},
		// The implicit run of bob starts at its first LLM call (09:00:02), not at the HTTP root (09:00:00).
		{ts(at(1, 9, 0, 0)), ts(at(1, 9, 0, 2)), nil},
		{ts(at(0, 14, 0, 0)), ts(at(0, 14, 0, 0)), nil},
	}
	for _, c := range cases {
		want := sorted(pick(users, c.want...), store.SortFirstSeen, true)
		got := h.list(store.UserQuery{Start: c.start, End: c.end, Sort: store.SortFirstSeen, Desc: true})
		require.Equal(t, page(want, len(want)), got, "start %v end %v", c.start, c.end)
	}
	// Aggregates stay lifetime aggregates.
	got := h.list(store.UserQuery{Start: ts(at(2, 0, 0, 0)), Search: "car"})
	require.Equal(t, page(pick(users, "carol"), 1), got)
	got = h.list(store.UserQuery{Start: ts(at(0, 0, 0, 0)), End: ts(at(3, 0, 0, 0)), Limit: 2, Offset: 1, Sort: store.SortTotalTokens})
	require.Equal(t, page(sorted(users, store.SortTotalTokens, false)[1:3], 5), got)
	h.verify()
}
