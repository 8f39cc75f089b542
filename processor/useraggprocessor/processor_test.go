package useraggprocessor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/processor/useraggprocessor/internal/metadata"
)

var update = flag.Bool("update", false, "rewrite the expected golden files in testdata/traces")

// harness runs a processor built through the factory into a sink, with
// observable metrics and logs.
type harness struct {
	proc processor.Traces
	sink *consumertest.TracesSink
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
}

func newHarness(t testing.TB, cfg *Config) *harness {
	t.Helper()
	h := &harness{sink: new(consumertest.TracesSink), tel: componenttest.NewTelemetry()}
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	core, logs := observer.New(zap.InfoLevel)
	set.Logger = zap.New(core)
	h.logs = logs
	p, err := NewFactory().CreateTraces(context.Background(), set, cfg, h.sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	h.proc = p
	t.Cleanup(func() {
		require.NoError(t, p.Shutdown(context.Background()))
		require.NoError(t, h.tel.Shutdown(context.Background()))
	})
	return h
}

func (h *harness) consume(t testing.TB, td ptrace.Traces) ptrace.Traces {
	t.Helper()
	require.NoError(t, h.proc.ConsumeTraces(context.Background(), td))
	all := h.sink.AllTraces()
	require.NotEmpty(t, all)
	return all[len(all)-1]
}

// sum returns the value of a counter for the given attributes (none: the
// total over all attribute sets), 0 when the metric was never recorded.
func (h *harness) sum(t testing.TB, name string, attrs ...attribute.KeyValue) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	data, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is not an int64 sum", name)
	want := attribute.NewSet(attrs...)
	var total int64
	for _, dp := range data.DataPoints {
		if len(attrs) == 0 || dp.Attributes.Equals(&want) {
			total += dp.Value
		}
	}
	return total
}

// spansByID flattens traces to span id -> span.
func spansByID(td ptrace.Traces) map[pcommon.SpanID]ptrace.Span {
	out := map[pcommon.SpanID]ptrace.Span{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				out[spans.At(k).SpanID()] = spans.At(k)
			}
		}
	}
	return out
}

func attrs(t testing.TB, td ptrace.Traces, id uint64) map[string]any {
	t.Helper()
	s, ok := spansByID(td)[spanID(id)]
	require.True(t, ok, "span %d not found", id)
	return s.Attributes().AsRaw()
}

func TestComponentFactoryType(t *testing.T) {
	assert.Equal(t, "useragg", NewFactory().Type().String())
	assert.Equal(t, component.StabilityLevelDevelopment, NewFactory().TracesStability())
}

func TestComponentConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(NewFactory().CreateDefaultConfig()))
}

func TestComponentLifecycle(t *testing.T) {
	f := NewFactory()
	sink := new(consumertest.TracesSink)
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), sink)
	require.NoError(t, err)
	assert.True(t, p.Capabilities().MutatesData)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, p.ConsumeTraces(context.Background(), buildTraces(agentRun(1, "alice"))))
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, 5, sink.SpanCount())
}

// TestGolden runs each testdata/traces/<case>/input.yaml through the
// processor and compares the attributes of every span with expected.yaml.
// Run with -update to rewrite the expected files after a reviewed change.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "traces", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			in, err := golden.ReadTraces(filepath.Join(dir, "input.yaml"))
			require.NoError(t, err)
			original := ptrace.NewTraces()
			in.CopyTo(original)

			h := newHarness(t, createDefaultConfig().(*Config))
			got := h.consume(t, in)

			expectedFile := filepath.Join(dir, "expected.yaml")
			if *update {
				require.NoError(t, golden.WriteTracesToFile(expectedFile, got))
			}
			want, err := golden.ReadTraces(expectedFile)
			require.NoError(t, err)
			assertSameSpans(t, want, got)
			assertOriginalsKept(t, original, got)
		})
	}
}

