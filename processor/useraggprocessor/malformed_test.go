package useraggprocessor

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// malformedCase is one malformed but decodable span, alone in its trace (an
// implicit run around one chat call), and its defined outcome.
type malformedCase struct {
	name   string
	attrs  map[string]any    // merged over a valid chat call of user "u-<trace>"
	mutate func(ptrace.Span) // applied after the attributes

	// Outcome.
	skipped  string    // genai.SkipReason, or "" when the span is counted
	rejected [2]string // attribute, reason counted in useragg.values.rejected ("" when none)
	check    func(t *testing.T, got map[string]any)
}

const malformedBase = 100

// malformedCases lists every class of malformed input of issue 8 with its
// outcome; docs/reliability.md summarises them.
func malformedCases() []malformedCase {
	mb := strings.Repeat("u", 1<<20) // a 1 MB user id
	return []malformedCase{
		{name: "tokens as numeric string", attrs: map[string]any{"gen_ai.usage.input_tokens": " 120 "},
			check: func(t *testing.T, got map[string]any) { assert.Equal(t, int64(120), got[genai.AttrInputTokens]) }},
		{name: "tokens as non-numeric string", attrs: map[string]any{"gen_ai.usage.input_tokens": "many"},
			rejected: [2]string{"gen_ai.usage.input_tokens", genai.ReasonNotNumber},
			check:    inputIgnored},
		{name: "negative tokens", attrs: map[string]any{"gen_ai.usage.input_tokens": -5},
			rejected: [2]string{"gen_ai.usage.input_tokens", genai.ReasonNegative},
			check:    inputIgnored},
		{name: "NaN tokens", attrs: map[string]any{"gen_ai.usage.input_tokens": math.NaN()},
			rejected: [2]string{"gen_ai.usage.input_tokens", genai.ReasonNotFinite},
			check:    inputIgnored},
		{name: "infinite tokens", attrs: map[string]any{"gen_ai.usage.input_tokens": math.Inf(1)},
			rejected: [2]string{"gen_ai.usage.input_tokens", genai.ReasonNotFinite},
			check:    inputIgnored},
		{name: "huge tokens", attrs: map[string]any{"gen_ai.usage.input_tokens": int64(1e13)},
			rejected: [2]string{"gen_ai.usage.input_tokens", genai.ReasonTooLarge},
			check:    inputIgnored},
		{name: "huge tokens as string", attrs: map[string]any{"gen_ai.usage.input_tokens": "123456789012345678901234567890"},
			rejected: [2]string{"gen_ai.usage.input_tokens", genai.ReasonTooLarge},
			check:    inputIgnored},
		{name: "NaN cost", attrs: map[string]any{"gen_ai.usage.cost": math.NaN()},
			rejected: [2]string{"gen_ai.usage.cost", genai.ReasonNotFinite},
			check:    costComputed},
		{name: "infinite cost", attrs: map[string]any{"gen_ai.usage.cost": math.Inf(1)},
			rejected: [2]string{"gen_ai.usage.cost", genai.ReasonNotFinite},
			check:    costComputed},
		{name: "negative cost", attrs: map[string]any{"gen_ai.usage.cost": -0.5},
			rejected: [2]string{"gen_ai.usage.cost", genai.ReasonNegative},
			check:    costComputed},
		{name: "1 MB user id", attrs: map[string]any{"user.id": mb},
			rejected: [2]string{"user.id", genai.ReasonIDTooLong},
			check: func(t *testing.T, got map[string]any) {
				assert.Equal(t, genai.HashID(mb), got[genai.AttrUserID])
			}},
		{name: "1 MB user id differing only in its last byte", attrs: map[string]any{"user.id": mb[:len(mb)-1] + "v"},
			rejected: [2]string{"user.id", genai.ReasonIDTooLong},
			check: func(t *testing.T, got map[string]any) {
				assert.Equal(t, genai.HashID(mb[:len(mb)-1]+"v"), got[genai.AttrUserID])
				assert.NotEqual(t, genai.HashID(mb), got[genai.AttrUserID], "two long ids never merge")
			}},
		{name: "user id at the limit is kept", attrs: map[string]any{"user.id": strings.Repeat("k", genai.MaxIDBytes)},
			check: func(t *testing.T, got map[string]any) {
				assert.Equal(t, strings.Repeat("k", genai.MaxIDBytes), got[genai.AttrUserID])
			}},
		{name: "empty user id", attrs: map[string]any{"user.id": ""},
			check: func(t *testing.T, got map[string]any) { assert.NotContains(t, got, genai.AttrUserID) }},
		{name: "user id with NUL", attrs: map[string]any{"user.id": "ali\x00ce"},
			rejected: [2]string{"user.id", genai.ReasonIDNUL},
			check: func(t *testing.T, got map[string]any) {
				assert.Equal(t, genai.HashID("ali\x00ce"), got[genai.AttrUserID])
			}},
		{name: "user id with invalid UTF-8", attrs: map[string]any{"user.id": "bob\xff\xfe"},
			rejected: [2]string{"user.id", genai.ReasonIDBadUTF8},
			check: func(t *testing.T, got map[string]any) {
				assert.Equal(t, genai.HashID("bob\xff\xfe"), got[genai.AttrUserID])
			}},
		{name: "user id not a string", attrs: map[string]any{"user.id": []any{"x"}},
			rejected: [2]string{"user.id", genai.ReasonNotString},
			check:    func(t *testing.T, got map[string]any) { assert.NotContains(t, got, genai.AttrUserID) }},
		{name: "missing span id", mutate: func(s ptrace.Span) { s.SetSpanID(pcommon.SpanID{}) },
			skipped: genai.SkipNoSpanID},
		{name: "missing trace id", mutate: func(s ptrace.Span) { s.SetTraceID(pcommon.TraceID{}) },
			skipped: genai.SkipNoTraceID},
		{name: "timestamps at zero", mutate: func(s ptrace.Span) { s.SetStartTimestamp(0); s.SetEndTimestamp(0) },
			skipped: genai.SkipNoTimes},
		{name: "timestamps far in the future (kept by default)", mutate: farFuture,
			check: func(t *testing.T, got map[string]any) {
				assert.Equal(t, int64(110), got[genai.AttrInputTokens], "counted at the time it reports (S8)")
			}},
		{name: "timestamps beyond int64", mutate: func(s ptrace.Span) {
			s.SetStartTimestamp(math.MaxUint64)
			s.SetEndTimestamp(math.MaxUint64)
		}, skipped: genai.SkipOverflow},
		{name: "end before start", mutate: func(s ptrace.Span) { s.SetEndTimestamp(s.StartTimestamp() - 1000) },
			rejected: [2]string{genai.IssueEndTime, genai.ReasonEndBeforeStart},
			check: func(t *testing.T, got map[string]any) {
				assert.Equal(t, int64(110), got[genai.AttrInputTokens], "the span is still counted")
			}},
		{name: "start at zero", mutate: func(s ptrace.Span) { s.SetStartTimestamp(0) },
			rejected: [2]string{genai.IssueStartTime, genai.ReasonStartZero},
			check: func(t *testing.T, got map[string]any) {
				assert.Equal(t, int64(110), got[genai.AttrInputTokens], "the span is still counted")
			}},
	}
}

