package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// Retainer is a store with retention (internal/store/ledger/retired.go).
type Retainer interface {
	Store
	Retain(ctx context.Context, before time.Time) (int64, error)
}

// RunRetention runs the retention tests as subtests of t. The stores of o
// must implement Retainer.
func RunRetention(t *testing.T, o Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"KeepsLifetimeAggregates", testRetainKeepsAggregates},
		{"LateSpanOfRetiredTrace", testRetainLateSpan},
		{"ExtremesAfterRetention", testRetainExtremes},
		{"Persistence", testRetainPersistence},
		{"Concurrent", testRetainConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, o) })
	}
}

func (h *handle) retain(before int64) int64 {
	h.t.Helper()
	r, ok := h.s.(Retainer)
	require.True(h.t, ok, "the store does not implement Retain")
	n, err := r.Retain(context.Background(), time.Unix(0, before))
	require.NoError(h.t, err, "Retain")
	return n
}

// lifetime is what retention must never change about a user.
type lifetime struct {
	Runs, Duration, Cost, Tokens, First, Last int64
	Agents                                    []string
	Models                                    []store.ModelCost
}

func (h *handle) lifetime(id string) lifetime {
	h.t.Helper()
	d := h.user(id)
	return lifetime{d.Summary.RunCount, d.Summary.TotalDuration, d.Summary.TotalCost, d.Summary.TotalTokens,
		d.Summary.FirstSeen, d.Summary.LastSeen, d.Summary.Agents, d.CostByModel}
}

// retentionFixture: alice has an old run (day 0) and a new one (day 10),
// bob only an old one (day 1), carol only a new one; an old trace without
// GenAI spans; a trace with one old and one new span.
type retentionFixture struct {
	aliceOld, aliceNew, bobOld, carolNew, plainOld, straddling *traceBuilder
}

func newRetentionFixture() *retentionFixture {
	f := &retentionFixture{}
	f.aliceOld = newTrace(9001)
	a := f.aliceOld.agent(none, "support", at(0, 9, 0, 0), at(0, 9, 0, 30), user("alice"), session("s-1"))
	f.aliceOld.llm(a, "gpt-4o", at(0, 9, 0, 1), at(0, 9, 0, 5), tok(100, 20), 3000, genai.CostComputed)
	f.aliceOld.llm(a, "local-llm", at(0, 9, 0, 6), at(0, 9, 0, 9), tok(7, 3), 0, genai.CostUnpriced)

	f.aliceNew = newTrace(9002)
	a = f.aliceNew.agent(none, "research", at(10, 9, 0, 0), at(10, 9, 1, 0), user("alice"), session("s-1"))
	f.aliceNew.llm(a, "gpt-4o", at(10, 9, 0, 1), at(10, 9, 0, 9), tok(200, 40), 6000, genai.CostComputed)

	f.bobOld = newTrace(9003)
	a = f.bobOld.agent(none, "support", at(1, 8, 0, 0), at(1, 8, 0, 10), user("bob"))
	f.bobOld.llm(a, "gpt-4o-mini", at(1, 8, 0, 1), at(1, 8, 0, 2), tok(50, 5), 100, genai.CostReported)

	f.carolNew = newTrace(9004)
	a = f.carolNew.agent(none, "support", at(11, 8, 0, 0), at(11, 8, 0, 10), user("carol"))
	f.carolNew.llm(a, "gpt-4o", at(11, 8, 0, 1), at(11, 8, 0, 2), tok(5, 5), 50, genai.CostComputed)

	f.plainOld = newTrace(9005)
	r := f.plainOld.other(none, at(0, 1, 0, 0), at(0, 1, 0, 1))
	f.plainOld.other(r, at(0, 1, 0, 0), at(0, 1, 0, 1))

	f.straddling = newTrace(9006)
	a = f.straddling.agent(none, "batch", at(2, 23, 59, 0), at(12, 0, 1, 0), user("dave"))
	f.straddling.llm(a, "gpt-4o", at(12, 0, 0, 0), at(12, 0, 0, 5), tok(1, 1), 10, genai.CostComputed)
	return f
}

func (f *retentionFixture) all() []genai.Span {
	return all(f.aliceOld, f.aliceNew, f.bobOld, f.carolNew, f.plainOld, f.straddling)
}

var retentionCutoff = at(5, 0, 0, 0)

