package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// ExtendedStore is what the extended suite needs: the reads beyond the
// seed API (windows, sessions, runs, overview, statistics).
type ExtendedStore interface {
	Store
	GetUserWindow(ctx context.Context, q store.WindowDetailQuery) (store.UserDetail, error)
	ListSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error)
	GetSession(ctx context.Context, sessionID string) (store.SessionDetail, error)
	GetRun(ctx context.Context, id int64) (store.RunDetail, error)
	Overview(ctx context.Context, q store.OverviewQuery) (store.Overview, error)
	UsageStats(ctx context.Context, q store.StatsQuery) (store.UsageStats, error)
}

// RunExtended runs the conformance tests of the reads beyond the seed API.
// Every answer is compared with a reference computed in Go from the
// fixture's runs, for many windows whose bounds fall on, just before and
// just after run starts and hour boundaries.
func RunExtended(t *testing.T, o Opener) {
	require.NotNil(t, o.New, "Opener.New")
	tests := []struct {
		name string
		fn   func(*testing.T, *extHandle)
	}{
		{"WindowList", testWindowList},
		{"WindowEdges", testWindowEdges},
		{"WindowDetail", testWindowDetail},
		{"Keyset", testKeyset},
		{"CursorStability", testCursorStability},
		{"Sessions", testSessions},
		{"Runs", testRuns},
		{"Overview", testOverview},
		{"UsageStats", testUsageStats},
		{"EachUser", testEachUser},
		{"EachSession", testEachSession},
		{"RunList", testRunList},
		{"HighUsage", testHighUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := o.open(t)
			es, ok := h.s.(ExtendedStore)
			require.True(t, ok, "%T does not implement storetest.ExtendedStore", h.s)
			r := rand.New(rand.NewPCG(seed(t), 6))
			f := newWindowFixture(r, 6000, 90)
			// Applied in random batches: the rollups must not depend on it.
			h.apply(randomBatches(r, all(f.traces...))...)
			tc.fn(t, &extHandle{handle: h, s: es, f: f, r: r})
		})
	}
}

type extHandle struct {
	*handle
	s ExtendedStore
	f *windowFixture
	r *rand.Rand
}

