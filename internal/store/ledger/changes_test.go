package ledger

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// TestDiffSplitsInsertsFromUpdates holds the split the PostgreSQL store
// relies on to write new rows with plain inserts: a row goes to Inserted
// only when it was not stored, to Updated only when it was and changed, and
// unchanged rows to neither.
func TestDiffSplitsInsertsFromUpdates(t *testing.T) {
	trace := pcommon.TraceID{1}
	run := func(root byte, cost int64) genai.Run {
		r := genai.Run{TraceID: trace, RootSpanID: pcommon.SpanID{root}, UserID: "u", Start: 10, End: 20, CostNanos: cost}
		r.Key = genai.RunKey(r.TraceID, r.RootSpanID)
		return r
	}
	call := func(span byte, cost int64) genai.Call {
		return genai.Call{TraceID: trace, SpanID: pcommon.SpanID{span}, RunKey: run(1, 0).Key, UserID: "u",
			Model: "m", CostNanos: cost, CostSource: genai.CostComputed}
	}
	old := []StoredRun{{ID: 1, Run: run(1, 5)}, {ID: 2, Run: run(2, 5)}, {ID: 3, Run: run(3, 5)}}
	oldCalls := []genai.Call{call(11, 5), call(12, 5), call(13, 5)}
	// Run 1 changes, run 2 is gone, run 3 is unchanged, runs 5 and 4 are new
	// (given out of key order); the same for calls 11, 12, 13, 15 and 14.
	ch := Diff(old, oldCalls,
		[]genai.Run{run(1, 7), run(3, 5), run(5, 1), run(4, 1)},
		[]genai.Call{call(11, 7), call(13, 5), call(15, 1), call(14, 1)})

	require.Equal(t, []genai.Run{run(4, 1), run(5, 1)}, ch.RunsInserted)
	require.Equal(t, []genai.Run{run(1, 7)}, ch.RunsUpdated)
	require.Equal(t, []string{run(2, 0).Key}, ch.RunsDeleted)
	require.Equal(t, []genai.Call{call(14, 1), call(15, 1)}, ch.CallsInserted)
	require.Equal(t, []genai.Call{call(11, 7)}, ch.CallsUpdated)
	require.Equal(t, []CallKey{{trace, pcommon.SpanID{12}}}, ch.CallsDeleted)
	require.False(t, ch.Empty())

	same := Diff(old, oldCalls, []genai.Run{run(1, 5), run(2, 5), run(3, 5)}, oldCalls)
	require.True(t, same.Empty(), "%+v", same)
}
