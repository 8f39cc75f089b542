//go:build !race

// Not under -race: the race detector makes sync.Pool drop pooled batches at
// random, so allocation counts are not stable there.

package useraggprocessor

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/processor/useraggprocessor/internal/metadata"
)

// TestProcessTracesAllocs holds the processor to what pdata's public API
// must allocate: one value per canonical attribute written, one growth of
// each span's attribute slice and one string per run key. Anything else per
// span (maps, scratch slices, copies) would exceed the slack.
func TestProcessTracesAllocs(t *testing.T) {
	ctx := context.Background()
	p, err := NewFactory().CreateTraces(ctx, processortest.NewNopSettings(metadata.Type), createDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, p.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, p.Shutdown(ctx)) }()

	src := realisticBatch()
	ref := ptrace.NewTraces()
	src.CopyTo(ref)
	require.NoError(t, p.ConsumeTraces(ctx, ref))
	written, runKeys := 0, map[string]bool{}
	for _, s := range spansInOrder(ref) {
		s.Attributes().Range(func(k string, v pcommon.Value) bool {
			if strings.HasPrefix(k, "waxell.") {
				written++
			}
			if k == genai.AttrRunKey {
				runKeys[v.Str()] = true
			}
			return true
		})
	}
	spans := src.SpanCount()
	floor := written + spans + len(runKeys)

	const runs = 20
	inputs := make([]ptrace.Traces, runs+1) // AllocsPerRun warms up once
	for i := range inputs {
		inputs[i] = ptrace.NewTraces()
		src.CopyTo(inputs[i])
	}
	next := 0
	got := testing.AllocsPerRun(runs, func() {
		require.NoError(t, p.ConsumeTraces(ctx, inputs[next]))
		next++
	})
	t.Logf("%.0f allocations per batch of %d spans (%.2f per span); pdata's floor %d (%.2f per span)",
		got, spans, got/float64(spans), floor, float64(floor)/float64(spans))
	// The slack (measured: 82) covers the batch's fixed costs (metric
	// attribute keys, pdata's own telemetry) and the 20 malformed values of
	// the batch (an issue and a parse error each); one more allocation per
	// span would exceed it.
	require.LessOrEqual(t, got, float64(floor+spans/4))
}
