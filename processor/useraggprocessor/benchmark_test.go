package useraggprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/processor/useraggprocessor/internal/metadata"
)

// realisticBatch mixes the scenarios of the tests: 20 traces of each
// (agent runs, implicit runs, wrapped calls, batch jobs, Vercel runs), 380
// spans from 100 traces in one batch.
func realisticBatch() ptrace.Traces {
	var rs []resourceSpec
	for i := uint64(0); i < 20; i++ {
		rs = append(rs,
			agentRun(1000+i, "user-"+string(rune('a'+i))),
			implicitRun(2000+i),
			wrappedCalls(3000+i),
			batchJob(4000+i),
			vercelRun(5000+i),
		)
	}
	return buildTraces(rs...)
}

// BenchmarkProcessTraces reports the cost of one realistic batch, plus ns
// per span and per GenAI span (issue 7's unit; the batch's other spans, such
// as HTTP server spans, are processed too), and how many of each a batch
// holds, from which tools/bench works out allocations per span of each kind.
func BenchmarkProcessTraces(b *testing.B) {
	for _, bc := range []struct {
		name  string
		pseud bool
	}{{"default", false}, {"pseudonymize", true}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := createDefaultConfig().(*Config)
			if bc.pseud {
				cfg.Privacy.Pseudonymize = PseudonymizeConfig{Enabled: true, Key: "0123456789abcdef0123456789abcdef"}
			}
			p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
			require.NoError(b, err)
			require.NoError(b, p.Start(context.Background(), componenttest.NewNopHost()))
			defer func() { require.NoError(b, p.Shutdown(context.Background())) }()

			src := realisticBatch()
			spans := src.SpanCount()
			genAISpans := countGenAI(b, p, src)
			inputs := make([]ptrace.Traces, 64)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%len(inputs) == 0 {
					b.StopTimer()
					for k := range inputs {
						inputs[k] = ptrace.NewTraces()
						src.CopyTo(inputs[k])
					}
					b.StartTimer()
				}
				if err := p.ConsumeTraces(context.Background(), inputs[i%len(inputs)]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*spans), "ns/span")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*genAISpans), "ns/genai-span")
			b.ReportMetric(float64(spans), "spans/op")
			b.ReportMetric(float64(genAISpans), "genai-spans/op")
		})
	}
}

// countGenAI is how many spans of src p marks with a GenAI role.
func countGenAI(b *testing.B, p processor.Traces, src ptrace.Traces) int {
	td := ptrace.NewTraces()
	src.CopyTo(td)
	require.NoError(b, p.ConsumeTraces(context.Background(), td))
	n := 0
	for _, s := range spansInOrder(td) {
		if role, ok := s.Attributes().Get(genai.AttrSpanRole); ok && genai.ParseRole(role.Str()) != genai.RoleOther {
			n++
		}
	}
	require.Positive(b, n)
	return n
}