func testRetainKeepsAggregates(t *testing.T, o Opener) {
	h := o.open(t)
	f := newRetentionFixture()
	h.apply(f.all())
	before := map[string]lifetime{}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		before[u] = h.lifetime(u)
	}
	pageBefore := h.list(store.UserQuery{})

	assert.Equal(t, int64(3), h.retain(retentionCutoff), "alice's and bob's old traces and the plain one")
	h.verify()
	for u, want := range before {
		assert.Equal(t, want, h.lifetime(u), "lifetime aggregates of %s", u)
	}
	assert.Equal(t, pageBefore, h.list(store.UserQuery{}), "the users list is unchanged")
	for _, sort := range store.UserSortFields {
		for _, desc := range []bool{false, true} {
			p := h.list(store.UserQuery{Sort: sort, Desc: desc})
			assert.Len(t, p.Users, 4, "sorted by %s", sort)
		}
	}

	alice := h.user("alice")
	require.Len(t, alice.Runs, 1, "alice's old run is deleted")
	assert.Equal(t, f.aliceNew.key(f.aliceNew.spans[0].SpanID), alice.Runs[0].Key)
	assert.Empty(t, h.user("bob").Runs, "bob keeps his aggregates without runs")
	assert.Len(t, h.user("dave").Runs, 1, "a trace with a recent span is kept")

	// The runs lists count the runs that are left, not the lifetime's.
	if rl, ok := h.s.(RunLister); ok {
		for _, q := range []store.RunQuery{{UserID: "alice"}, {UserID: "bob"}, {SessionID: "s-1"}, {UserID: "dave"}} {
			q.Limit = 10
			p, err := rl.ListRuns(context.Background(), q)
			require.NoError(t, err)
			assert.Len(t, p.Runs, int(p.Count), "%+v", q)
			q.Limit, q.Offset = 1, 5
			p2, err := rl.ListRuns(context.Background(), q)
			require.NoError(t, err)
			assert.Equal(t, p.Count, p2.Count, "an empty page counts too: %+v", q)
		}
	}

	assert.Zero(t, h.retain(retentionCutoff), "retention is idempotent")
	h.verify()
}

func testRetainLateSpan(t *testing.T, o Opener) {
	h := o.open(t)
	f := newRetentionFixture()
	h.apply(f.all())
	require.Equal(t, int64(3), h.retain(retentionCutoff))
	bob := h.lifetime("bob")

	// A replay of a whole retired trace, and a late new span of it.
	st := h.applyStats(f.bobOld.spans)
	assert.Equal(t, len(f.bobOld.spans), st.RetiredSpans)
	assert.Zero(t, st.NewSpans)
	late := f.bobOld.llm(f.bobOld.spans[0].SpanID, "gpt-4o", at(1, 8, 0, 3), at(1, 8, 0, 4), tok(1000, 1000), 99999, genai.CostComputed)
	st = h.applyStats([]genai.Span{f.bobOld.span(late)})
	assert.Equal(t, 1, st.RetiredSpans, "a late span of a retired trace is ignored and counted")
	assert.Equal(t, bob, h.lifetime("bob"), "never counted a second time")

	// Mixed batch: the retired trace's spans are ignored, the others apply.
	eve := newTrace(9100)
	a := eve.agent(none, "support", at(12, 1, 0, 0), at(12, 1, 0, 5), user("eve"))
	eve.llm(a, "gpt-4o", at(12, 1, 0, 1), at(12, 1, 0, 2), tok(3, 3), 30, genai.CostComputed)
	st = h.applyStats(append(append([]genai.Span{}, f.aliceOld.spans...), eve.spans...))
	assert.Equal(t, len(f.aliceOld.spans), st.RetiredSpans)
	assert.Equal(t, len(eve.spans), st.NewSpans)
	assert.Equal(t, int64(1), h.user("eve").Summary.RunCount)
	assert.Equal(t, int64(2), h.user("alice").Summary.RunCount)
	h.verify()
}

