package exactness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/waxell/otelcol-waxell/internal/testutil/fixturetest"
)

const fixtureDir = "../../testdata/fixtures"

// userWant is a user's lifetime totals, worked out by hand, so that a trace
// set which assembles to nothing cannot pass by comparing nothing with nothing.
type userWant struct {
	Runs   int64
	Tokens int64
}

// traceSet is one unit of the property test: OTLP data that is never
// mutated, its spans in a flat list, and the expected users.
type traceSet struct {
	name string
	td   ptrace.Traces
	refs []spanRef
	want map[string]userWant
}

// spanRef locates one span of a traceSet.
type spanRef struct{ rs, ss, sp int }

func newTraceSet(name string, td ptrace.Traces, want map[string]userWant) *traceSet {
	s := &traceSet{name: name, td: td, want: want}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			for k := 0; k < sss.At(j).Spans().Len(); k++ {
				s.refs = append(s.refs, spanRef{i, j, k})
			}
		}
	}
	return s
}

func (s *traceSet) span(r spanRef) ptrace.Span {
	return s.td.ResourceSpans().At(r.rs).ScopeSpans().At(r.ss).Spans().At(r.sp)
}

// batch copies the given spans (indices into refs, duplicates allowed) into
// new Traces, in the given order, each under a copy of its original resource
// and scope. Consecutive spans of one resource and scope share an entry, so
// the grouping is as random as the order.
func (s *traceSet) batch(idx []int) ptrace.Traces {
	td := ptrace.NewTraces()
	var rs ptrace.ResourceSpans
	var ss ptrace.ScopeSpans
	last := spanRef{-1, -1, -1}
	for _, i := range idx {
		r := s.refs[i]
		if r.rs != last.rs {
			src := s.td.ResourceSpans().At(r.rs)
			rs = td.ResourceSpans().AppendEmpty()
			src.Resource().CopyTo(rs.Resource())
			rs.SetSchemaUrl(src.SchemaUrl())
			last.ss = -1
		}
		if r.ss != last.ss {
			src := s.td.ResourceSpans().At(r.rs).ScopeSpans().At(r.ss)
			ss = rs.ScopeSpans().AppendEmpty()
			src.Scope().CopyTo(ss.Scope())
			ss.SetSchemaUrl(src.SchemaUrl())
		}
		last = r
		s.span(r).CopyTo(ss.Spans().AppendEmpty())
	}
	return td
}

// all lists every span index once, in recorded order.
func (s *traceSet) all() []int {
	idx := make([]int, len(s.refs))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// fixtureWants are the per-user results of testdata/fixtures/expected.json
// (the README's "Expected per-user results"): runs and input+output tokens,
// keyed by convention/file without ".json".
func fixtureWants(t testing.TB) map[string]map[string]userWant {
	t.Helper()
	raw, err := fixturetest.LoadExpected(fixtureDir)
	require.NoError(t, err)
	out := make(map[string]map[string]userWant, len(raw))
	for f, runs := range raw {
		users := map[string]userWant{}
		for _, r := range runs {
			w := users[r.User]
			w.Runs++
			for _, c := range r.Calls {
				w.Tokens += c.Input + c.Output
			}
			users[r.User] = w
		}
		out[strings.TrimSuffix(f, ".json")] = users
	}
	return out
}

// fixtureSets loads every recorded fixture file as its own trace set.
func fixtureSets(t testing.TB) []*traceSet {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no fixtures under %s", fixtureDir)
	wants := fixtureWants(t)
	var out []*traceSet
	seen := map[string]bool{}
	for _, f := range files {
		key := filepath.Base(filepath.Dir(f)) + "/" + strings.TrimSuffix(filepath.Base(f), ".json")
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
		require.NoError(t, err, f)
		require.Positive(t, td.SpanCount(), f)
		want, ok := wants[key]
		require.True(t, ok, "no expected users for fixture %s in %s/expected.json", key, fixtureDir)
		seen[key] = true
		out = append(out, newTraceSet("fixture/"+key, td, want))
	}
	for key := range wants {
		require.True(t, seen[key], "fixture %s is expected but missing", key)
	}
	return out
}

// allSets is every fixture and hazard set, plus one set holding all of them
// at once, so that batches also mix many traces.
func allSets(t testing.TB) []*traceSet {
	t.Helper()
	sets := append(fixtureSets(t), hazardSets()...)
	combined := ptrace.NewTraces()
	want := map[string]userWant{}
	traces := map[[16]byte]string{}
	for _, s := range sets {
		for _, r := range s.refs {
			id := s.span(r).TraceID()
			if prev, dup := traces[id]; dup && prev != s.name {
				t.Fatalf("trace %s is in %s and %s", id, prev, s.name)
			}
			traces[id] = s.name
		}
		rss := s.td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			rss.At(i).CopyTo(combined.ResourceSpans().AppendEmpty())
		}
		for u, w := range s.want {
			cur := want[u]
			want[u] = userWant{cur.Runs + w.Runs, cur.Tokens + w.Tokens}
		}
	}
	return append(sets, newTraceSet("combined", combined, want))
}

func setNames(sets []*traceSet) string {
	var names []string
	for _, s := range sets {
		names = append(names, fmt.Sprintf("%s(%d spans, %d users)", s.name, len(s.refs), len(s.want)))
	}
	return strings.Join(names, " ")
}
