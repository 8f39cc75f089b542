package waxellexporter

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/waxell/otelcol-waxell/exporter/waxellexporter/internal/metadata"
	"github.com/waxell/otelcol-waxell/processor/useraggprocessor"
)

// rawAgentRun is an OTel GenAI agent run as an instrumentation emits it,
// with the user on the HTTP server span above the agent.
func rawAgentRun(t *testing.T, trace byte, user string) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "support-api")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	add := func(id, parent byte, name string, startMs, endMs int, attrs map[string]any) {
		s := spans.AppendEmpty()
		s.SetTraceID(traceID(trace))
		s.SetSpanID(spanID(id))
		if parent != 0 {
			s.SetParentSpanID(spanID(parent))
		}
		s.SetName(name)
		s.SetStartTimestamp(ts(startMs))
		s.SetEndTimestamp(ts(endMs))
		require.NoError(t, s.Attributes().FromRaw(attrs))
	}
	add(1, 0, "POST /chat", 0, 3000, map[string]any{"user.id": user})
	add(2, 1, "invoke_agent support-bot", 10, 2990, map[string]any{
		"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support-bot",
	})
	add(3, 2, "chat gpt-4o", 20, 1000, map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
		"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 100,
	})
	return td
}

// TestProcessorThenExporter runs the real pipeline in process: useragg
// annotates, the exporter applies to SQLite, and the default sending queue
// is drained on shutdown.
func TestProcessorThenExporter(t *testing.T) {
	cfg := createDefaultConfig().(*Config) // default queue and retry
	cfg.Store.SQLite.Path = sqliteConfig(t).Store.SQLite.Path
	cfg.API.Get().NetAddr.Endpoint = freeEndpoint(t)

	exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	pf := useraggprocessor.NewFactory()
	proc, err := pf.CreateTraces(context.Background(), processortest.NewNopSettings(pf.Type()), pf.CreateDefaultConfig(), exp)
	require.NoError(t, err)

	host := componenttest.NewNopHost()
	require.NoError(t, exp.Start(context.Background(), host))
	require.NoError(t, proc.Start(context.Background(), host))
	for i := byte(1); i <= 3; i++ {
		require.NoError(t, proc.ConsumeTraces(context.Background(), rawAgentRun(t, i, "alice")))
	}
	require.NoError(t, proc.ConsumeTraces(context.Background(), rawAgentRun(t, 1, "alice")), "replayed trace")
	require.NoError(t, proc.Shutdown(context.Background()))
	require.NoError(t, exp.Shutdown(context.Background()), "drains the queue")

	exp2, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp2.Start(context.Background(), host))
	defer func() { require.NoError(t, exp2.Shutdown(context.Background())) }()

	var user struct {
		Aggregates struct {
			RunCount    int64 `json:"run_count"`
			TotalTokens int64 `json:"total_tokens"`
		} `json:"aggregates"`
	}
	url := "http://" + cfg.API.Get().NetAddr.Endpoint + "/api/v1/observability/users/alice/"
	require.Equal(t, http.StatusOK, getJSON(t, url, &user))
	assert.Equal(t, int64(3), user.Aggregates.RunCount)
	assert.Equal(t, int64(3*1100), user.Aggregates.TotalTokens)
}
