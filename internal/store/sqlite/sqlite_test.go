package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/storetest"
)

func openFile(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Config{Path: path})
	require.NoError(t, err)
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Opener{
		New: func(t *testing.T) (storetest.Store, func(*testing.T) storetest.Store) {
			path := filepath.Join(t.TempDir(), "waxell.db")
			return openFile(t, path), func(t *testing.T) storetest.Store { return openFile(t, path) }
		},
	})
}

func TestMemory(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: ":memory:"})
	require.NoError(t, err)
	defer s.Close()
	spans := benchTraces(0, 3)
	st, err := s.ApplySpans(ctx, spans)
	require.NoError(t, err)
	require.Equal(t, 12, st.NewSpans)
	p, err := s.ListUsers(ctx, store.UserQuery{Sort: store.SortLastSeen, Limit: 10})
	require.NoError(t, err)
	require.Equal(t, int64(3), p.Count)
	diffs, err := s.Verify(ctx)
	require.NoError(t, err)
	require.Empty(t, diffs)
	// A second in-memory store is a different database.
	s2, err := Open(ctx, Config{Path: ":memory:"})
	require.NoError(t, err)
	defer s2.Close()
	p, err = s2.ListUsers(ctx, store.UserQuery{Sort: store.SortLastSeen, Limit: 10})
	require.NoError(t, err)
	require.Equal(t, int64(0), p.Count)
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	s := openFile(t, path)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close()) // twice is fine
	s = openFile(t, path)
	defer s.Close()
	var n int64
	require.NoError(t, s.read.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n))
	ms, err := store.Migrations(migrationFS)
	require.NoError(t, err)
	require.Equal(t, int64(len(ms)), n)
	var mode string
	require.NoError(t, s.read.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	require.Equal(t, "wal", mode)
}

func TestPermanentErrors(t *testing.T) {
	s := openFile(t, filepath.Join(t.TempDir(), "p.db"))
	defer s.Close()
	_, err := s.write.Exec(`INSERT INTO traces (trace_id) VALUES (x'01')`)
	require.NoError(t, err)
	_, err = s.write.Exec(`INSERT INTO traces (trace_id) VALUES (x'01')`)
	require.Error(t, err)
	require.True(t, IsPermanent(classify("x", err)))
	require.False(t, IsPermanent(classify("x", context.Canceled)))
	require.False(t, IsPermanent(nil))
}

func TestSpanRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openFile(t, filepath.Join(t.TempDir(), "r.db"))
	defer s.Close()
	in := genai.Span{
		TraceID: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, SpanID: [8]byte{0, 0, 0, 0, 0, 0, 0, 1},
		ParentSpanID: [8]byte{9, 9, 9, 9, 9, 9, 9, 9}, Start: -5, End: 1 << 62, Error: true,
		Role: "weird-role", Convention: "c", Service: "svc", UserID: "u\x00\xff", SessionID: "s", AgentName: "a",
		WorkflowName: "w", Model: "m", Provider: "p", HasUsage: true,
		Usage:     genai.Usage{Input: 1, Output: 2, CacheRead: 3, CacheWrite: 4, Reasoning: 5},
		CostNanos: 1<<63 - 1, CostSource: "odd-source",
	}
	_, err := s.ApplySpans(ctx, []genai.Span{in})
	require.NoError(t, err)
	tx, err := s.write.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback()
	out, err := newWriteTx(tx, s.stmts).LoadSpans(ctx, []pcommon.TraceID{in.TraceID})
	require.NoError(t, err)
	require.Equal(t, []genai.Span{in}, out)
}

// benchTraces makes n traces of 4 spans each (agent root with user, tool,
// two LLM calls), numbered from base.
func benchTraces(base, n int) []genai.Span {
	var out []genai.Span
	for i := base; i < base+n; i++ {
		var tid [16]byte
		tid[0] = 0xbe
		for k := 0; k < 8; k++ {
			tid[8+k] = byte(uint64(i) >> (8 * (7 - k)))
		}
		sp := func(k byte) [8]byte { return [8]byte{0, 0, 0, 0, 0, 0, 0, k} }
		start := int64(1_700_000_000_000_000_000) + int64(i)*1_000_000_000
		user := fmt.Sprintf("user-%d", i%50)
		out = append(out,
			genai.Span{TraceID: tid, SpanID: sp(1), Start: start, End: start + 5e9, Role: genai.RoleAgent,
				AgentName: "agent", UserID: user},
			genai.Span{TraceID: tid, SpanID: sp(2), ParentSpanID: sp(1), Start: start + 1, End: start + 2, Role: genai.RoleTool},
			genai.Span{TraceID: tid, SpanID: sp(3), ParentSpanID: sp(1), Start: start + 3, End: start + 4, Role: genai.RoleLLM,
				Model: "gpt-4o", HasUsage: true, Usage: genai.Usage{Input: 100, Output: 20}, CostNanos: 1234, CostSource: genai.CostComputed},
			genai.Span{TraceID: tid, SpanID: sp(4), ParentSpanID: sp(1), Start: start + 5, End: start + 6, Role: genai.RoleLLM,
				Model: "claude", HasUsage: true, Usage: genai.Usage{Input: 10, Output: 2}, CostSource: genai.CostUnpriced},
		)
	}
	return out
}

func BenchmarkApplySpans(b *testing.B) {
	ctx := context.Background()
	s := openFile(b, filepath.Join(b.TempDir(), "bench.db"))
	defer s.Close()
	const traces = 100
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		batch := benchTraces(i*traces, traces)
		i++
		b.StartTimer()
		if _, err := s.ApplySpans(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*traces*4), "ns/span")
}
