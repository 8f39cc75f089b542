package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// SessionStreamer is a store that reads every session of a list in one
// statement (what the CSV export uses).
type SessionStreamer interface {
	EachSession(ctx context.Context, q store.SessionQuery, fn func(store.SessionSummary) error) error
}

// eachSession collects what EachSession passes to its callback.
func (e *extHandle) eachSession(q store.SessionQuery) []store.SessionSummary {
	e.t.Helper()
	s, ok := e.s.(SessionStreamer)
	require.True(e.t, ok, "%T does not implement storetest.SessionStreamer", e.s)
	return normSessions(store.SessionPage{Sessions: collect(e.t, s.EachSession, q)}).Sessions
}

func testEachSession(t *testing.T, e *extHandle) {
	// Every session in the list's order; the page (limit, offset, cursor)
	// does not apply.
	ref := values(refSessions(e.f.runs))
	after := &store.Cursor{Value: 1, ID: "zzz"}
	for _, field := range store.SessionSortFields {
		for _, desc := range []bool{false, true} {
			require.Equal(t, sortedSessions(ref, field, desc),
				e.eachSession(store.SessionQuery{Sort: field, Desc: desc, Limit: 2, Offset: 1, After: after}),
				"sort %s desc %v", field, desc)
		}
	}

	// Filters, alone and together, as the lists apply them.
	byCost := sortedSessions(ref, store.SortTotalCost, true)
	keep := func(in func(store.SessionSummary) bool) []store.SessionSummary {
		var out []store.SessionSummary
		for _, x := range byCost {
			if in(x) {
				out = append(out, x)
			}
		}
		return out
	}
	ws := e.windows(4)
	for i, u := range windowUsers[:4] {
		mine := func(x store.SessionSummary) bool { return slices.Contains(x.Users, u) }
		require.Equal(t, keep(mine), e.eachSession(store.SessionQuery{UserID: u, Sort: store.SortTotalCost, Desc: true}),
			"user %q", u)
		in := refSessions(e.f.windowOf(ws[i][0], ws[i][1]))
		inWindow := func(x store.SessionSummary) bool { _, ok := in[x.SessionID]; return ok }
		require.Equal(t, keep(inWindow), e.eachSession(store.SessionQuery{Start: tsOf(ws[i][0]), End: tsOf(ws[i][1]),
			Sort: store.SortTotalCost, Desc: true}), "window %v", ws[i])
		require.Equal(t, keep(func(x store.SessionSummary) bool {
			return mine(x) && inWindow(x) && slices.Contains(x.Agents, "ag-three")
		}), e.eachSession(store.SessionQuery{UserID: u, Agent: "ag-three", Start: tsOf(ws[i][0]), End: tsOf(ws[i][1]),
			Sort: store.SortTotalCost, Desc: true}), "user %q, agent, window %v", u, ws[i])
	}

	// One snapshot: a session that a write during the read moves to the
	// front of the order, among the sessions already passed, is passed once,
	// as it was when the read began. Read page by page, it would be missed.
	order := sortedSessions(ref, store.SortLastSeen, true)
	moved := order[len(order)-1]
	b := newTrace(990001)
	start := order[0].LastSeen + 3600*sec
	b.agent(none, "ag-one", start, start+sec, user("w-ann"), session(moved.SessionID))
	var during []store.SessionSummary
	require.NoError(t, e.s.(SessionStreamer).EachSession(context.Background(),
		store.SessionQuery{Sort: store.SortLastSeen, Desc: true}, func(x store.SessionSummary) error {
			if len(during) == 0 {
				e.apply(all(b))
			}
			during = append(during, x)
			return nil
		}))
	require.Equal(t, order, normSessions(store.SessionPage{Sessions: during}).Sessions)
	now := e.eachSession(store.SessionQuery{Sort: store.SortLastSeen, Desc: true})
	require.Equal(t, moved.SessionID, now[0].SessionID, "the write is seen by the next read")
	require.Equal(t, moved.RunCount+1, now[0].RunCount)

	requireStopsOnError(t, e.s.(SessionStreamer).EachSession, store.SessionQuery{Sort: store.SortRunCount})
}