// assertSameSpans compares every span's attributes, keyed by span id.
func assertSameSpans(t *testing.T, want, got ptrace.Traces) {
	t.Helper()
	ws, gs := spansByID(want), spansByID(got)
	require.Len(t, gs, len(ws))
	for id, w := range ws {
		g, ok := gs[id]
		require.True(t, ok, "span %s missing", id)
		assert.Equal(t, w.Attributes().AsRaw(), g.Attributes().AsRaw(), "attributes of span %s (%s)", id, w.Name())
	}
}

// assertOriginalsKept checks that the processor only added waxell.*
// attributes and changed nothing else.
func assertOriginalsKept(t *testing.T, before, after ptrace.Traces) {
	t.Helper()
	as := spansByID(after)
	for id, b := range spansByID(before) {
		a := as[id]
		for k, v := range b.Attributes().AsRaw() {
			assert.Equal(t, v, a.Attributes().AsRaw()[k], "span %s attribute %s changed", id, k)
		}
		a.Attributes().Range(func(k string, _ pcommon.Value) bool {
			if _, ok := b.Attributes().Get(k); !ok {
				assert.Regexp(t, `^waxell\.`, k, "span %s: unexpected new attribute", id)
			}
			return true
		})
		assert.Equal(t, b.Name(), a.Name())
		assert.Equal(t, b.StartTimestamp(), a.StartTimestamp())
		assert.Equal(t, b.ParentSpanID(), a.ParentSpanID())
	}
}

func TestAgentRunCanonicalAttributes(t *testing.T) {
	h := newHarness(t, createDefaultConfig().(*Config))
	got := h.consume(t, buildTraces(agentRun(1, "alice")))
	runKey := genai.RunKey(traceID(1), spanID(2))

	root := attrs(t, got, 1) // HTTP server span: not GenAI, not in the run
	assert.Equal(t, "other", root[genai.AttrSpanRole])
	assert.Equal(t, "alice", root[genai.AttrOwnUserID])
	assert.NotContains(t, root, genai.AttrRunKey)
	assert.NotContains(t, root, genai.AttrUsageCounted)

	agent := attrs(t, got, 2)
	assert.Equal(t, "agent", agent[genai.AttrSpanRole])
	assert.Equal(t, runKey, agent[genai.AttrRunKey])
	assert.Equal(t, true, agent[genai.AttrRunRoot])
	assert.Equal(t, "alice", agent[genai.AttrUserID], "user comes from the ancestor HTTP span (S3)")
	assert.Equal(t, "sess-42", agent[genai.AttrSessionID])
	assert.Equal(t, "support-bot", agent[genai.AttrAgentName])
	assert.Equal(t, "default", agent[genai.AttrWorkflowName])
	assert.NotContains(t, agent, genai.AttrUsageCounted, "no usage, nothing to count")

	for _, id := range []uint64{3, 5} {
		llm := attrs(t, got, id)
		assert.Equal(t, "llm", llm[genai.AttrSpanRole])
		assert.Equal(t, runKey, llm[genai.AttrRunKey])
		assert.NotContains(t, llm, genai.AttrRunRoot, "written only on the root")
		assert.Equal(t, "alice", llm[genai.AttrUserID])
		assert.NotContains(t, llm, genai.AttrOwnUserID, "the LLM span names no user itself")
		assert.Equal(t, "gpt-4o", llm[genai.AttrModel])
		assert.Equal(t, "openai", llm[genai.AttrProvider])
		assert.Equal(t, true, llm[genai.AttrUsageCounted])
		assert.Equal(t, "computed", llm[genai.AttrCostSource])
		assert.Equal(t, "otel-genai", llm[genai.AttrConvention])
	}
	first := attrs(t, got, 3)
	assert.Equal(t, int64(1200), first[genai.AttrInputTokens])
	assert.Equal(t, int64(1000), first[genai.AttrCacheReadTokens])
	// gpt-4o: 200 x $2.50 + 1000 x $1.25 (cached) + 300 x $10 per 1M tokens.
	assert.InDelta(t, 0.00475, first[genai.AttrCostUSD], 1e-12)

	tool := attrs(t, got, 4)
	assert.Equal(t, "tool", tool[genai.AttrSpanRole])
	assert.NotContains(t, tool, genai.AttrUsageCounted)

	// The prompt attribute is left as it was.
	assert.Contains(t, first["gen_ai.input.messages"], "hello")
}