func farFuture(s ptrace.Span) {
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(time.Now().Add(72 * time.Hour)))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(time.Now().Add(73 * time.Hour)))
}

// TestMaxFutureSkew: with max_future_skew set, spans starting further
// ahead of the clock are skipped and counted; slightly early clocks pass.
func TestMaxFutureSkew(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.MaxFutureSkew = 24 * time.Hour
	h := newHarness(t, cfg)
	td, spans := malformedTraces([]malformedCase{{name: "far"}, {name: "skewed"}})
	farFuture(spans[0])
	spans[1].SetStartTimestamp(pcommon.NewTimestampFromTime(time.Now().Add(time.Hour)))
	spans[1].SetEndTimestamp(pcommon.NewTimestampFromTime(time.Now().Add(2 * time.Hour)))
	h.consume(t, td)
	reason, skipped := genai.SkippedReason(spans[0])
	assert.True(t, skipped)
	assert.Equal(t, genai.SkipFuture, reason)
	_, skipped = genai.SkippedReason(spans[1])
	assert.False(t, skipped, "an hour of clock skew is tolerated")
	assert.Equal(t, int64(1), h.sum(t, metricSkipped, attribute.String(attrReason, genai.SkipFuture)))
}

func inputIgnored(t *testing.T, got map[string]any) {
	t.Helper()
	assert.Equal(t, int64(20), got[genai.AttrOutputTokens], "the valid field of the span is kept")
	assert.Equal(t, int64(0), got[genai.AttrInputTokens], "the malformed field is ignored")
	assert.Equal(t, true, got[genai.AttrUsageCounted])
}

func costComputed(t *testing.T, got map[string]any) {
	t.Helper()
	assert.Equal(t, string(genai.CostComputed), got[genai.AttrCostSource], "a malformed reported cost is ignored")
	assert.InDelta(t, (110*2.5+20*10.0)/1e6, got[genai.AttrCostUSD], 1e-12)
}

