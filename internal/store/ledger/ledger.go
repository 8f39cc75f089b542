// Package ledger applies batches of canonical spans to a store idempotently
// and independently of arrival order (S6, S7). It keeps the dialect-specific
// SQL behind Tx and owns the counting logic both stores share: which spans are
// new, how each touched trace assembles, and the deltas that bring runs,
// calls and rollups from the old assembly to the new one.
package ledger

import (
	"bytes"
	"context"
	"sort"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// StoredRun is a run as kept by a store, with its store-assigned id.
type StoredRun struct {
	ID int64
	genai.Run
}

// Tx is one store transaction. Every method that takes trace ids receives
// them sorted ascending, so that concurrent writers lock rows in one order.
type Tx interface {
	// LockTraces locks the traces (creating their rows) and reports, per id,
	// whether the trace was already known.
	LockTraces(ctx context.Context, traces []pcommon.TraceID) (known []bool, err error)
	LoadSpans(ctx context.Context, traces []pcommon.TraceID) ([]genai.Span, error)
	InsertSpans(ctx context.Context, spans []genai.Span) error
	LoadRuns(ctx context.Context, traces []pcommon.TraceID) ([]StoredRun, error)
	LoadCalls(ctx context.Context, traces []pcommon.TraceID) ([]genai.Call, error)
	ApplyChanges(ctx context.Context, c *Changes) error
}

// Stats describes what one Apply did.
type Stats struct {
	Spans          int // spans received
	NewSpans       int // spans not seen before
	Traces         int // traces with new spans
	RunsChanged    int
	CallsChanged   int
	DuplicateSpans int
	// RetiredSpans are spans of traces that retention already deleted;
	// they are ignored (see retired.go).
	RetiredSpans int
}

// Apply brings the store in line with the union of what it knew and batch.
func Apply(ctx context.Context, tx Tx, batch []genai.Span) (Stats, error) {
	st := Stats{Spans: len(batch)}
	byTrace := groupByTrace(batch)
	traces := make([]pcommon.TraceID, 0, len(byTrace))
	for t := range byTrace {
		traces = append(traces, t)
	}
	sortTraceIDs(traces)
	if len(traces) == 0 {
		return st, nil
	}

	known, err := tx.LockTraces(ctx, traces)
	if err != nil {
		return st, err
	}
	var existing []pcommon.TraceID
	for i, t := range traces {
		if known[i] {
			existing = append(existing, t)
		}
	}
	prior := map[pcommon.TraceID][]genai.Span{}
	if len(existing) > 0 {
		spans, err := tx.LoadSpans(ctx, existing)
		if err != nil {
			return st, err
		}
		for _, s := range spans {
			prior[s.TraceID] = append(prior[s.TraceID], s)
		}
	}

	retired, err := retiredTraces(ctx, tx, traces, known, prior)
	if err != nil {
		return st, err
	}

	fresh := make([]genai.Span, 0, len(batch))
	var touched, touchedExisting []pcommon.TraceID
	for i, t := range traces {
		if retired[t] {
			st.RetiredSpans += len(byTrace[t])
			continue
		}
		seen := make(map[pcommon.SpanID]struct{}, len(prior[t]))
		for _, s := range prior[t] {
			seen[s.SpanID] = struct{}{}
		}
		added := 0
		for _, s := range byTrace[t] {
			if _, dup := seen[s.SpanID]; dup {
				st.DuplicateSpans++
				continue
			}
			seen[s.SpanID] = struct{}{}
			fresh = append(fresh, s)
			added++
		}
		if added > 0 {
			touched = append(touched, t)
			if known[i] {
				touchedExisting = append(touchedExisting, t)
			}
		}
	}
	st.NewSpans = len(fresh)
	st.Traces = len(touched)
	if len(fresh) == 0 {
		return st, nil
	}
	if err := tx.InsertSpans(ctx, fresh); err != nil {
		return st, err
	}

	var oldRuns []StoredRun
	var oldCalls []genai.Call
	if len(touchedExisting) > 0 {
		if oldRuns, err = tx.LoadRuns(ctx, touchedExisting); err != nil {
			return st, err
		}
		if oldCalls, err = tx.LoadCalls(ctx, touchedExisting); err != nil {
			return st, err
		}
	}

	// fresh is grouped by trace in the order of touched: each touched
	// trace's spans are its prior ones followed by one run of fresh.
	newRuns := make([]genai.Run, 0, len(touched))
	newCalls := make([]genai.Call, 0, len(fresh))
	var spans []genai.Span
	for _, t := range touched {
		spans = append(spans[:0], prior[t]...)
		for len(fresh) > 0 && fresh[0].TraceID == t {
			spans = append(spans, fresh[0])
			fresh = fresh[1:]
		}
		asm := genai.Assemble(spans)
		newRuns = append(newRuns, asm.Runs...)
		newCalls = append(newCalls, asm.Calls...)
	}

	ch := Diff(oldRuns, oldCalls, newRuns, newCalls)
	st.RunsChanged = len(ch.RunsInserted) + len(ch.RunsUpdated) + len(ch.RunsDeleted)
	st.CallsChanged = len(ch.CallsInserted) + len(ch.CallsUpdated) + len(ch.CallsDeleted)
	if ch.Empty() {
		return st, nil
	}
	return st, tx.ApplyChanges(ctx, ch)
}

func groupByTrace(batch []genai.Span) map[pcommon.TraceID][]genai.Span {
	out := map[pcommon.TraceID][]genai.Span{}
	for _, s := range batch {
		out[s.TraceID] = append(out[s.TraceID], s)
	}
	return out
}

func sortTraceIDs(ids []pcommon.TraceID) {
	sort.Slice(ids, func(i, j int) bool { return bytes.Compare(ids[i][:], ids[j][:]) < 0 })
}