func TestImplicitRunRootIsTheTraceRoot(t *testing.T) {
	h := newHarness(t, createDefaultConfig().(*Config))
	got := h.consume(t, buildTraces(implicitRun(2)))
	runKey := genai.RunKey(traceID(2), spanID(11))

	root := attrs(t, got, 11)
	assert.Equal(t, runKey, root[genai.AttrRunKey])
	assert.Equal(t, true, root[genai.AttrRunRoot])
	assert.Equal(t, "bob", root[genai.AttrUserID], "found inside the run (S3)")

	reported := attrs(t, got, 12)
	assert.Equal(t, runKey, reported[genai.AttrRunKey])
	assert.Equal(t, "reported", reported[genai.AttrCostSource])
	assert.InDelta(t, 0.0042, reported[genai.AttrCostUSD], 1e-12)

	unpriced := attrs(t, got, 13)
	assert.Equal(t, "unpriced", unpriced[genai.AttrCostSource])
	assert.Equal(t, 0.0, unpriced[genai.AttrCostUSD])
	assert.Equal(t, true, unpriced[genai.AttrUsageCounted])

	assert.Equal(t, int64(1), h.sum(t, metricCallsUnpriced))
	assert.Equal(t, int64(2), h.sum(t, metricCalls))
}

func TestUsageIsCountedOnce(t *testing.T) {
	h := newHarness(t, createDefaultConfig().(*Config))
	got := h.consume(t, buildTraces(wrappedCalls(3), vercelRun(5)))

	// OpenLLMetry: the deepest of two wrapped LLM spans counts; the agent
	// span repeating the usage does not.
	assert.Equal(t, false, attrs(t, got, 22)[genai.AttrUsageCounted])
	assert.Equal(t, false, attrs(t, got, 23)[genai.AttrUsageCounted])
	assert.Equal(t, true, attrs(t, got, 24)[genai.AttrUsageCounted])
	assert.Equal(t, "carol", attrs(t, got, 24)[genai.AttrUserID])

	// Vercel: the outer ai.generateText is the agent, doGenerate the call.
	assert.Equal(t, false, attrs(t, got, 41)[genai.AttrUsageCounted])
	assert.Equal(t, true, attrs(t, got, 41)[genai.AttrRunRoot])
	assert.Equal(t, "summarize", attrs(t, got, 41)[genai.AttrAgentName])
	assert.Equal(t, true, attrs(t, got, 42)[genai.AttrUsageCounted])
	assert.Equal(t, "frank", attrs(t, got, 42)[genai.AttrUserID])

	assert.Equal(t, int64(2), h.sum(t, metricCalls))
	assert.Equal(t, int64(2), h.sum(t, metricRuns))
}

func TestBatchJobRunsPerUser(t *testing.T) {
	h := newHarness(t, createDefaultConfig().(*Config))
	got := h.consume(t, buildTraces(batchJob(4)))

	assert.Equal(t, genai.RunKey(traceID(4), spanID(32)), attrs(t, got, 33)[genai.AttrRunKey])
	assert.Equal(t, "dave", attrs(t, got, 33)[genai.AttrUserID])
	assert.Equal(t, genai.RunKey(traceID(4), spanID(34)), attrs(t, got, 35)[genai.AttrRunKey])
	assert.Equal(t, "erin", attrs(t, got, 35)[genai.AttrUserID], "the run root's user wins")
	assert.Equal(t, "mallory", attrs(t, got, 35)[genai.AttrOwnUserID], "the span's own value is kept")

	assert.Equal(t, int64(2), h.sum(t, metricRuns))
	assert.Equal(t, int64(1), h.sum(t, metricUserConflicts))
}