// testRetainExtremes: first/last seen recomputed after retention still see
// the deleted runs.
func testRetainExtremes(t *testing.T, o Opener) {
	h := o.open(t)
	f := newRetentionFixture()

	// frank: an old agent run, and a new implicit run whose LLM span names
	// him; a late HTTP root naming grace takes the new run away from him.
	frankOld := newTrace(9200)
	a := frankOld.agent(none, "support", at(0, 6, 0, 0), at(0, 6, 0, 9), user("frank"), session("s-f"))
	frankOld.llm(a, "gpt-4o", at(0, 6, 0, 1), at(0, 6, 0, 2), tok(10, 10), 100, genai.CostComputed)
	frankNew := newTrace(9201)
	root := frankNew.other(none, at(9, 6, 0, 0), at(9, 6, 0, 9), user("grace"))
	frankNew.llm(root, "gpt-4o", at(9, 6, 0, 1), at(9, 6, 0, 2), tok(10, 10), 100, genai.CostComputed, user("frank"), session("s-f"))

	// alice's new run gets a late earlier parent: the run is re-rooted.
	parent := f.aliceNew.agent(none, "research", at(9, 0, 0, 0), at(10, 10, 0, 0), user("alice"), session("s-1"))
	f.aliceNew.spans[0].ParentSpanID = parent

	h.apply(all(f.aliceOld, f.bobOld, frankOld), f.aliceNew.without(parent), frankNew.without(root))
	require.Equal(t, int64(2), h.user("frank").Summary.RunCount)
	aliceFirst := h.user("alice").Summary.FirstSeen
	frankFirst := h.user("frank").Summary.FirstSeen
	require.Equal(t, int64(3), h.retain(retentionCutoff), "alice's, bob's and frank's old traces")
	h.verify()

	h.apply([]genai.Span{f.aliceNew.span(parent)}, []genai.Span{frankNew.span(root)})
	h.verify()
	alice := h.user("alice")
	assert.Equal(t, aliceFirst, alice.Summary.FirstSeen, "first seen still comes from the retired run")
	assert.Equal(t, at(9, 0, 0, 0), alice.Summary.LastSeen, "last seen from the re-rooted run")
	frank := h.user("frank")
	assert.Equal(t, int64(1), frank.Summary.RunCount, "only the retired run is left")
	assert.Equal(t, frankFirst, frank.Summary.FirstSeen)
	assert.Equal(t, frankFirst, frank.Summary.LastSeen, "last seen falls back to the retired run")
	assert.Equal(t, int64(1), h.user("grace").Summary.RunCount)
}

func testRetainPersistence(t *testing.T, o Opener) {
	h := o.open(t)
	require.NotNil(t, h.reopen, "the conformance suite needs a store it can reopen")
	f := newRetentionFixture()
	h.apply(f.all())
	require.Equal(t, int64(3), h.retain(retentionCutoff))
	want := h.lifetime("alice")
	h.reopenStore()
	h.verify()
	assert.Equal(t, want, h.lifetime("alice"))
	st := h.applyStats(f.bobOld.spans)
	assert.Equal(t, len(f.bobOld.spans), st.RetiredSpans, "tombstones survive a restart")
}

// testRetainConcurrent runs retention while traces are written, then
// replays everything: lifetime aggregates equal those of a store without
// retention, and Verify is exact.
func testRetainConcurrent(t *testing.T, o Opener) {
	h := o.open(t)
	ref := o.open(t)
	const n = 120
	var traces []*traceBuilder
	for i := range n {
		b := newTrace(uint64(20000 + i))
		day := i % 8 // days 0-3 are retired, 4-7 kept
		u := []string{"u1", "u2", "u3", "u4", "u5"}[i%5]
		a := b.agent(none, []string{"x", "y"}[i%2], at(day, i%24, 0, 0), at(day, i%24, 0, 9), user(u), session("s"+u))
		b.llm(a, []string{"gpt-4o", "m2"}[i%2], at(day, i%24, 0, 1), at(day, i%24, 0, 2), tok(int64(i), 7), int64(i*10), genai.CostComputed)
		traces = append(traces, b)
	}
	for _, b := range traces {
		ref.apply(b.spans)
	}

	var writers, retainer sync.WaitGroup
	errs := make(chan error, 4)
	done := make(chan struct{})
	for w := range 3 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := w; i < n; i += 3 {
				if err := applyRetry(o, h.s, traces[i].spans); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	retainer.Add(1)
	go func() {
		defer retainer.Done()
		r := h.s.(Retainer)
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := r.Retain(context.Background(), time.Unix(0, at(4, 0, 0, 0))); err != nil &&
				(o.IsTransient == nil || !o.IsTransient(err)) {
				errs <- err
				return
			}
		}
	}()
	writers.Wait()
	close(done)
	retainer.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	h.retain(at(4, 0, 0, 0))
	for _, b := range traces {
		st := h.applyStats(b.spans)
		assert.Zero(t, st.NewSpans, "replay of %s", b.id)
	}
	h.verify()
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		assert.Equal(t, ref.lifetime(u), h.lifetime(u), "user %s", u)
	}
	assert.Equal(t, ref.list(store.UserQuery{Sort: store.SortTotalCost}), h.list(store.UserQuery{Sort: store.SortTotalCost}))
}

func applyRetry(o Opener, s Store, spans []genai.Span) error {
	for attempt := 0; ; attempt++ {
		_, err := s.ApplySpans(context.Background(), spans)
		if err == nil || o.IsTransient == nil || !o.IsTransient(err) || attempt > 50 {
			return err
		}
	}
}

func (h *handle) applyStats(spans []genai.Span) (st struct{ NewSpans, RetiredSpans int }) {
	h.t.Helper()
	s, err := h.s.ApplySpans(context.Background(), spans)
	require.NoError(h.t, err, "ApplySpans")
	st.NewSpans, st.RetiredSpans = s.NewSpans, s.RetiredSpans
	return st
}
