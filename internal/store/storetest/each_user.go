package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// UserStreamer is a store that reads every user of a list in one statement
// (what the CSV export uses).
type UserStreamer interface {
	EachUser(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error) error
}

// eachUser collects what EachUser passes to its callback.
func (e *extHandle) eachUser(q store.UserQuery) []store.UserSummary {
	e.t.Helper()
	s, ok := e.s.(UserStreamer)
	require.True(e.t, ok, "%T does not implement storetest.UserStreamer", e.s)
	return normPage(store.UserPage{Users: collect(e.t, s.EachUser, q)}).Users
}

// collect gathers what a read of every row of a list (EachUser,
// EachSession) passes to its callback.
func collect[Q, T any](t *testing.T, each func(context.Context, Q, func(T) error) error, q Q) []T {
	t.Helper()
	var out []T
	require.NoError(t, each(context.Background(), q, func(x T) error {
		out = append(out, x)
		return nil
	}), "%T %+v", q, q)
	return out
}

// requireStopsOnError checks that an error from the callback of a read of
// every row of a list ends the read and is returned.
func requireStopsOnError[Q, T any](t *testing.T, each func(context.Context, Q, func(T) error) error, q Q) {
	t.Helper()
	errStop := errors.New("stop")
	calls := 0
	err := each(context.Background(), q, func(T) error {
		calls++
		if calls == 3 {
			return errStop
		}
		return nil
	})
	require.ErrorIs(t, err, errStop)
	require.Equal(t, 3, calls)
}

// bulkRuns are runs of more users than a store reads agents for at once
// (sqlite's agentsChunk), each with one to three runs of varied agents
// over seven hours of day 25, so that both lifetime and windowed exports
// cross chunks.
func bulkRuns(n int) ([]refRun, []*traceBuilder) {
	var runs []refRun
	var traces []*traceBuilder
	for i := range n {
		for r := range 1 + i%3 {
			seq := i*3 + r
			run := refRun{user: fmt.Sprintf("bulk-%04d", i), agent: []string{"ag-one", "ag-two", "ag-three"}[(i+r)%3],
				start: at(25, 0, 0, 0) + int64(seq)*7*sec}
			run.end = run.start + int64(1+i%5)*sec
			call := refCall{model: "m-alpha", usage: tok(int64(10+i), int64(1+r)), cost: int64(1 + 7*i + r),
				source: computed, start: run.start}
			run.calls = []refCall{call}
			b := newTrace(100000 + uint64(seq))
			root := b.agent(none, run.agent, run.start, run.end, user(run.user))
			b.llm(root, call.model, call.start, call.start+sec/2, call.usage, call.cost, call.source)
			run.key = b.key(root)
			runs, traces = append(runs, run), append(traces, b)
		}
	}
	return runs, traces
}

func testEachUser(t *testing.T, e *extHandle) {
	// The fixture's lists, lifetime and windowed: every matching user in
	// the list's order; the page (limit, offset, cursor) does not apply.
	after := &store.Cursor{Value: 1, ID: "w-ann"}
	for _, w := range e.windows(6) {
		ref := values(refUsers(e.f.windowOf(w[0], w[1])))
		for _, field := range store.UserSortFields {
			for _, desc := range []bool{false, true} {
				q := store.UserQuery{Window: true, Start: tsOf(w[0]), End: tsOf(w[1]), Sort: field, Desc: desc,
					Limit: 2, Offset: 1, After: after}
				require.Equal(t, sorted(ref, field, desc), e.eachUser(q), "window %v sort %s desc %v", w, field, desc)
			}
		}
	}
	lifetime := values(refUsers(e.f.runs))
	for _, field := range store.UserSortFields {
		require.Equal(t, sorted(lifetime, field, true), e.eachUser(store.UserQuery{Sort: field, Desc: true, Limit: 3}),
			"lifetime sort %s", field)
	}

	// More users than one chunk of agents, with filters.
	runs, traces := bulkRuns(1234)
	e.apply(all(traces...))
	bulk := values(refUsers(runs))
	require.Equal(t, sorted(bulk, store.SortTotalCost, true),
		e.eachUser(store.UserQuery{Search: "BULK-", Sort: store.SortTotalCost, Desc: true}))
	var two []store.UserSummary
	for _, u := range bulk {
		for _, a := range u.Agents {
			if a == "ag-two" {
				two = append(two, u)
			}
		}
	}
	require.Equal(t, sorted(two, store.SortFirstSeen, false),
		e.eachUser(store.UserQuery{Agent: "ag-two", Start: tsOf(at(25, 0, 0, 0)), Sort: store.SortFirstSeen}))
	lo, hi := at(25, 1, 30, 3), at(25, 5, 10, 0)+1
	var in []refRun
	for _, r := range runs {
		if r.start >= lo && r.start < hi {
			in = append(in, r)
		}
	}
	inWindow := values(refUsers(in))
	require.Greater(t, len(inWindow), 600) // more than one chunk
	for _, field := range []string{store.SortTotalTokens, store.SortLastSeen} {
		require.Equal(t, sorted(inWindow, field, true),
			e.eachUser(store.UserQuery{Window: true, Start: tsOf(lo), End: tsOf(hi), Sort: field, Desc: true}),
			"bulk window sort %s", field)
	}

	requireStopsOnError(t, e.s.(UserStreamer).EachUser, store.UserQuery{Sort: store.SortRunCount})
}