func TestMetrics(t *testing.T) {
	h := newHarness(t, createDefaultConfig().(*Config))
	td := buildTraces(agentRun(1, "alice@example.com"), implicitRun(2), wrappedCalls(3))
	// A GenAI trace with no user anywhere.
	td.ResourceSpans().At(0).CopyTo(td.ResourceSpans().AppendEmpty())
	noUser := td.ResourceSpans().At(td.ResourceSpans().Len() - 1)
	setTrace(noUser, traceID(99))
	noUser.ScopeSpans().At(0).Spans().At(0).Attributes().Remove("user.id")

	h.consume(t, td)

	conv := func(c string) attribute.KeyValue { return attribute.String("convention", c) }
	assert.Equal(t, int64(td.SpanCount()), h.sum(t, metricSpans), "every span is counted once")
	assert.Equal(t, int64(4+1+4), h.sum(t, metricSpans, conv(genai.ConvOTelGenAI)))
	assert.Equal(t, int64(2), h.sum(t, metricSpans, conv(genai.ConvOpenInference)))

	assert.Equal(t, int64(4), h.sum(t, metricRuns))
	assert.Equal(t, int64(2+2+1+2), h.sum(t, metricCalls))
	assert.Equal(t, int64(1), h.sum(t, metricCallsUnpriced))
	assert.Equal(t, int64(4), h.sum(t, metricWithoutUser), "agent, tool and two chat spans of the user-less run")
	assert.Equal(t, int64(0), h.sum(t, metricUserConflicts))
	assert.Equal(t, int64(1), h.sum(t, metricEmailLike))
	assert.Equal(t, int64(1), h.sum(t, metricRejected,
		attribute.String("attribute", "gen_ai.usage.reasoning_tokens"),
		attribute.String("reason", genai.ReasonNotNumber)))
}

func setTrace(rs ptrace.ResourceSpans, id pcommon.TraceID) {
	sss := rs.ScopeSpans()
	for j := 0; j < sss.Len(); j++ {
		spans := sss.At(j).Spans()
		for k := 0; k < spans.Len(); k++ {
			spans.At(k).SetTraceID(id)
		}
	}
}

func TestBadValuesNeverFailTheBatch(t *testing.T) {
	h := newHarness(t, createDefaultConfig().(*Config))
	td := buildTraces(resourceSpec{service: "svc", trace: 7, scopes: []scopeSpec{{name: "x", spans: []spanSpec{
		{id: 101, name: "chat", attrs: map[string]any{
			"gen_ai.operation.name":      "chat",
			"gen_ai.request.model":       "gpt-4o",
			"gen_ai.usage.input_tokens":  -5,
			"gen_ai.usage.output_tokens": "many",
			"user.id":                    []any{"not", "a", "string"},
		}},
		{id: 102, name: "chat", attrs: map[string]any{
			"gen_ai.operation.name":      "chat",
			"gen_ai.request.model":       "gpt-4o",
			"gen_ai.usage.input_tokens":  10,
			"gen_ai.usage.output_tokens": 1,
			"user.id":                    "ok-user",
		}},
	}}}}, agentRun(8, "alice"))
	got := h.consume(t, td)
	assert.Equal(t, td.SpanCount(), got.SpanCount())
	assert.Equal(t, "llm", attrs(t, got, 101)[genai.AttrSpanRole])
	assert.Equal(t, "ok-user", attrs(t, got, 102)[genai.AttrUserID])
	assert.Positive(t, h.sum(t, metricRejected))

	// Logged once, rate-limited: a second identical batch adds no message.
	n := h.logs.FilterMessageSnippet("Skipped malformed").Len()
	assert.Positive(t, n)
	h.consume(t, buildTraces(resourceSpec{service: "svc", trace: 9, scopes: []scopeSpec{{name: "x", spans: []spanSpec{
		{id: 1, name: "chat", attrs: map[string]any{"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": -5}},
	}}}}))
	assert.Equal(t, n, h.logs.FilterMessageSnippet("Skipped malformed").Len())
	for _, e := range h.logs.All() {
		for _, f := range e.Context {
			assert.NotEqual(t, "value", f.Key, "values are never logged")
		}
	}
}

