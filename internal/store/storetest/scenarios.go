package storetest

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
)

func testRunIDStable(t *testing.T, o Opener) {
	h := o.open(t)
	f := newBasicFixture()
	t1 := f.traces[0]
	h.apply(t1.spans[:2]) // agent and first LLM call
	d := h.user("alice")
	require.Len(t, d.Runs, 1)
	id := d.Runs[0].ID
	require.Positive(t, id)
	require.Equal(t, store.RunSummary{ID: id, Key: f.keys["t1"], AgentName: "planner", WorkflowName: "trip", SessionID: "s1",
		Start: at(0, 10, 0, 0), End: at(0, 10, 0, 30), CostNanos: 1500, Tokens: 150, UserID: "alice"}, d.Runs[0])
	require.Equal(t, []store.ModelCost{{Model: "gpt-4o", TotalCost: 1500, TotalTokens: 150, CallCount: 1}}, d.CostByModel)

	// Other runs arrive in between; then the run grows: its id stays.
	h.apply(f.traces[1].spans, f.traces[2].spans)
	h.apply(t1.spans[2:])
	d = h.user("alice")
	require.Len(t, d.Runs, 2)
	require.Equal(t, store.RunSummary{ID: id, Key: f.keys["t1"], AgentName: "planner", WorkflowName: "trip", SessionID: "s1",
		Start: at(0, 10, 0, 0), End: at(0, 10, 0, 30), CostNanos: 4500, Tokens: 450, UserID: "alice"}, d.Runs[1])
	require.NotEqual(t, id, d.Runs[0].ID)
	h.verify()
}

// lateUserFixture: three runs whose LLM spans name mallory, each below an
// HTTP root naming trent that arrives late.
type lateUserFixture struct {
	traces [3]*traceBuilder
	roots  [3]genai.Span
	keys   [3]string
}

func newLateUserFixture() *lateUserFixture {
	f := &lateUserFixture{}
	type spec struct {
		start, dur int64
		model      string
		u          genai.Usage
		cost       int64
	}
	specs := [3]spec{
		{at(3, 8, 0, 0), 40, "gpt-4o", tok(5, 5), 70},       // Z: mallory's first run
		{at(3, 10, 0, 5), 30, "gpt-4o", tok(10, 10), 100},   // X
		{at(3, 15, 0, 0), 50, "claude-3", tok(20, 20), 300}, // Y: mallory's last run
	}
	for i, s := range specs {
		b := newTrace(uint64(200 + i))
		h := b.other(none, s.start-sec, s.start+s.dur*sec+sec, user("trent"), service("web"))
		a := b.agent(h, "helper", s.start, s.start+s.dur*sec)
		b.llm(a, s.model, s.start+sec, s.start+2*sec, s.u, s.cost, computed, user("mallory"))
		f.traces[i] = b
		f.roots[i] = b.span(h)
		f.keys[i] = b.key(a)
	}
	return f
}