// malformedTraces builds one valid agent run (trace 1) and one trace per
// case, each a chat call of 110 input and 20 output tokens by "u-<trace>".
func malformedTraces(cases []malformedCase) (ptrace.Traces, []ptrace.Span) {
	td := buildTraces(agentRun(1, "alice"))
	spans := make([]ptrace.Span, len(cases))
	for i, c := range cases {
		trace := uint64(malformedBase + i)
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", "svc")
		attrs := map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
			"gen_ai.usage.input_tokens": 110, "gen_ai.usage.output_tokens": 20,
			"user.id": "u-" + string(rune('a'+i%26)),
		}
		for k, v := range c.attrs {
			attrs[k] = v
		}
		s := appendSpan(rs.ScopeSpans().AppendEmpty().Spans(), trace, spanSpec{id: 1, name: "chat gpt-4o", startMs: 10, endMs: 900, attrs: attrs})
		if c.mutate != nil {
			c.mutate(s)
		}
		spans[i] = s
	}
	return td, spans
}

// TestMalformedOTLP sends every malformed case in ONE batch next to a valid
// run: each gets its defined outcome, is counted, and the rest of the batch
// is processed as if the bad spans were not there.
func TestMalformedOTLP(t *testing.T) {
	cases := malformedCases()
	h := newHarness(t, createDefaultConfig().(*Config))
	td, _ := malformedTraces(cases)
	n := td.SpanCount()
	got := h.consume(t, td)
	require.Equal(t, n, got.SpanCount(), "the processor never drops a span (other exporters still get it)")

	// The valid run is untouched by its neighbours.
	valid := attrs(t, got, 3)
	assert.Equal(t, "alice", valid[genai.AttrUserID])
	assert.Equal(t, true, valid[genai.AttrUsageCounted])

	outSpans := spansInOrder(got)
	require.Len(t, outSpans, 5+len(cases))
	wantRejected := map[[2]string]int64{}
	wantSkipped := map[string]int64{}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := outSpans[5+i]
			raw := s.Attributes().AsRaw()
			reason, skipped := genai.SkippedReason(s)
			if c.skipped != "" {
				require.True(t, skipped, "span not marked as skipped")
				assert.Equal(t, c.skipped, reason)
				assert.NotContains(t, raw, genai.AttrSpanRole, "a skipped span has no canonical facts")
				return
			}
			require.False(t, skipped, "span skipped: %s", reason)
			assert.Equal(t, "llm", raw[genai.AttrSpanRole])
			if c.check != nil {
				c.check(t, raw)
			}
		})
		if c.skipped != "" {
			wantSkipped[c.skipped]++
		}
		if c.rejected[0] != "" {
			wantRejected[c.rejected]++
		}
	}
	for k, want := range wantRejected {
		assert.Equal(t, want, h.sum(t, metricRejected, attribute.String(attrAttribute, k[0]), attribute.String(attrReason, k[1])),
			"useragg.values.rejected{%s, %s}", k[0], k[1])
	}
	for reason, want := range wantSkipped {
		assert.Equal(t, want, h.sum(t, metricSkipped, attribute.String(attrReason, reason)), "useragg.spans.skipped{%s}", reason)
	}
	assert.Equal(t, int64(n), h.sum(t, metricSpans), "every span is counted in useragg.spans, skipped ones too")

	// Logged at a sane rate: one line per kind, and a second identical
	// batch within the minute logs nothing more.
	logged := h.logs.Len()
	assert.Positive(t, h.logs.FilterMessageSnippet("Skipped malformed spans").Len())
	assert.LessOrEqual(t, logged, len(wantRejected)+len(wantSkipped)+1)
	again, _ := malformedTraces(cases)
	h.consume(t, again)
	assert.Equal(t, logged, h.logs.Len(), "rate-limited: no new log line for the same problems")
	assert.Equal(t, 2*wantSkipped[genai.SkipNoTimes], h.sum(t, metricSkipped, attribute.String(attrReason, genai.SkipNoTimes)),
		"but every occurrence is counted")
	for _, e := range h.logs.All() {
		for _, f := range e.Context {
			assert.NotContains(t, f.String, "uuuuuuuu", "values are never logged")
		}
	}
}

// spansInOrder flattens traces in resource, scope, span order.
func spansInOrder(td ptrace.Traces) []ptrace.Span {
	var out []ptrace.Span
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				out = append(out, spans.At(k))
			}
		}
	}
	return out
}