func hmacHex(key, id string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))
}

func TestPseudonymize(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	cfg := createDefaultConfig().(*Config)
	cfg.Privacy.Pseudonymize = PseudonymizeConfig{Enabled: true, Key: key}
	h := newHarness(t, cfg)

	got := h.consume(t, buildTraces(agentRun(1, "alice@example.com")))
	want := hmacHex(key, "alice@example.com")
	assert.Len(t, want, 64)
	assert.Equal(t, want, attrs(t, got, 1)[genai.AttrOwnUserID])
	assert.Equal(t, want, attrs(t, got, 3)[genai.AttrUserID])
	assert.Equal(t, "alice@example.com", attrs(t, got, 1)["user.id"], "original attribute untouched")
	assert.Equal(t, "sess-42", attrs(t, got, 3)[genai.AttrSessionID], "only user ids are pseudonymised")

	// Same input, same output, in a later batch.
	again := h.consume(t, buildTraces(agentRun(2, "alice@example.com")))
	assert.Equal(t, want, attrs(t, again, 3)[genai.AttrUserID])

	assert.Equal(t, int64(2), h.sum(t, metricEmailLike))
	assert.Zero(t, h.logs.FilterMessageSnippet("email").Len(), "no warning when ids are pseudonymised")
}

// TestPseudonymizeBatch puts several users, some repeated, in one batch:
// the batch's pseudonym cache must give every trace its own user's pseudonym.
func TestPseudonymizeBatch(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	cfg := createDefaultConfig().(*Config)
	cfg.Privacy.Pseudonymize = PseudonymizeConfig{Enabled: true, Key: key}
	h := newHarness(t, cfg)
	users := []struct {
		trace uint64
		user  string
	}{{1, "alice"}, {2, "bob"}, {3, "alice"}, {4, "carol"}, {5, "bob"}}
	var specs []resourceSpec
	for _, u := range users {
		specs = append(specs, agentRun(u.trace, u.user))
	}
	got := h.consume(t, buildTraces(specs...))
	userOf := map[pcommon.TraceID]string{}
	for _, u := range users {
		userOf[traceID(u.trace)] = u.user
	}
	spans := spansInOrder(got)
	require.NotEmpty(t, spans)
	for _, span := range spans {
		want := hmacHex(key, userOf[span.TraceID()])
		a := span.Attributes().AsRaw()
		assert.Equal(t, want, a[genai.AttrUserID], "trace %s span %s", span.TraceID(), span.SpanID())
		if own, ok := a[genai.AttrOwnUserID]; ok {
			assert.Equal(t, want, own, "trace %s span %s", span.TraceID(), span.SpanID())
		}
	}
}

func TestPseudonymizeKeyFromEnv(t *testing.T) {
	t.Setenv("WAXELL_TEST_PSEUDONYM_KEY", "env-key")
	cfg := createDefaultConfig().(*Config)
	cfg.Privacy.Pseudonymize = PseudonymizeConfig{Enabled: true, KeyEnv: "WAXELL_TEST_PSEUDONYM_KEY"}
	h := newHarness(t, cfg)
	got := h.consume(t, buildTraces(agentRun(1, "bob")))
	assert.Equal(t, hmacHex("env-key", "bob"), attrs(t, got, 3)[genai.AttrUserID])
	assert.Equal(t, 1, h.logs.FilterMessageSnippet("key is short").Len())
}

