package storetest

import (
	"cmp"
	"context"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// RunLister is a store that lists a user's or a session's runs, a page at
// a time and all at once (the runs list and its CSV export).
type RunLister interface {
	ListRuns(ctx context.Context, q store.RunQuery) (store.RunPage, error)
	EachRun(ctx context.Context, q store.RunQuery, fn func(store.RunSummary) error) error
}

// testRunList checks the runs list against the fixture: which runs match
// each filter, their fields, their order ((start, id) in the list's
// direction, ties included), offset and cursor pages and the count.
func testRunList(t *testing.T, e *extHandle) {
	rl, ok := e.s.(RunLister)
	require.True(t, ok, "%T does not implement storetest.RunLister", e.s)
	ctx := context.Background()

	// Runs that start at the same nanosecond (only the id orders them), and
	// four more, so that w-ann has at least eight runs whatever the seed.
	runs := slices.Clone(e.f.runs)
	tie := e.f.hour0 + 1234*sec
	for i := range 8 {
		start := tie
		if i >= 4 {
			start = tie + int64(i)*sec + 1
		}
		b := newTrace(995000 + uint64(i))
		r := refRun{user: "w-ann", session: "sess-tie", agent: "ag-two", start: start, end: start + sec}
		root := b.agent(none, r.agent, r.start, r.end, user(r.user), session(r.session))
		c := refCall{model: "m-alpha", start: start, usage: genai.Usage{Input: 7, Output: 3}, cost: 11, source: computed}
		b.llm(root, c.model, c.start, c.start+sec/2, c.usage, c.cost, c.source)
		r.calls, r.key = []refCall{c}, b.key(root)
		runs = append(runs, r)
		e.apply(all(b))
	}
	byKey := map[string]refRun{}
	for _, r := range runs {
		byKey[r.key] = r
	}

	list := func(q store.RunQuery) store.RunPage {
		t.Helper()
		p, err := rl.ListRuns(ctx, q)
		require.NoError(t, err, "ListRuns %+v", q)
		return p
	}
	// check compares every run of q (read in one page) with the reference
	// and returns them.
	check := func(q store.RunQuery, match func(refRun) bool) []store.RunSummary {
		t.Helper()
		q.Limit = 100000
		p := list(q)
		var want []string
		for _, r := range runs {
			if match(r) {
				want = append(want, r.key)
			}
		}
		got := make([]string, len(p.Runs))
		for i, x := range p.Runs {
			got[i] = x.Key
			r := byKey[x.Key]
			var tokens int64
			for _, c := range r.calls {
				tokens += c.usage.Input + c.usage.Output
			}
			require.Equal(t, store.RunSummary{ID: x.ID, Key: r.key, AgentName: r.agent, WorkflowName: genai.DefaultWorkflow,
				SessionID: r.session, Start: r.start, End: r.end, Error: r.failed, CostNanos: r.cost(), Tokens: tokens,
				UserID: r.user}, x, "%+v", q)
			if i > 0 {
				prev := p.Runs[i-1]
				order := cmp.Or(cmp.Compare(prev.Start, x.Start), cmp.Compare(prev.ID, x.ID))
				if q.Desc {
					order = -order
				}
				require.Negative(t, order, "%+v: %d before %d", q, prev.ID, x.ID)
			}
		}
		require.ElementsMatch(t, want, got, "%+v", q)
		require.EqualValues(t, len(want), p.Count, "%+v", q)
		return p.Runs
	}

	for _, desc := range []bool{true, false} {
		for _, u := range windowUsers[:len(windowUsers)-1] {
			check(store.RunQuery{UserID: u, Desc: desc}, func(r refRun) bool { return r.user == u })
			check(store.RunQuery{UserID: u, Agent: "ag-two", Desc: desc},
				func(r refRun) bool { return r.user == u && r.agent == "ag-two" })
			check(store.RunQuery{UserID: u, SessionID: "sess-b", Desc: desc},
				func(r refRun) bool { return r.user == u && r.session == "sess-b" })
		}
		for _, s := range []string{"sess-a", "sess-b", "sess-c", "sess-d", "sess-e", "sess-tie"} {
			check(store.RunQuery{SessionID: s, Desc: desc}, func(r refRun) bool { return r.session == s })
			check(store.RunQuery{SessionID: s, Agent: "ag-one", Desc: desc},
				func(r refRun) bool { return r.session == s && r.agent == "ag-one" })
		}
		// Windows: a run that starts at Start counts, one at End does not.
		for _, w := range e.windows(12) {
			in := func(r refRun) bool { return r.start >= w[0] && r.start < w[1] }
			check(store.RunQuery{UserID: "w-bo", Start: tsOf(w[0]), End: tsOf(w[1]), Desc: desc},
				func(r refRun) bool { return r.user == "w-bo" && in(r) })
			check(store.RunQuery{SessionID: "sess-c", Start: tsOf(w[0]), End: tsOf(w[1]), Desc: desc},
				func(r refRun) bool { return r.session == "sess-c" && in(r) })
		}
	}
	for _, q := range []store.RunQuery{{UserID: "nobody"}, {SessionID: "no-session"}, {UserID: "w-ann", Agent: "no-agent"}} {
		p := list(store.RunQuery{UserID: q.UserID, SessionID: q.SessionID, Agent: q.Agent, Limit: 10})
		require.Empty(t, p.Runs, "%+v", q)
		require.Zero(t, p.Count, "%+v", q)
	}

	// Pages: by offset, and by cursor through the tied runs.
	for _, desc := range []bool{true, false} {
		q := store.RunQuery{UserID: "w-ann", Desc: desc}
		full := check(q, func(r refRun) bool { return r.user == "w-ann" })
		require.GreaterOrEqual(t, len(full), 8)
		q.Limit, q.Offset = 3, 2
		p := list(q)
		require.Equal(t, full[2:5], p.Runs)
		require.EqualValues(t, len(full), p.Count)
		q.Offset = len(full)
		p = list(q)
		require.Empty(t, p.Runs)
		require.EqualValues(t, len(full), p.Count, "an empty page still counts")
		for _, limit := range []int{1, 2} {
			var walked []store.RunSummary
			q := store.RunQuery{UserID: "w-ann", Desc: desc, Limit: limit}
			for {
				p := list(q)
				require.EqualValues(t, len(full), p.Count)
				walked = append(walked, p.Runs...)
				if len(p.Runs) < limit {
					break
				}
				last := p.Runs[len(p.Runs)-1]
				q.After = &store.RunCursor{Start: last.Start, ID: last.ID}
			}
			require.Equal(t, full, walked, "cursor pages of %d, desc %v", limit, desc)
		}
	}

	// The whole list at once: the page does not apply.
	every := collect(t, rl.EachRun, store.RunQuery{SessionID: "sess-a", Limit: 1, Offset: 1,
		After: &store.RunCursor{Start: math.MinInt64}})
	require.Equal(t, check(store.RunQuery{SessionID: "sess-a"}, func(r refRun) bool { return r.session == "sess-a" }), every)
	requireStopsOnError(t, rl.EachRun, store.RunQuery{SessionID: "sess-a"})
}