func tsOf(ns int64) time.Time {
	if ns == math.MinInt64 || ns == math.MaxInt64 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// windows returns n windows [lo, hi) with bounds drawn from the fixture's
// interesting times (and, now and then, unbounded).
func (e *extHandle) windows(n int) [][2]int64 {
	times := e.f.interestingTimes()
	out := [][2]int64{{math.MinInt64, math.MaxInt64}}
	for len(out) < n {
		a, b := times[e.r.IntN(len(times))], times[e.r.IntN(len(times))]
		if a > b {
			a, b = b, a
		}
		switch e.r.IntN(8) {
		case 0:
			a = math.MinInt64
		case 1:
			b = math.MaxInt64
		}
		out = append(out, [2]int64{a, b})
	}
	return out
}

func (e *extHandle) listWindow(q store.UserQuery) store.UserPage {
	e.t.Helper()
	q.Window = true
	if q.Limit == 0 {
		q.Limit = 100000
	}
	p, err := e.s.ListUsers(context.Background(), q)
	require.NoError(e.t, err, "ListUsers %+v", q)
	return normPage(p)
}

func testWindowList(t *testing.T, e *extHandle) {
	for _, w := range e.windows(25) {
		ref := values(refUsers(e.f.windowOf(w[0], w[1])))
		for _, field := range store.UserSortFields {
			for _, desc := range []bool{false, true} {
				q := store.UserQuery{Start: tsOf(w[0]), End: tsOf(w[1]), Sort: field, Desc: desc}
				want := sorted(ref, field, desc)
				require.Equal(t, page(want, len(want)), e.listWindow(q), "window %v sort %s desc %v", w, field, desc)
				if len(want) > 2 {
					q.Limit, q.Offset = 2, 1
					require.Equal(t, page(want[1:3], len(want)), e.listWindow(q), "window %v sort %s desc %v page", w, field, desc)
				}
			}
		}
		// Filters select users by their window: search on the id, agent on
		// the runs inside the window.
		var withQuote, withAgent []store.UserSummary
		for _, u := range ref {
			if strings.Contains(strings.ToLower(u.UserID), "w\"") {
				withQuote = append(withQuote, u)
			}
			for _, a := range u.Agents {
				if a == "ag-two" {
					withAgent = append(withAgent, u)
				}
			}
		}
		got := e.listWindow(store.UserQuery{Start: tsOf(w[0]), End: tsOf(w[1]), Search: "W\"", Sort: store.SortRunCount})
		require.Equal(t, page(sorted(withQuote, store.SortRunCount, false), len(withQuote)), got, "window %v search", w)
		got = e.listWindow(store.UserQuery{Start: tsOf(w[0]), End: tsOf(w[1]), Agent: "ag-two", Sort: store.SortTotalCost, Desc: true})
		require.Equal(t, page(sorted(withAgent, store.SortTotalCost, true), len(withAgent)), got, "window %v agent", w)
		// Above keeps the users whose sort value is greater.
		all := sorted(ref, store.SortTotalTokens, true)
		if len(all) > 3 {
			above := all[3].TotalTokens
			var want []store.UserSummary
			for _, u := range all {
				if u.TotalTokens > above {
					want = append(want, u)
				}
			}
			got = e.listWindow(store.UserQuery{Start: tsOf(w[0]), End: tsOf(w[1]), Sort: store.SortTotalTokens, Desc: true, Above: &above})
			require.Equal(t, page(want, len(want)), got, "window %v above", w)
		}
	}
}

func testWindowEdges(t *testing.T, e *extHandle) {
	for _, r := range e.f.runs {
		if r.user == "" {
			continue
		}
		// A run starting exactly at start counts; one starting at end does not.
		got := e.listWindow(store.UserQuery{Start: tsOf(r.start), End: tsOf(r.start + 1), Sort: store.SortRunCount})
		require.Len(t, got.Users, 1)
		require.Equal(t, r.user, got.Users[0].UserID)
		require.EqualValues(t, 1, got.Users[0].RunCount)
		require.Equal(t, r.start, got.Users[0].FirstSeen)
		require.Equal(t, r.start, got.Users[0].LastSeen)
		require.Equal(t, r.cost(), got.Users[0].TotalCost)
		got = e.listWindow(store.UserQuery{Start: tsOf(r.start - 3600*sec), End: tsOf(r.start), Sort: store.SortRunCount})
		for _, u := range got.Users {
			want := refUsers(e.f.windowOf(r.start-3600*sec, r.start))[u.UserID]
			require.Equal(t, want, u)
		}
		d, err := e.s.GetUserWindow(context.Background(), store.WindowDetailQuery{UserID: r.user, Start: tsOf(r.start), End: tsOf(r.start + 1)})
		require.NoError(t, err)
		require.EqualValues(t, 1, d.Summary.RunCount)
		require.Len(t, d.Runs, 1)
		require.Equal(t, r.key, d.Runs[0].Key)
	}
	// An empty window lists nobody.
	got := e.listWindow(store.UserQuery{Start: tsOf(e.f.hour0), End: tsOf(e.f.hour0)})
	require.Equal(t, page(nil, 0), got)
}

func testWindowDetail(t *testing.T, e *extHandle) {
	ctx := context.Background()
	users := refUsers(e.f.runs)
	for _, w := range e.windows(15) {
		runs := e.f.windowOf(w[0], w[1])
		ref := refUsers(runs)
		for id := range users {
			d, err := e.s.GetUserWindow(ctx, store.WindowDetailQuery{UserID: id, Start: tsOf(w[0]), End: tsOf(w[1])})
			require.NoError(t, err, "user %q window %v", id, w)
			d = normDetail(d)
			for i := range d.Runs {
				require.Positive(t, d.Runs[i].ID)
				d.Runs[i].ID = 0
			}
			var mine []refRun
			for _, r := range runs {
				if r.user == id {
					mine = append(mine, r)
				}
			}
			want := store.UserDetail{Summary: ref[id], CostByModel: refModels(mine), Runs: refRecent(mine, store.RecentRuns, true)}
			want.Summary.UserID = id
			require.Equal(t, want, d, "user %q window %v", id, w)
		}
	}
	_, err := e.s.GetUserWindow(ctx, store.WindowDetailQuery{UserID: "nobody", Start: tsOf(e.f.hour0)})
	require.True(t, errors.Is(err, store.ErrNotFound), "want ErrNotFound, got %v", err)
}

// pages walks a list with cursors of the given page size.
func pages[T any](t *testing.T, limit int, list func(after *store.Cursor) []T, cursor func(T) store.Cursor) []T {
	t.Helper()
	var out []T
	var after *store.Cursor
	for i := 0; ; i++ {
		require.Less(t, i, 10000, "too many pages")
		p := list(after)
		require.LessOrEqual(t, len(p), limit)
		out = append(out, p...)
		if len(p) < limit {
			return out
		}
		c := cursor(p[len(p)-1])
		after = &c
	}
}

func testKeyset(t *testing.T, e *extHandle) {
	ctx := context.Background()
	lifetime := values(refUsers(e.f.runs))
	sessions := values(refSessions(e.f.runs))
	w := [2]int64{e.f.hour0 + 1800*sec + 7, e.f.hour0 + 4*3600*sec + 11}
	windowed := values(refUsers(e.f.windowOf(w[0], w[1])))
	for _, field := range store.UserSortFields {
		for _, desc := range []bool{false, true} {
			for _, limit := range []int{1, 3} {
				name := fmt.Sprintf("%s desc=%v limit=%d", field, desc, limit)
				cur := func(u store.UserSummary) store.Cursor { return store.Cursor{Value: sortField(u, field), ID: u.UserID} }
				got := pages(t, limit, func(after *store.Cursor) []store.UserSummary {
					off := 0
					if after != nil {
						off = 5 // ignored with a cursor
					}
					return e.list(store.UserQuery{Sort: field, Desc: desc, Limit: limit, After: after, Offset: off}).Users
				}, cur)
				require.Equal(t, sorted(lifetime, field, desc), got, name)
				got = pages(t, limit, func(after *store.Cursor) []store.UserSummary {
					return e.listWindow(store.UserQuery{Start: tsOf(w[0]), End: tsOf(w[1]), Sort: field, Desc: desc,
						Limit: limit, After: after}).Users
				}, cur)
				require.Equal(t, sorted(windowed, field, desc), got, "window "+name)
				gotS := pages(t, limit, func(after *store.Cursor) []store.SessionSummary {
					p, err := e.s.ListSessions(ctx, store.SessionQuery{Sort: field, Desc: desc, Limit: limit, After: after, NoCount: true})
					require.NoError(t, err)
					require.Zero(t, p.Count)
					return normSessions(p).Sessions
				}, func(s store.SessionSummary) store.Cursor {
					return store.Cursor{Value: sessionSortField(s, field), ID: s.SessionID}
				})
				require.Equal(t, sortedSessions(sessions, field, desc), gotS, "sessions "+name)
			}
		}
	}
	// The count is the whole list's, whatever the cursor.
	all := sorted(lifetime, store.SortRunCount, true)
	c := store.Cursor{Value: all[2].RunCount, ID: all[2].UserID}
	p := e.list(store.UserQuery{Sort: store.SortRunCount, Desc: true, Limit: 2, After: &c})
	require.Equal(t, page(all[3:5], len(all)), p)
	p = e.list(store.UserQuery{Sort: store.SortRunCount, Desc: true, Limit: 2, After: &c, NoCount: true})
	require.Equal(t, page(all[3:5], 0), p)

	// A search narrows keyset pages and their count alike, lifetime and
	// windowed (the match ignores case).
	match := func(us []store.UserSummary) []store.UserSummary {
		var out []store.UserSummary
		for _, u := range us {
			if strings.Contains(strings.ToLower(u.UserID), "w-") {
				out = append(out, u)
			}
		}
		return out
	}
	found, foundW := match(lifetime), match(windowed)
	require.Greater(t, len(found), 3)
	require.Greater(t, len(foundW), 1)
	for _, field := range store.UserSortFields {
		for _, desc := range []bool{false, true} {
			cur := func(u store.UserSummary) store.Cursor { return store.Cursor{Value: sortField(u, field), ID: u.UserID} }
			got := pages(t, 2, func(after *store.Cursor) []store.UserSummary {
				p := e.list(store.UserQuery{Search: "W-", Sort: field, Desc: desc, Limit: 2, After: after})
				require.EqualValues(t, len(found), p.Count)
				return p.Users
			}, cur)
			require.Equal(t, sorted(found, field, desc), got, "search %s desc=%v", field, desc)
			got = pages(t, 2, func(after *store.Cursor) []store.UserSummary {
				p := e.listWindow(store.UserQuery{Start: tsOf(w[0]), End: tsOf(w[1]), Search: "W-", Sort: field,
					Desc: desc, Limit: 2, After: after})
				require.EqualValues(t, len(foundW), p.Count)
				return p.Users
			}, cur)
			require.Equal(t, sorted(foundW, field, desc), got, "window search %s desc=%v", field, desc)
		}
	}
}

// testCursorStability pages through users while new users arrive: with a
// cursor, every user that was there at the start is listed exactly once and
// in order, and new users appear only after the cursor position.
func testCursorStability(t *testing.T, e *extHandle) {
	for _, field := range []string{store.SortLastSeen, store.SortRunCount} {
		for _, desc := range []bool{true, false} {
			before := e.list(store.UserQuery{Sort: field, Desc: desc}).Users
			prefix := fmt.Sprintf("new-%s-%v-", field, desc)
			var got []store.UserSummary
			var after *store.Cursor
			for i := 0; ; i++ {
				p := e.list(store.UserQuery{Sort: field, Desc: desc, Limit: 3, After: after}).Users
				got = append(got, p...)
				if len(p) < 3 {
					break
				}
				c := store.Cursor{Value: sortField(p[len(p)-1], field), ID: p[len(p)-1].UserID}
				after = &c
				// New users: the newest and oldest runs of all, one run each.
				b := newTrace(uint64(900000 + 1000*len(got) + i))
				start := e.f.hour0 + 100*3600*sec + int64(len(got)+i)*sec + int64(len(field))
				if i%2 == 1 {
					start = e.f.hour0 - 100*3600*sec - int64(len(got)+i)*sec - int64(len(field))
				}
				id := fmt.Sprintf("%s%d", prefix, i)
				a := b.agent(none, "late", start, start+sec, user(id))
				b.llm(a, "m-alpha", start, start+sec/2, tok(1, 1), 1, computed)
				e.apply(b.spans)
			}
			seen := map[string]bool{}
			var old []store.UserSummary
			for i, u := range got {
				require.False(t, seen[u.UserID], "%s listed twice", u.UserID)
				seen[u.UserID] = true
				if !strings.HasPrefix(u.UserID, prefix) {
					old = append(old, u)
				}
				if i > 0 {
					a, b := sortField(got[i-1], field), sortField(u, field)
					require.True(t, (desc && a > b) || (!desc && a < b) || (a == b && (got[i-1].UserID < u.UserID) != desc),
						"out of order at %d", i)
				}
			}
			require.Equal(t, before, old, "sort %s desc %v", field, desc)
		}
	}
}

func normSessions(p store.SessionPage) store.SessionPage {
	if len(p.Sessions) == 0 {
		p.Sessions = nil
	}
	for i := range p.Sessions {
		if len(p.Sessions[i].Users) == 0 {
			p.Sessions[i].Users = nil
		}
		if len(p.Sessions[i].Agents) == 0 {
			p.Sessions[i].Agents = nil
		}
	}
	return p
}

func testSessions(t *testing.T, e *extHandle) {
	ctx := context.Background()
	list := func(q store.SessionQuery) store.SessionPage {
		t.Helper()
		if q.Limit == 0 {
			q.Limit = 1000
		}
		p, err := e.s.ListSessions(ctx, q)
		require.NoError(t, err, "ListSessions %+v", q)
		return normSessions(p)
	}
	ref := values(refSessions(e.f.runs))
	for _, field := range store.SessionSortFields {
		for _, desc := range []bool{false, true} {
			want := sortedSessions(ref, field, desc)
			require.Equal(t, store.SessionPage{Sessions: want, Count: int64(len(want))},
				list(store.SessionQuery{Sort: field, Desc: desc}), "sort %s desc %v", field, desc)
			require.Equal(t, store.SessionPage{Sessions: want[1:3], Count: int64(len(want))},
				list(store.SessionQuery{Sort: field, Desc: desc, Limit: 2, Offset: 1}), "sort %s desc %v page", field, desc)
		}
	}
	filter := func(keep func(store.SessionSummary) bool) store.SessionPage {
		var out []store.SessionSummary
		for _, s := range sortedSessions(ref, store.SortLastSeen, true) {
			if keep(s) {
				out = append(out, s)
			}
		}
		return store.SessionPage{Sessions: out, Count: int64(len(out))}
	}
	has := func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	}
	for _, u := range windowUsers[:4] {
		require.Equal(t, filter(func(s store.SessionSummary) bool { return has(s.Users, u) }),
			list(store.SessionQuery{UserID: u, Sort: store.SortLastSeen, Desc: true}), "user %q", u)
	}
	require.Equal(t, filter(func(s store.SessionSummary) bool { return has(s.Agents, "ag-three") }),
		list(store.SessionQuery{Agent: "ag-three", Sort: store.SortLastSeen, Desc: true}))
	// Windows alone and with an agent: the rows and the count.
	for _, w := range e.windows(16) {
		in := refSessions(e.f.windowOf(w[0], w[1]))
		inWindow := func(s store.SessionSummary) bool { _, ok := in[s.SessionID]; return ok }
		require.Equal(t, filter(inWindow), list(store.SessionQuery{Start: tsOf(w[0]), End: tsOf(w[1]),
			Sort: store.SortLastSeen, Desc: true}), "window %v", w)
		require.Equal(t, filter(func(s store.SessionSummary) bool { return inWindow(s) && has(s.Agents, "ag-two") }),
			list(store.SessionQuery{Start: tsOf(w[0]), End: tsOf(w[1]), Agent: "ag-two", Sort: store.SortLastSeen,
				Desc: true}), "window %v, agent", w)
		want := filter(inWindow)
		require.Equal(t, store.SessionPage{Count: want.Count}, list(store.SessionQuery{Start: tsOf(w[0]), End: tsOf(w[1]),
			Sort: store.SortTotalCost, Offset: len(want.Sessions)}), "window %v, past the end", w)
	}
	ws := e.windows(4)
	for i, u := range windowUsers[:4] {
		mineOf := func(s store.SessionSummary) bool { return has(s.Users, u) }
		mine := filter(mineOf)
		// A user's sessions combined with the other filters.
		require.Equal(t, filter(func(s store.SessionSummary) bool { return mineOf(s) && has(s.Agents, "ag-three") }),
			list(store.SessionQuery{UserID: u, Agent: "ag-three", Sort: store.SortLastSeen, Desc: true}), "user %q, agent", u)
		in := refSessions(e.f.windowOf(ws[i][0], ws[i][1]))
		require.Equal(t, filter(func(s store.SessionSummary) bool { _, ok := in[s.SessionID]; return mineOf(s) && ok }),
			list(store.SessionQuery{UserID: u, Start: tsOf(ws[i][0]), End: tsOf(ws[i][1]), Sort: store.SortLastSeen, Desc: true}),
			"user %q, window %v", u, ws[i])
		// Past the last page the count is still the whole list's.
		require.Equal(t, store.SessionPage{Count: mine.Count},
			list(store.SessionQuery{UserID: u, Sort: store.SortLastSeen, Desc: true, Offset: len(mine.Sessions)}), "user %q, past the end", u)
		for _, field := range store.SessionSortFields {
			got := pages(t, 1, func(after *store.Cursor) []store.SessionSummary {
				return list(store.SessionQuery{UserID: u, Sort: field, Desc: true, Limit: 1, After: after}).Sessions
			}, func(s store.SessionSummary) store.Cursor {
				return store.Cursor{Value: sessionSortField(s, field), ID: s.SessionID}
			})
			require.Equal(t, sortedSessions(mine.Sessions, field, true), got, "user %q, cursor pages by %s", u, field)
		}
	}
	for _, w := range e.windows(20) {
		in := refSessions(e.f.windowOf(w[0], w[1]))
		got := list(store.SessionQuery{Start: tsOf(w[0]), End: tsOf(w[1]), Sort: store.SortLastSeen, Desc: true})
		require.Equal(t, filter(func(s store.SessionSummary) bool { _, ok := in[s.SessionID]; return ok }), got, "window %v", w)
	}

	for id, want := range refSessions(e.f.runs) {
		d, err := e.s.GetSession(ctx, id)
		require.NoError(t, err)
		for i := range d.Runs {
			require.Positive(t, d.Runs[i].ID)
			d.Runs[i].ID = 0
		}
		var mine []refRun
		for _, r := range e.f.runs {
			if r.session == id {
				mine = append(mine, r)
			}
		}
		require.Equal(t, want, normSessions(store.SessionPage{Sessions: []store.SessionSummary{d.Summary}}).Sessions[0])
		require.Equal(t, refRecent(mine, store.SessionRuns, false), d.Runs)
	}
	_, err := e.s.GetSession(ctx, "no-such-session")
	require.True(t, errors.Is(err, store.ErrNotFound), "want ErrNotFound, got %v", err)
	_, err = e.s.GetSession(ctx, "")
	require.True(t, errors.Is(err, store.ErrNotFound), "want ErrNotFound, got %v", err)
}