func testLateUserChange(t *testing.T, o Opener) {
	h := o.open(t)
	f := newLateUserFixture()
	for _, b := range f.traces {
		h.apply(b.spans[1:]) // everything but the HTTP root
	}
	runZ := store.RunSummary{Key: f.keys[0], AgentName: "helper", WorkflowName: "default",
		Start: at(3, 8, 0, 0), End: at(3, 8, 0, 40), CostNanos: 70, Tokens: 10, UserID: "mallory"}
	runX := store.RunSummary{Key: f.keys[1], AgentName: "helper", WorkflowName: "default",
		Start: at(3, 10, 0, 5), End: at(3, 10, 0, 35), CostNanos: 100, Tokens: 20, UserID: "mallory"}
	runY := store.RunSummary{Key: f.keys[2], AgentName: "helper", WorkflowName: "default",
		Start: at(3, 15, 0, 0), End: at(3, 15, 0, 50), CostNanos: 300, Tokens: 40, UserID: "mallory"}
	mallory := store.UserSummary{UserID: "mallory", RunCount: 3, FirstSeen: at(3, 8, 0, 0), LastSeen: at(3, 15, 0, 0),
		TotalDuration: 120 * sec, TotalCost: 470, TotalTokens: 70, Agents: []string{"helper"}}
	d := h.user("mallory")
	ids := map[string]int64{}
	for _, r := range d.Runs {
		ids[r.Key] = r.ID
	}
	require.Equal(t, store.UserDetail{
		Summary: mallory,
		CostByModel: []store.ModelCost{
			{Model: "claude-3", TotalCost: 300, TotalTokens: 40, CallCount: 1},
			{Model: "gpt-4o", TotalCost: 170, TotalTokens: 30, CallCount: 2},
		},
		Runs: []store.RunSummary{runY, runX, runZ},
	}, zeroRunIDs(t, d))
	h.requireNoUser("trent")
	require.Equal(t, page([]store.UserSummary{mallory}, 1), h.list(store.UserQuery{}))
	h.verify()

	// of is run r with its id, now owned by user.
	of := func(user string, r store.RunSummary) store.RunSummary {
		r.ID, r.UserID = ids[r.Key], user
		return r
	}

	// Y moves to trent: mallory's last_seen comes from her remaining runs.
	h.apply([]genai.Span{f.roots[2]})
	mallory = store.UserSummary{UserID: "mallory", RunCount: 2, FirstSeen: at(3, 8, 0, 0), LastSeen: at(3, 10, 0, 5),
		TotalDuration: 70 * sec, TotalCost: 170, TotalTokens: 30, Agents: []string{"helper"}}
	trent := store.UserSummary{UserID: "trent", RunCount: 1, FirstSeen: at(3, 15, 0, 0), LastSeen: at(3, 15, 0, 0),
		TotalDuration: 50 * sec, TotalCost: 300, TotalTokens: 40, Agents: []string{"helper"}}
	require.Equal(t, store.UserDetail{
		Summary:     mallory,
		CostByModel: []store.ModelCost{{Model: "gpt-4o", TotalCost: 170, TotalTokens: 30, CallCount: 2}},
		Runs:        []store.RunSummary{of("mallory", runX), of("mallory", runZ)},
	}, h.user("mallory"))
	require.Equal(t, store.UserDetail{
		Summary:     trent,
		CostByModel: []store.ModelCost{{Model: "claude-3", TotalCost: 300, TotalTokens: 40, CallCount: 1}},
		Runs:        []store.RunSummary{of("trent", runY)},
	}, h.user("trent"))
	h.verify()

	// Z moves: mallory's first_seen comes from her remaining run.
	h.apply([]genai.Span{f.roots[0]})
	mallory = store.UserSummary{UserID: "mallory", RunCount: 1, FirstSeen: at(3, 10, 0, 5), LastSeen: at(3, 10, 0, 5),
		TotalDuration: 30 * sec, TotalCost: 100, TotalTokens: 20, Agents: []string{"helper"}}
	trent = store.UserSummary{UserID: "trent", RunCount: 2, FirstSeen: at(3, 8, 0, 0), LastSeen: at(3, 15, 0, 0),
		TotalDuration: 90 * sec, TotalCost: 370, TotalTokens: 50, Agents: []string{"helper"}}
	require.Equal(t, page([]store.UserSummary{trent, mallory}, 2), h.list(store.UserQuery{Sort: store.SortRunCount, Desc: true}))
	require.Equal(t, store.UserDetail{
		Summary:     mallory,
		CostByModel: []store.ModelCost{{Model: "gpt-4o", TotalCost: 100, TotalTokens: 20, CallCount: 1}},
		Runs:        []store.RunSummary{of("mallory", runX)},
	}, h.user("mallory"))
	h.verify()

	// X moves: mallory has no runs left and disappears.
	h.apply([]genai.Span{f.roots[1]})
	h.requireNoUser("mallory")
	trent = store.UserSummary{UserID: "trent", RunCount: 3, FirstSeen: at(3, 8, 0, 0), LastSeen: at(3, 15, 0, 0),
		TotalDuration: 120 * sec, TotalCost: 470, TotalTokens: 70, Agents: []string{"helper"}}
	require.Equal(t, page([]store.UserSummary{trent}, 1), h.list(store.UserQuery{}))
	require.Equal(t, page(nil, 0), h.list(store.UserQuery{Search: "mal"}))
	require.Equal(t, store.UserDetail{
		Summary: trent,
		CostByModel: []store.ModelCost{
			{Model: "claude-3", TotalCost: 300, TotalTokens: 40, CallCount: 1},
			{Model: "gpt-4o", TotalCost: 170, TotalTokens: 30, CallCount: 2},
		},
		Runs: []store.RunSummary{of("trent", runY), of("trent", runX), of("trent", runZ)},
	}, h.user("trent"))
	h.verify()
}

