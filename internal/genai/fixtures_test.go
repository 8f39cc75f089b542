package genai

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Recorded fixtures: testdata/fixtures/<convention>/*.json, recorded from the
// real npm libraries. The expectations below are those of
// testdata/fixtures/README.md ("Expected per-user results").

const fixtureDir = "../../testdata/fixtures"

type callWant struct {
	model string
	usage Usage
	cost  int64 // nano-USD; the fixtures are extracted without a pricer, so only reported costs are non-zero
}

type fixtureRunWant struct {
	user, session, agent string
	implicit, err        bool
	calls                []callWant
}

func u(in, out, cr, cw, rs int64) Usage {
	return Usage{Input: in, Output: out, CacheRead: cr, CacheWrite: cw, Reasoning: rs}
}

var (
	// OpenAI fake responses (README table): usage as visible on the spans.
	openAIBatch = func(cached bool) []fixtureRunWant {
		c := func(cr, rs int64) (int64, int64) {
			if cached {
				return cr, rs
			}
			return 0, 0
		}
		cra, rsa := c(32, 16)
		crb, rsb := c(16, 8)
		_, rsc := c(0, 10)
		return []fixtureRunWant{
			{user: "user-a", session: "conv-a", agent: "support-agent", calls: []callWant{{"gpt-4o-2024-08-06", u(120, 48, cra, 0, rsa), 0}}},
			{user: "user-b", session: "conv-b", agent: "support-agent", calls: []callWant{{"gpt-4o-mini", u(80, 24, crb, 0, rsb), 0}}},
			{user: "user-c", session: "conv-c", agent: "support-agent", calls: []callWant{{"gpt-4.1-mini", u(60, 30, 0, 0, rsc), 0}}},
		}
	}
	openAIMulti = func(cached bool) []fixtureRunWant {
		if cached {
			return []fixtureRunWant{{user: "user-123", session: "conv-1", agent: "support-agent", calls: []callWant{
				{"gpt-4o-2024-08-06", u(120, 48, 32, 0, 16), 0}, {"gpt-4o-mini", u(80, 24, 16, 0, 8), 0}}}}
		}
		return []fixtureRunWant{{user: "user-123", session: "conv-1", agent: "support-agent", calls: []callWant{
			{"gpt-4o-2024-08-06", u(120, 48, 0, 0, 0), 0}, {"gpt-4o-mini", u(80, 24, 0, 0, 0), 0}}}}
	}
	failedCall  = []callWant{{"gpt-4o", Usage{}, 0}}
	vercelMulti = func(v6 bool) []fixtureRunWant {
		c := []callWant{{"gpt-4o-2024-08-06", u(140, 22, 0, 0, 0), 0}, {"gpt-4o-2024-08-06", u(120, 48, 0, 0, 0), 0}}
		if v6 {
			c = []callWant{{"gpt-4o-2024-08-06", u(140, 22, 64, 0, 6), 0}, {"gpt-4o-2024-08-06", u(120, 48, 32, 0, 16), 0}}
		}
		return []fixtureRunWant{{user: "user-123", session: "conv-1", agent: "support-agent", calls: c}}
	}
	vercelNoFunction = func(v6 bool) []fixtureRunWant {
		us := u(80, 24, 0, 0, 0)
		if v6 {
			us = u(80, 24, 16, 0, 8)
		}
		// No functionId: no agent span, so an implicit run named after the service.
		return []fixtureRunWant{{user: "user-789", session: "conv-3", agent: "support-app", implicit: true, calls: []callWant{{"gpt-4o-mini", us, 0}}}}
	}
	vercelError = []fixtureRunWant{{user: "user-456", session: "conv-2", agent: "triage-agent", err: true, calls: failedCall}}
	anthropic   = []fixtureRunWant{{user: "user-123", session: "conv-1", agent: "support-agent", calls: []callWant{
		{"claude-sonnet-4-5", u(280, 40, 200, 30, 0), 0}, {"claude-haiku-4-5", u(145, 15, 0, 120, 0), 0}}}}

	fixtureWants = map[string][]fixtureRunWant{
		"otel-genai/multi_call_run.json": openAIMulti(false),
		"otel-genai/error_run.json":      {{user: "user-456", session: "conv-2", agent: "triage-agent", err: true, calls: failedCall}},
		"otel-genai/batch_runs.json":     openAIBatch(false),

		"openinference/multi_call_run.json": openAIMulti(true),
		// The failed LLM span is never exported (README surprise 2).
		"openinference/error_run.json":  {{user: "user-456", session: "conv-2", agent: "triage-agent", err: true}},
		"openinference/batch_runs.json": openAIBatch(true),

		"vercel-ai/v4_multi_step_run.json": vercelMulti(false),
		"vercel-ai/v5_multi_step_run.json": vercelMulti(false),
		"vercel-ai/v6_multi_step_run.json": vercelMulti(true),
		"vercel-ai/v4_no_function_id.json": vercelNoFunction(false),
		"vercel-ai/v5_no_function_id.json": vercelNoFunction(false),
		"vercel-ai/v6_no_function_id.json": vercelNoFunction(true),
		"vercel-ai/v4_error_run.json":      vercelError,
		"vercel-ai/v5_error_run.json":      vercelError,
		"vercel-ai/v6_error_run.json":      vercelError,

		"traceloop/multi_call_run.json": openAIMulti(false),
		// Failed run, but its only exported span has status UNSET: nothing
		// marks it as an error (README surprise 3).
		"traceloop/error_run.json":  {{user: "user-456", session: "conv-2", agent: "triage-agent"}},
		"traceloop/batch_runs.json": openAIBatch(false),

		"langfuse/multi_call_run.json": {{user: "user-123", session: "conv-1", agent: "support-agent", calls: []callWant{
			{"gpt-4o-2024-08-06", u(120, 48, 32, 0, 16), 740000}, {"gpt-4o-mini", u(80, 24, 16, 0, 8), 25200}}}},
		// The agent span is failed through langfuse.observation.level=ERROR only.
		"langfuse/error_run.json": {{user: "user-456", session: "conv-2", agent: "triage-agent", err: true, calls: failedCall}},
		"langfuse/batch_runs.json": {
			{user: "user-a", session: "conv-a", agent: "support-agent", calls: []callWant{{"gpt-4o-2024-08-06", u(120, 48, 32, 0, 16), 740000}}},
			{user: "user-b", session: "conv-b", agent: "support-agent", calls: []callWant{{"gpt-4o-mini", u(80, 24, 16, 0, 8), 25200}}},
			{user: "user-c", session: "conv-c", agent: "support-agent", calls: []callWant{{"gpt-4.1-mini", u(60, 30, 0, 0, 10), 72000}}},
		},

		"anthropic/native_multi_call_run.json":        anthropic,
		"anthropic/openinference_multi_call_run.json": anthropic,
		"anthropic/stacked_multi_call_run.json":       anthropic,
	}

	// Conventions the spans of each directory may be detected as.
	fixtureConventions = map[string][]string{
		"otel-genai":    {ConvOTelGenAI, ConvOther}, // the batch root has no attributes at all
		"openinference": {ConvOpenInference},
		"vercel-ai":     {ConvVercelAI},
		"traceloop":     {ConvOpenLLMetry},
		"langfuse":      {ConvLangfuse},
		"anthropic":     {ConvOTelGenAI, ConvOpenInference}, // SDK built-in tracing, OpenInference, and a manual agent span
	}
)

// loadFixture extracts every span of an OTLP/JSON file, grouped by trace.
func loadFixture(t *testing.T, e *Extractor, path string) (map[pcommon.TraceID][]Span, []Issue) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
	require.NoError(t, err)
	byTrace := map[pcommon.TraceID][]Span{}
	var issues []Issue
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			for k := 0; k < ss.Spans().Len(); k++ {
				s, iss := e.Extract(rs.Resource(), ss.Scope(), ss.Spans().At(k))
				byTrace[s.TraceID] = append(byTrace[s.TraceID], s)
				issues = append(issues, iss...)
			}
		}
	}
	return byTrace, issues
}

func TestRecordedFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*", "*.json"))
	require.NoError(t, err)
	if len(files) == 0 {
		t.Skip("no recorded fixtures under " + fixtureDir)
	}
	e := NewExtractor(ExtractConfig{}, nil)
	for _, f := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(f, fixtureDir+string(filepath.Separator)))
		t.Run(rel, func(t *testing.T) {
			byTrace, issues := loadFixture(t, e, f)
			require.Empty(t, issues)
			dir := strings.SplitN(rel, "/", 2)[0]
			var got []fixtureRunWant
			for _, spans := range byTrace {
				for _, s := range spans {
					if allowed, ok := fixtureConventions[dir]; ok {
						require.Contains(t, allowed, s.Convention, "span %s", s.SpanID)
					}
				}
				asm := Assemble(spans)
				for _, r := range asm.Runs {
					w := fixtureRunWant{user: r.UserID, session: r.SessionID, agent: r.AgentName, implicit: r.Implicit, err: r.Error}
					var total Usage
					var cost int64
					for _, c := range asm.Calls {
						if c.RunKey == r.Key {
							w.calls = append(w.calls, callWant{c.Model, c.Usage, c.CostNanos})
							total = total.Add(c.Usage)
							cost += c.CostNanos
						}
					}
					require.Equal(t, total, r.Usage, "run usage is the sum of its calls")
					require.Equal(t, cost, r.CostNanos)
					require.Equal(t, int64(len(w.calls)), r.CallCount)
					got = append(got, w)
				}
			}
			want, ok := fixtureWants[rel]
			if !ok {
				t.Skipf("no expectations for %s in this test: add them from testdata/fixtures/README.md", rel)
			}
			sortRuns(got)
			sortRuns(want)
			require.Equal(t, want, got)
		})
	}
	for rel := range fixtureWants {
		if _, err := os.Stat(filepath.Join(fixtureDir, rel)); err != nil {
			t.Errorf("expected fixture %s is missing: %v", rel, err)
		}
	}
}

// sortRuns orders runs by user, and each run's calls by model and input.
func sortRuns(runs []fixtureRunWant) {
	for _, r := range runs {
		sort.Slice(r.calls, func(i, j int) bool {
			if r.calls[i].model != r.calls[j].model {
				return r.calls[i].model < r.calls[j].model
			}
			return r.calls[i].usage.Input < r.calls[j].usage.Input
		})
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].user < runs[j].user })
}