func testRuns(t *testing.T, e *extHandle) {
	ctx := context.Background()
	byKey := map[string]refRun{}
	for _, r := range e.f.runs {
		byKey[r.key] = r
	}
	found := 0
	// Ids are not dense: a run re-assembled under another key gets a new
	// one, and PostgreSQL identities skip values on upsert.
	for id := int64(1); id <= int64(50*len(e.f.runs)) && found < len(e.f.runs); id++ {
		d, err := e.s.GetRun(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		require.NoError(t, err)
		found++
		r, ok := byKey[d.Key]
		require.True(t, ok, "run %d: unknown key %s", id, d.Key)
		require.Equal(t, id, d.ID)
		require.Equal(t, d.Key, d.TraceID+":"+d.RootSpanID)
		require.Equal(t, r.user, d.UserID)
		require.Equal(t, r.session, d.SessionID)
		require.Equal(t, r.agent, d.AgentName)
		require.Equal(t, genai.DefaultWorkflow, d.WorkflowName)
		require.Equal(t, r.start, d.Start)
		require.Equal(t, r.end, d.End)
		require.Equal(t, r.failed, d.Error)
		require.Equal(t, r.cost(), d.CostNanos)
		require.EqualValues(t, len(r.calls), d.CallCount)
		require.False(t, d.Implicit)
		var tokens store.Tokens
		require.Len(t, d.Calls, len(r.calls))
		for i, c := range r.calls {
			got := d.Calls[i]
			require.Equal(t, c.model, got.Model)
			require.Equal(t, "prov", got.Provider)
			require.Equal(t, c.start, got.Start)
			want := store.Tokens{Input: c.usage.Input, CachedInput: c.usage.CacheRead, CacheWrite: c.usage.CacheWrite,
				Output: c.usage.Output, Reasoning: c.usage.Reasoning}
			require.Equal(t, want, got.Tokens)
			require.Equal(t, c.cost, got.CostNanos)
			require.Equal(t, string(c.source), got.CostSource)
			require.False(t, got.Aggregate)
			require.Len(t, got.SpanID, 16)
			tokens.Input += want.Input
			tokens.CachedInput += want.CachedInput
			tokens.CacheWrite += want.CacheWrite
			tokens.Output += want.Output
			tokens.Reasoning += want.Reasoning
		}
		require.Equal(t, tokens, d.Tokens)
	}
	require.Equal(t, len(e.f.runs), found)
	for _, id := range []int64{0, -1, math.MaxInt64} {
		_, err := e.s.GetRun(ctx, id)
		require.True(t, errors.Is(err, store.ErrNotFound), "run %d: want ErrNotFound, got %v", id, err)
	}
}

func testOverview(t *testing.T, e *extHandle) {
	ctx := context.Background()
	firstSeen := map[string]int64{}
	for id, u := range refUsers(e.f.runs) {
		firstSeen[id] = u.FirstSeen
	}
	for _, w := range e.windows(30) {
		runs := e.f.windowOf(w[0], w[1])
		var want store.Overview
		for _, r := range runs {
			want.RunCount++
			if r.user != "" {
				want.UserRuns++
			}
			want.TotalCost += r.cost()
			want.TotalTokens += r.tokens()
			want.TotalDuration += r.duration()
		}
		users := refUsers(runs)
		want.UniqueUsers = int64(len(users))
		for _, f := range firstSeen {
			if f >= w[0] && f < w[1] {
				want.NewUsers++
			}
		}
		top := sorted(values(users), store.SortTotalCost, true)
		if len(top) > 4 {
			top = top[:4]
		}
		want.TopUsers = top
		want.CostByModel = refModels(runs)
		// Outliers: the users above the median of each metric, at most 3.
		q := store.OverviewQuery{Start: tsOf(w[0]), End: tsOf(w[1]), TopUsers: 4, Outliers: 3}
		if len(users) > 0 {
			var rc, tk []int64
			for _, u := range users {
				rc, tk = append(rc, u.RunCount), append(tk, u.TotalTokens)
			}
			r, k := int64(store.DistOf(rc).Median), int64(store.DistOf(tk).Median)
			q.RunCountAbove, q.TokensAbove = &r, &k
			for _, u := range sorted(values(users), store.SortRunCount, true) {
				if u.RunCount > r && len(want.HighRunCount) < 3 {
					want.HighRunCount = append(want.HighRunCount, u)
				}
			}
			for _, u := range sorted(values(users), store.SortTotalTokens, true) {
				if u.TotalTokens > k && len(want.HighTokens) < 3 {
					want.HighTokens = append(want.HighTokens, u)
				}
			}
		}
		want.TrimOutliers()
		got, err := e.s.Overview(ctx, q)
		require.NoError(t, err)
		got.HighRunCount = normPage(store.UserPage{Users: got.HighRunCount}).Users
		got.HighTokens = normPage(store.UserPage{Users: got.HighTokens}).Users
		if len(got.TopUsers) == 0 {
			got.TopUsers = nil
		}
		if len(got.CostByModel) == 0 {
			got.CostByModel = nil
		}
		got.TopUsers = normPage(store.UserPage{Users: got.TopUsers}).Users
		require.Equal(t, want, got, "window %v", w)
	}
}

func testUsageStats(t *testing.T, e *extHandle) {
	ctx := context.Background()
	check := func(users []store.UserSummary, q store.StatsQuery) {
		t.Helper()
		var runs, tokens []int64
		for _, u := range users {
			runs, tokens = append(runs, u.RunCount), append(tokens, u.TotalTokens)
		}
		want := store.UsageStats{Users: int64(len(users)), RunCount: store.DistOf(runs), TotalTokens: store.DistOf(tokens)}
		got, err := e.s.UsageStats(ctx, q)
		require.NoError(t, err)
		require.Equal(t, want.Users, got.Users, "%+v", q)
		for _, p := range [][2]float64{
			{want.RunCount.Median, got.RunCount.Median}, {want.RunCount.MAD, got.RunCount.MAD},
			{want.RunCount.MeanAD, got.RunCount.MeanAD}, {want.TotalTokens.Median, got.TotalTokens.Median},
			{want.TotalTokens.MAD, got.TotalTokens.MAD}, {want.TotalTokens.MeanAD, got.TotalTokens.MeanAD},
		} {
			require.InDelta(t, p[0], p[1], 1e-6*math.Max(1, math.Abs(p[0])), "%+v: want %+v, got %+v", q, want, got)
		}
	}
	check(values(refUsers(e.f.runs)), store.StatsQuery{})
	for _, w := range e.windows(10) {
		check(values(refUsers(e.f.windowOf(w[0], w[1]))), store.StatsQuery{Window: true, Start: tsOf(w[0]), End: tsOf(w[1])})
	}
}

var _ = sort.Strings
