package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// view is every answer the read API gives about a store: the user list in
// every sort order and the detail of every user.
type view struct {
	Lists   map[string]store.UserPage
	Details map[string]store.UserDetail
}

// view reads the whole store. Run ids are assigned in arrival order, so
// unless keepIDs they are checked and zeroed.
func (h *handle) view(keepIDs bool) view {
	h.t.Helper()
	v := view{Lists: map[string]store.UserPage{}, Details: map[string]store.UserDetail{}}
	for _, field := range store.UserSortFields {
		for _, desc := range []bool{false, true} {
			v.Lists[fmt.Sprintf("%s desc=%v", field, desc)] = h.list(store.UserQuery{Sort: field, Desc: desc})
		}
	}
	for _, u := range v.Lists[store.SortLastSeen+" desc=false"].Users {
		d := h.user(u.UserID)
		if !keepIDs {
			d = zeroRunIDs(h.t, d)
		}
		v.Details[u.UserID] = d
	}
	return v
}

// close verifies and closes the store now.
func (h *handle) close() {
	h.t.Helper()
	h.verify()
	h.closed = true
	require.NoError(h.t, h.s.Close())
}

// orderTraces are traces whose assembly depends on spans that may arrive
// late: built parents first, so that applying them in reverse delivers
// children before their parents.
func orderTraces() []*traceBuilder {
	var out []*traceBuilder

	// The user id only on the deepest span, added last.
	b := newTrace(301)
	a := b.agent(none, "ol-agent", at(4, 1, 0, 0), at(4, 1, 1, 0), session("sess-late"))
	tl := b.tool(a, at(4, 1, 0, 10), at(4, 1, 0, 40))
	b.llm(a, "gpt-4o", at(4, 1, 0, 1), at(4, 1, 0, 9), tok(10, 10), 100, computed)
	b.llm(tl, "claude-3", at(4, 1, 0, 11), at(4, 1, 0, 20), tok(5, 5), 50, computed, user("oi-late"))
	out = append(out, b)

	// The agent span first in the builder: reverse order brings it after its LLM spans.
	b = newTrace(302)
	a = b.agent(none, "al-agent", at(4, 2, 0, 0), at(4, 2, 0, 30), user("oi-agent-last"), workflow("wf"))
	b.llm(a, "gpt-4o", at(4, 2, 0, 1), at(4, 2, 0, 5), tok(1, 2), 30, computed)
	x := b.other(a, at(4, 2, 0, 6), at(4, 2, 0, 20))
	b.llm(x, "gpt-4o-mini", at(4, 2, 0, 7), at(4, 2, 0, 19), tok(3, 4), 70, computed)
	out = append(out, b)

	// Aggregate span usage arriving before or after its LLM spans.
	b = newTrace(303)
	a = b.agent(none, "agg-agent", at(4, 3, 0, 0), at(4, 3, 1, 0), user("oi-agg"))
	g := b.aggregate(a, at(4, 3, 0, 1), at(4, 3, 0, 59), tok(30, 30), 999, reported)
	b.llm(g, "gpt-4o", at(4, 3, 0, 2), at(4, 3, 0, 20), tok(10, 10), 200, computed)
	b.llm(g, "gpt-4o", at(4, 3, 0, 21), at(4, 3, 0, 40), tok(20, 20), 400, computed)
	out = append(out, b)

	// An agent span with usage (Vercel outer span) and its LLM spans.
	b = newTrace(304)
	a = b.agent(none, "vercel-fn", at(4, 4, 0, 0), at(4, 4, 0, 50), user("oi-agg"), usageOf("gpt-4o", tok(100, 100), 5000, reported))
	b.llm(a, "gpt-4o", at(4, 4, 0, 1), at(4, 4, 0, 20), tok(40, 40), 800, computed)
	b.llm(a, "gpt-4o", at(4, 4, 0, 21), at(4, 4, 0, 40), tok(60, 60), 1200, computed)
	out = append(out, b)

	// Stacked LLM spans: two instrumentations wrapping one call.
	b = newTrace(305)
	a = b.agent(none, "stack-agent", at(4, 5, 0, 0), at(4, 5, 0, 30), user("oi-stack"))
	o := b.llm(a, "gpt-4o", at(4, 5, 0, 1), at(4, 5, 0, 20), tok(100, 50), 9999, reported)
	b.llm(o, "gpt-4o", at(4, 5, 0, 2), at(4, 5, 0, 19), tok(100, 50), 1500, computed)
	o = b.llm(a, "claude-3", at(4, 5, 0, 21), at(4, 5, 0, 29), tok(7, 3), 100, computed)
	b.add(o, genai.RoleLLM, at(4, 5, 0, 22), at(4, 5, 0, 28)) // inner span without usage
	out = append(out, b)

	// The HTTP root carries the user; the agent below it has none.
	b = newTrace(306)
	h := b.other(none, at(4, 6, 0, 0), at(4, 6, 1, 0), user("oi-http"), service("api"))
	a = b.agent(h, "inner-agent", at(4, 6, 0, 1), at(4, 6, 0, 59))
	b.llm(a, "gpt-4o", at(4, 6, 0, 2), at(4, 6, 0, 10), tok(11, 11), 220, computed)
	b.llm(a, "my-local", at(4, 6, 0, 11), at(4, 6, 0, 20), tok(9, 9), 0, unpriced)
	out = append(out, b)

	// The HTTP root carries the user of an implicit run.
	b = newTrace(307)
	h = b.other(none, at(4, 7, 0, 0), at(4, 7, 1, 0), user("oi-http-implicit"), service("api2"), failed())
	b.llm(h, "gpt-4o", at(4, 7, 0, 5), at(4, 7, 0, 10), tok(2, 2), 40, computed)
	tl = b.tool(h, at(4, 7, 0, 11), at(4, 7, 0, 30))
	b.llm(tl, "gpt-4o", at(4, 7, 0, 12), at(4, 7, 0, 29), tok(3, 3), 60, computed, session("s-impl"))
	out = append(out, b)

	// A batch job: sibling runs for different users inside one trace.
	b = newTrace(308)
	r := b.other(none, at(4, 8, 0, 0), at(4, 8, 1, 0), service("batch"))
	for i, u := range []string{"oi-b1", "oi-b2", "oi-b3"} {
		s := at(4, 8, 0, 10*i)
		a = b.agent(r, "item", s, s+9*sec, user(u))
		b.llm(a, "gpt-4o", s+sec, s+2*sec, tok(int64(i+1), 1), int64(10*(i+1)), computed)
		if i == 1 {
			b.llm(a, "claude-3", s+3*sec, s+4*sec, tok(5, 5), 0, unpriced)
		}
	}
	out = append(out, b)

	// A late user: the LLM span names oi-m until the HTTP root naming oi-t arrives.
	b = newTrace(309)
	h = b.other(none, at(4, 9, 0, 0), at(4, 9, 1, 0), user("oi-t"))
	a = b.agent(h, "helper", at(4, 9, 0, 1), at(4, 9, 0, 30))
	b.llm(a, "gpt-4o", at(4, 9, 0, 2), at(4, 9, 0, 10), tok(8, 8), 160, computed, user("oi-m"))
	out = append(out, b)

	// One user across hours and days, two agents, an error run, two models, unpriced calls.
	for i := 0; i < 5; i++ {
		b = newTrace(uint64(310 + i))
		s := at(4+i/2, 10+3*i, 17*i, 0)
		opts := []spanOpt{user("oi-multi")}
		if i == 3 {
			opts = append(opts, failed())
		}
		a = b.agent(none, []string{"m-one", "m-two"}[i%2], s, s+int64(10+i)*sec, opts...)
		b.llm(a, "gpt-4o", s+sec, s+2*sec, tok(int64(10*i), 5), int64(100*i), computed)
		b.llm(a, "claude-3", s+3*sec, s+4*sec, tok(1, 1), 0, unpriced)
		out = append(out, b)
	}

	// The trace root never arrives: two LLM spans under an unknown parent.
	b = newTrace(320)
	var ghost = [8]byte{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1}
	b.llm(ghost, "gpt-4o", at(4, 20, 0, 5), at(4, 20, 0, 9), tok(4, 4), 80, computed)
	b.llm(ghost, "gpt-4o", at(4, 20, 0, 1), at(4, 20, 0, 3), tok(6, 6), 120, computed, user("oi-orphan"))
	out = append(out, b)

	// A run without a user next to one with a user, and a broken chain
	// resolved later: agent -> other -> other -> llm.
	b = newTrace(321)
	r = b.other(none, at(4, 21, 0, 0), at(4, 21, 1, 0))
	a = b.agent(r, "chain-agent", at(4, 21, 0, 1), at(4, 21, 0, 50), user("oi-chain"))
	x = b.other(a, at(4, 21, 0, 2), at(4, 21, 0, 40))
	y := b.other(x, at(4, 21, 0, 3), at(4, 21, 0, 30))
	b.llm(y, "gpt-4o", at(4, 21, 0, 4), at(4, 21, 0, 20), tok(12, 12), 240, computed)
	a = b.agent(r, "anon-agent", at(4, 21, 0, 51), at(4, 21, 0, 59))
	b.llm(a, "gpt-4o", at(4, 21, 0, 52), at(4, 21, 0, 58), tok(1, 1), 20, computed)
	out = append(out, b)

	return out
}

