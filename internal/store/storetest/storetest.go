// Package storetest is the conformance suite every store implementation
// (sqlite, postgres) must pass. It drives a store only through Store, with
// trace fixtures built in Go, and checks the answers against numbers worked
// out by hand, against each other (order independence, idempotency,
// persistence, concurrency) and against the store's own Verify.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Opener{New: func(t *testing.T) (storetest.Store, func(*testing.T) storetest.Store) {
//			...
//		}})
//	}
package storetest

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

// Store is what the suite needs; declared here, where it is consumed.
type Store interface {
	ApplySpans(ctx context.Context, spans []genai.Span) (ledger.Stats, error)
	ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error)
	GetUser(ctx context.Context, userID string) (store.UserDetail, error)
	Verify(ctx context.Context) ([]string, error)
	Close() error
}

// Opener opens stores for the suite.
type Opener struct {
	// New returns a new, empty store, and a function that opens the same
	// underlying database again (used after the first store was closed, to
	// test persistence). Both stores are closed by the suite.
	New func(t *testing.T) (s Store, reopen func(t *testing.T) Store)

	// IsTransient, when set, reports errors that the concurrency test may
	// retry (for example serialization failures), the way the exporter
	// retries them. Nil means no error is retried.
	IsTransient func(error) bool
}

// SeedEnv overrides the random seed of the property tests (decimal uint64).
const SeedEnv = "WAXELL_STORETEST_SEED"

// Run runs every conformance test as a subtest of t.
func Run(t *testing.T, o Opener) {
	require.NotNil(t, o.New, "Opener.New")
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"ApplyExact", testApplyExact},
		{"Stats", testStats},
		{"NotFound", testNotFound},
		{"Sort", testSort},
		{"Pagination", testPagination},
		{"Backward", testBackward},
		{"Search", testSearch},
		{"AgentFilter", testAgentFilter},
		{"TimeFilter", testTimeFilter},
		{"Idempotency", testIdempotency},
		{"RunIDStable", testRunIDStable},
		{"LateUserChange", testLateUserChange},
		{"RecentRuns", testRecentRuns},
		{"Persistence", testPersistence},
		{"OrderIndependence", testOrderIndependence},
		{"Concurrency", testConcurrency},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, o) })
	}
}

// handle is an open store under test. Cleanup verifies it, then closes it.
type handle struct {
	t      *testing.T
	s      Store
	reopen func(t *testing.T) Store
	closed bool
}

func (o Opener) open(t *testing.T) *handle {
	t.Helper()
	s, reopen := o.New(t)
	require.NotNil(t, s)
	h := &handle{t: t, s: s, reopen: reopen}
	t.Cleanup(func() {
		if h.closed {
			return
		}
		if !t.Failed() {
			h.verify()
		}
		h.closed = true
		require.NoError(t, h.s.Close())
	})
	return h
}

// verify requires the store's rollups to match its runs and calls.
func (h *handle) verify() {
	h.t.Helper()
	diffs, err := h.s.Verify(context.Background())
	require.NoError(h.t, err, "Verify")
	require.Empty(h.t, diffs, "Verify found differences")
}

// reopenStore verifies and closes the store, then opens the same database again.
func (h *handle) reopenStore() {
	h.t.Helper()
	require.NotNil(h.t, h.reopen, "reopen")
	h.verify()
	h.closed = true
	require.NoError(h.t, h.s.Close())
	h.s = h.reopen(h.t)
	require.NotNil(h.t, h.s)
	h.closed = false
}

func (h *handle) apply(spans ...[]genai.Span) ledger.Stats {
	h.t.Helper()
	var total ledger.Stats
	for _, b := range spans {
		st, err := h.s.ApplySpans(context.Background(), b)
		require.NoError(h.t, err, "ApplySpans")
		total.Spans += st.Spans
		total.NewSpans += st.NewSpans
		total.Traces += st.Traces
		total.RunsChanged += st.RunsChanged
		total.CallsChanged += st.CallsChanged
		total.DuplicateSpans += st.DuplicateSpans
	}
	return total
}

func (h *handle) list(q store.UserQuery) store.UserPage {
	h.t.Helper()
	if q.Sort == "" {
		q.Sort = store.SortLastSeen
	}
	if q.Limit == 0 {
		q.Limit = 100000
	}
	p, err := h.s.ListUsers(context.Background(), q)
	require.NoError(h.t, err, "ListUsers %+v", q)
	return normPage(p)
}

func (h *handle) user(id string) store.UserDetail {
	h.t.Helper()
	d, err := h.s.GetUser(context.Background(), id)
	require.NoError(h.t, err, "GetUser %q", id)
	return normDetail(d)
}

func (h *handle) requireNoUser(id string) {
	h.t.Helper()
	_, err := h.s.GetUser(context.Background(), id)
	require.Error(h.t, err, "GetUser %q", id)
	require.True(h.t, errors.Is(err, store.ErrNotFound), "GetUser %q: want store.ErrNotFound, got %v", id, err)
}

// normPage and normDetail make empty lists nil, so that stores may return
// either.
func normPage(p store.UserPage) store.UserPage {
	if len(p.Users) == 0 {
		p.Users = nil
	}
	for i := range p.Users {
		if len(p.Users[i].Agents) == 0 {
			p.Users[i].Agents = nil
		}
	}
	return p
}

func normDetail(d store.UserDetail) store.UserDetail {
	if len(d.Summary.Agents) == 0 {
		d.Summary.Agents = nil
	}
	if len(d.CostByModel) == 0 {
		d.CostByModel = nil
	}
	if len(d.Runs) == 0 {
		d.Runs = nil
	}
	return d
}

// zeroRunIDs returns d with run ids zeroed, after checking they are set and
// distinct (ids are assigned by the store, in arrival order).
func zeroRunIDs(t *testing.T, d store.UserDetail) store.UserDetail {
	t.Helper()
	seen := map[int64]bool{}
	runs := make([]store.RunSummary, len(d.Runs))
	for i, r := range d.Runs {
		require.Positive(t, r.ID, "run %s id", r.Key)
		require.False(t, seen[r.ID], "run id %d twice", r.ID)
		seen[r.ID] = true
		r.ID = 0
		runs[i] = r
	}
	if len(runs) == 0 {
		runs = nil
	}
	d.Runs = runs
	return d
}

func seed(t *testing.T) uint64 {
	t.Helper()
	if v := os.Getenv(SeedEnv); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, SeedEnv)
		t.Logf("seed %d (from %s)", s, SeedEnv)
		return s
	}
	s := uint64(time.Now().UnixNano())
	t.Logf("seed %d (rerun with %s=%d)", s, SeedEnv, s)
	return s
}

// RunSearch runs the search test alone: a store may check it under
// settings of its own (for example with an index forced).
func RunSearch(t *testing.T, o Opener) { testSearch(t, o) }
