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

	"github.com/waxell/otelcol-waxell/internal/testutil/fixturetest"
)

// Fixtures: testdata/fixtures/<convention>/*.json, recorded from the real npm
// libraries or hand-built from the reference where only Python exists. The
// expectations are testdata/fixtures/expected.json (the README's "Expected
// per-user results"). The fixtures are extracted without a pricer, so only
// reported costs are non-zero.

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

// loadFixtureWants reads testdata/fixtures/expected.json, keyed by the
// fixture's path under testdata/fixtures.
func loadFixtureWants(t *testing.T) map[string][]fixtureRunWant {
	t.Helper()
	raw, err := fixturetest.LoadExpected(fixtureDir)
	require.NoError(t, err)
	out := make(map[string][]fixtureRunWant, len(raw))
	for f, runs := range raw {
		for _, r := range runs {
			w := fixtureRunWant{user: r.User, session: r.Session, agent: r.Agent, implicit: r.Implicit, err: r.Error}
			for _, c := range r.Calls {
				w.calls = append(w.calls, callWant{c.Model, Usage{Input: c.Input, Output: c.Output, CacheRead: c.CacheRead, CacheWrite: c.CacheWrite, Reasoning: c.Reasoning}, c.ReportedCostNanos})
			}
			out[f] = append(out[f], w)
		}
	}
	return out
}

var (
	// Conventions the spans of each directory may be detected as.
	fixtureConventions = map[string][]string{
		"otel-genai":    {ConvOTelGenAI, ConvOther}, // the batch root has no attributes at all
		"openinference": {ConvOpenInference},
		"vercel-ai":     {ConvVercelAI},
		"traceloop":     {ConvOpenLLMetry},
		"langfuse":      {ConvLangfuse},
		"anthropic":     {ConvOTelGenAI, ConvOpenInference},      // SDK built-in tracing, OpenInference, and a manual agent span
		"openlit":       {ConvOpenLIT, ConvOTelGenAI, ConvOther}, // manual agent spans and an attribute-less batch root
		"pydantic-ai":   {ConvPydanticAI, ConvOther},
		"strands":       {ConvStrands, ConvOther},
		"google-adk":    {ConvGoogleADK, ConvOTelGenAI, ConvOther}, // the app's request spans carry only user.id
		"litellm":       {ConvLiteLLM, ConvOTelGenAI, ConvOther},
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
	require.NotEmpty(t, files, "no fixtures under %s", fixtureDir)
	fixtureWants := loadFixtureWants(t)
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
			require.True(t, ok, "no expectations for %s in testdata/fixtures/expected.json", rel)
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
	sort.Slice(runs, func(i, j int) bool {
		if runs[i].user != runs[j].user {
			return runs[i].user < runs[j].user
		}
		return len(runs[i].calls) > 0 && len(runs[j].calls) > 0 && runs[i].calls[0].model < runs[j].calls[0].model
	})
}