// orderUsers is how many users orderTraces yield.
const orderUsers = 13

// randomBatches splits spans into batches of random sizes in random order,
// with random duplicates inside a batch and across batches.
func randomBatches(r *rand.Rand, spans []genai.Span) [][]genai.Span {
	var batches [][]genai.Span
	var cur []genai.Span
	size := 1 + r.IntN(8)
	for _, i := range r.Perm(len(spans)) {
		cur = append(cur, spans[i])
		if r.IntN(8) == 0 {
			cur = append(cur, spans[i])
		}
		if len(cur) >= size {
			batches = append(batches, cur)
			cur, size = nil, 1+r.IntN(8)
		}
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	for k := 0; k < len(spans)/4; k++ {
		s := spans[r.IntN(len(spans))]
		j := r.IntN(len(batches))
		p := r.IntN(len(batches[j]) + 1)
		batches[j] = append(batches[j][:p], append([]genai.Span{s}, batches[j][p:]...)...)
	}
	return batches
}

func onePerBatch(spans []genai.Span, reverse bool) [][]genai.Span {
	out := make([][]genai.Span, len(spans))
	for i, s := range spans {
		if reverse {
			out[len(spans)-1-i] = []genai.Span{s}
		} else {
			out[i] = []genai.Span{s}
		}
	}
	return out
}

func iterations() int {
	if testing.Short() {
		return 12
	}
	return 60
}

func testOrderIndependence(t *testing.T, o Opener) {
	traces := orderTraces()
	spans := all(traces...)

	ref := o.open(t)
	ref.apply(spans)
	want := ref.view(false)
	ref.close()
	require.Len(t, want.Details, orderUsers)
	// A few answers by hand, so that a fixture that assembles to nothing fails.
	require.Equal(t, store.UserSummary{UserID: "oi-stack", RunCount: 1, FirstSeen: at(4, 5, 0, 0), LastSeen: at(4, 5, 0, 0),
		TotalDuration: 30 * sec, TotalCost: 1600, TotalTokens: 160, Agents: []string{"stack-agent"}}, want.Details["oi-stack"].Summary)
	require.Equal(t, store.UserSummary{UserID: "oi-agg", RunCount: 2, FirstSeen: at(4, 3, 0, 0), LastSeen: at(4, 4, 0, 0),
		TotalDuration: 110 * sec, TotalCost: 2600, TotalTokens: 260, Agents: []string{"agg-agent", "vercel-fn"}}, want.Details["oi-agg"].Summary)
	require.Equal(t, store.UserSummary{UserID: "oi-t", RunCount: 1, FirstSeen: at(4, 9, 0, 1), LastSeen: at(4, 9, 0, 1),
		TotalDuration: 29 * sec, TotalCost: 160, TotalTokens: 16, Agents: []string{"helper"}}, want.Details["oi-t"].Summary)
	require.Equal(t, store.UserSummary{UserID: "oi-orphan", RunCount: 1, FirstSeen: at(4, 20, 0, 1), LastSeen: at(4, 20, 0, 1),
		TotalDuration: 8 * sec, TotalCost: 200, TotalTokens: 20, Agents: []string{"unknown"}}, want.Details["oi-orphan"].Summary)
	require.Equal(t, store.UserSummary{UserID: "oi-late", RunCount: 1, FirstSeen: at(4, 1, 0, 0), LastSeen: at(4, 1, 0, 0),
		TotalDuration: 60 * sec, TotalCost: 150, TotalTokens: 30, Agents: []string{"ol-agent"}}, want.Details["oi-late"].Summary)
	require.Equal(t, store.UserSummary{UserID: "oi-http-implicit", RunCount: 1, FirstSeen: at(4, 7, 0, 5), LastSeen: at(4, 7, 0, 5),
		TotalDuration: 24 * sec, TotalCost: 100, TotalTokens: 10, Agents: []string{"api2"}}, want.Details["oi-http-implicit"].Summary)

	check := func(name string, batches [][]genai.Span) {
		t.Helper()
		h := o.open(t)
		h.apply(batches...)
		require.Equal(t, want, h.view(false), name)
		h.close()
	}
	check("forward, one span per batch", onePerBatch(spans, false))
	check("reverse, one span per batch", onePerBatch(spans, true))
	var perTrace [][]genai.Span
	for i := len(traces) - 1; i >= 0; i-- {
		perTrace = append(perTrace, traces[i].spans)
	}
	check("one trace per batch", perTrace)
	// The deepest span of each trace first, then the rest whole.
	var deepFirst [][]genai.Span
	for _, tr := range traces {
		n := len(tr.spans)
		deepFirst = append(deepFirst, tr.spans[n-1:], tr.spans[:n-1])
	}
	check("last span first, then the rest", deepFirst)
	// Everything but the first span of each trace (the root), then the roots.
	var rootsLast [][]genai.Span
	var roots []genai.Span
	for _, tr := range traces {
		rootsLast = append(rootsLast, tr.spans[1:])
		roots = append(roots, tr.spans[0])
	}
	check("roots last", append(rootsLast, roots))

	s := seed(t)
	r := rand.New(rand.NewPCG(s, 0x0d0e))
	for i := range iterations() {
		check(fmt.Sprintf("random split %d (seed %d)", i, s), randomBatches(r, spans))
	}
}

func testIdempotency(t *testing.T, o Opener) {
	h := o.open(t)
	f := newBasicFixture()
	spans := append(f.spans(), all(orderTraces()...)...)
	h.apply(spans)
	want := h.view(true)

	st := h.apply(spans)
	require.Zero(t, st.NewSpans)
	require.Zero(t, st.RunsChanged)
	require.Zero(t, st.CallsChanged)
	require.Equal(t, len(spans), st.DuplicateSpans)

	s := seed(t)
	r := rand.New(rand.NewPCG(s, 0x1de))
	for i := 0; i < 3; i++ {
		batches := randomBatches(r, spans)
		for _, b := range batches {
			st := h.apply(b)
			require.Zero(t, st.NewSpans, "seed %d", s)
			require.Zero(t, st.RunsChanged, "seed %d", s)
			require.Zero(t, st.CallsChanged, "seed %d", s)
			require.Equal(t, len(b), st.DuplicateSpans, "seed %d", s)
		}
	}
	require.Equal(t, want, h.view(true))
	h.verify()
}

func testConcurrency(t *testing.T, o Opener) {
	f := newBasicFixture()
	spans := append(f.spans(), all(orderTraces()...)...)

	ref := o.open(t)
	ref.apply(spans)
	want := ref.view(false)
	ref.close()

	h := o.open(t)
	s := seed(t)
	r := rand.New(rand.NewPCG(s, 0xc0c0))
	const writers = 4
	splits := make([][][]genai.Span, writers)
	for w := range splits {
		splits[w] = randomBatches(r, spans)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		newSpans int
		errs     []error
		start    = make(chan struct{})
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for _, b := range splits[w] {
				for attempt := 0; ; attempt++ {
					st, err := h.s.ApplySpans(context.Background(), b)
					if err == nil {
						mu.Lock()
						newSpans += st.NewSpans
						mu.Unlock()
						break
					}
					if o.IsTransient != nil && o.IsTransient(err) && attempt < 100 {
						continue
					}
					mu.Lock()
					errs = append(errs, fmt.Errorf("writer %d: %w", w, err))
					mu.Unlock()
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	require.Empty(t, errs, "seed %d", s)
	// Every span is new exactly once, whichever writer brought it first.
	require.Equal(t, len(spans), newSpans, "seed %d", s)
	require.Equal(t, want, h.view(false), "seed %d", s)
	h.verify()
}