func testRecentRuns(t *testing.T, o Opener) {
	h := o.open(t)
	const n = store.RecentRuns + 5
	var traces []*traceBuilder
	var keys []string
	var wantCost, wantTokens int64
	for i := range n {
		b := newTrace(uint64(500 + i))
		s := at(0, 0, 37*i, 0) // across hours and days
		a := b.agent(none, "worker", s, s+60*sec, user("heavy"))
		src := computed
		if i%10 == 0 {
			src = unpriced
		}
		cost := int64(10 * i)
		if src == unpriced {
			cost = 0
		}
		b.llm(a, "m", s+sec, s+2*sec, tok(int64(i+1), 1), cost, src)
		traces = append(traces, b)
		keys = append(keys, b.key(a))
		wantCost += cost
		wantTokens += int64(i + 2)
	}
	// Newest first in the fixture, so that insertion order differs from start order.
	for i := len(traces) - 1; i >= 0; i-- {
		h.apply(traces[i].spans)
	}
	require.Equal(t, int64(13350), wantCost)
	require.Equal(t, int64(1595), wantTokens)
	d := h.user("heavy")
	require.Equal(t, store.UserSummary{UserID: "heavy", RunCount: n, FirstSeen: at(0, 0, 0, 0), LastSeen: at(0, 0, 37*(n-1), 0),
		TotalDuration: n * 60 * sec, TotalCost: 13350, TotalTokens: 1595, Agents: []string{"worker"}}, d.Summary)
	require.Equal(t, []store.ModelCost{{Model: "m", TotalCost: 13350, TotalTokens: 1595, CallCount: n, UnpricedCalls: 6}}, d.CostByModel)
	var want []store.RunSummary
	for i := n - 1; i >= n-store.RecentRuns; i-- {
		s := at(0, 0, 37*i, 0)
		cost := int64(10 * i)
		if i%10 == 0 {
			cost = 0
		}
		want = append(want, store.RunSummary{Key: keys[i], AgentName: "worker", WorkflowName: "default",
			Start: s, End: s + 60*sec, CostNanos: cost, Tokens: int64(i + 2), UserID: "heavy"})
	}
	require.Equal(t, want, zeroRunIDs(t, d).Runs)
	h.verify()
}

func testPersistence(t *testing.T, o Opener) {
	h := o.open(t)
	f := newBasicFixture()
	late := newLateUserFixture()
	h.apply(f.spans())
	h.apply(late.traces[0].spans[1:])
	want := h.view(true)

	h.reopenStore()
	require.Equal(t, want, h.view(true))
	st := h.apply(f.spans())
	require.Zero(t, st.NewSpans)
	require.Equal(t, want, h.view(true))

	// Stored spans still drive re-assembly after a reopen.
	st = h.apply([]genai.Span{late.roots[0]})
	require.Equal(t, 1, st.NewSpans)
	h.requireNoUser("mallory")
	tr := h.user("trent")
	require.Equal(t, int64(1), tr.Summary.RunCount)
	moved := slices.Clone(want.Details["mallory"].Runs)
	for i := range moved {
		moved[i].UserID = "trent"
	}
	require.Equal(t, moved, tr.Runs)
	want = h.view(true)

	h.reopenStore()
	require.Equal(t, want, h.view(true))
	h.verify()
}