func TestEmailWarning(t *testing.T) {
	h := newHarness(t, createDefaultConfig().(*Config))
	h.consume(t, buildTraces(agentRun(1, "alice@example.com")))
	h.consume(t, buildTraces(agentRun(2, "bob@example.com")))
	assert.Equal(t, int64(2), h.sum(t, metricEmailLike))
	logs := h.logs.FilterMessageSnippet("email").All()
	require.Len(t, logs, 1, "rate-limited")
	for _, f := range logs[0].Context {
		assert.NotContains(t, f.String, "@", "the ids themselves are never logged")
	}

	cfg := createDefaultConfig().(*Config)
	cfg.Privacy.WarnEmailUserIDs = false
	off := newHarness(t, cfg)
	off.consume(t, buildTraces(agentRun(1, "alice@example.com")))
	assert.Zero(t, off.sum(t, metricEmailLike))
	assert.Zero(t, off.logs.FilterMessageSnippet("email").Len())
}

func TestPricingConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Pricing.LiteLLMFile = filepath.Join("testdata", "litellm.json")
	cfg.Pricing.Overrides = map[string]PriceConfig{"gpt-4o": {Input: ptr(1), Output: ptr(2)}}
	h := newHarness(t, cfg)

	td := buildTraces(agentRun(1, "alice"))
	spans := spansByID(td)
	spans[spanID(5)].Attributes().PutStr("gen_ai.response.model", "acme-chat-1")
	got := h.consume(t, td)

	// Override: gpt-4o at $1 in / $2 out, no cached price (billed at input).
	assert.InDelta(t, (1200*1.0+300*2.0)/1e6, attrs(t, got, 3)[genai.AttrCostUSD], 1e-12)
	// LiteLLM file: acme-chat-1 at $1 in / $4 out per 1M.
	assert.InDelta(t, (1500*1.0+250*4.0)/1e6, attrs(t, got, 5)[genai.AttrCostUSD], 1e-12)
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{
			name:    "unreadable litellm file",
			mutate:  func(c *Config) { c.Pricing.LiteLLMFile = filepath.Join(t.TempDir(), "missing.json") },
			wantErr: "pricing.litellm_file",
		},
		{
			name: "malformed litellm file",
			mutate: func(c *Config) {
				c.Pricing.LiteLLMFile = filepath.Join("..", "..", "internal", "pricing", "testdata", "litellm_malformed.json")
			},
			wantErr: "pricing.litellm_file",
		},
		{
			name: "key env unset",
			mutate: func(c *Config) {
				c.Privacy.Pseudonymize = PseudonymizeConfig{Enabled: true, KeyEnv: "WAXELL_TEST_SURELY_UNSET_VAR"}
			},
			wantErr: "WAXELL_TEST_SURELY_UNSET_VAR is unset or empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
			require.NoError(t, err)
			err = p.Start(context.Background(), componenttest.NewNopHost())
			require.ErrorContains(t, err, tt.wantErr)
			require.NoError(t, p.Shutdown(context.Background()))
		})
	}
}

func TestLooksLikeEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"alice@example.com":      true,
		"a.b+tag@sub.example.io": true,
		"alice":                  false,
		"@example.com":           false,
		"alice@":                 false,
		"alice@localhost":        false,
		"alice@example.":         false,
		"a@b@c.com":              false,
		"Alice <a@example.com>":  false,
		"user-123":               false,
	} {
		assert.Equal(t, want, looksLikeEmail(s), s)
	}
}

func TestConfiguredKeysWinOverBuiltIn(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Attributes.UserID = []string{"customer_id"}
	cfg.Attributes.InputTokens = []string{"app.tokens.in"}
	h := newHarness(t, cfg)

	td := buildTraces(agentRun(1, "alice"))
	spans := spansByID(td)
	spans[spanID(1)].Attributes().PutStr("customer_id", "cust-7")
	spans[spanID(3)].Attributes().PutInt("app.tokens.in", 5000)
	got := h.consume(t, td)

	assert.Equal(t, "cust-7", attrs(t, got, 3)[genai.AttrUserID])
	assert.Equal(t, int64(5000), attrs(t, got, 3)[genai.AttrInputTokens])
	assert.Equal(t, int64(1500), attrs(t, got, 5)[genai.AttrInputTokens], "built-in keys still apply")
}
