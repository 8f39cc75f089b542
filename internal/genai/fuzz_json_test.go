package genai

import (
	"encoding/binary"
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// FuzzJSONUsageCost fuzzes the JSON usage and cost attributes (Langfuse
// usage_details and cost_details, the only attributes parsed as JSON), next
// to a plain token attribute that must keep its precedence.
func FuzzJSONUsageCost(f *testing.F) {
	for _, s := range [][2]string{
		{`{"input":1,"input_cached_tokens":2,"output":3,"output_reasoning_tokens":9}`, `{"input":0.1,"output":"0.2"}`},
		{`{"prompt_tokens":120,"completion_tokens":30,"prompt_tokens_details":{"cached_tokens":20},"completion_tokens_details":{"reasoning_tokens":40}}`, `{"total":0.0042}`},
		{`{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":100,"cache_creation_input_tokens":50}`, `{"a":999999,"b":999999}`},
		{`{"input":-1,"output":1e400}`, `{"total":"NaN"}`},
		{`{"input":"12","output":"1e3","total":"-0"}`, `{"total":-1,"x":"Infinity"}`},
		{`{"input":1e12,"input_a":1e12,"input_b":1e12}`, `{"total":1e7}`},
		{`{"input":{"nested":1},"output":[1,2],"input_cached_tokens":null}`, `{"total":null,"input":true}`},
		{`[]`, `"0.5"`},
		{`null`, `null`},
		{`{"input":1`, `{`},
		{``, ``},
		{"{\"input\":\"\x00\xff\"}", "{\"total\":\"\u00a0 1\"}"},
	} {
		f.Add(s[0], s[1], int64(7))
	}
	e := newTestExtractor()
	f.Fuzz(func(t *testing.T, usage, cost string, plain int64) {
		attrs := []kv{a("langfuse.observation.type", "generation"), a("gen_ai.request.model", "gpt-4o"),
			a("langfuse.observation.usage_details", usage), a("langfuse.observation.cost_details", cost)}
		if plain >= 0 {
			attrs = append(attrs, a("gen_ai.usage.output_tokens", plain))
		}
		sp := spec{id: 5, parent: 1, name: "generation", scope: "langfuse-sdk", attrs: attrs}
		s, issues := extract(t, e, sp)
		again, _ := extract(t, e, sp)
		if s != again {
			t.Fatalf("not deterministic: %+v vs %+v", s, again)
		}
		checkSpanInvariants(t, s)
		for _, is := range issues {
			if is.Attribute == "" || is.Reason == "" {
				t.Fatalf("empty issue %+v", is)
			}
		}
		if plain >= 0 && plain <= maxTokens && s.Usage.Output < plain {
			t.Fatalf("output %d below the plain attribute %d", s.Usage.Output, plain)
		}
		if s.CostSource == CostReported && (s.CostNanos < 0 || s.CostNanos > int64(maxCostUSD*1e9)) {
			t.Fatalf("reported cost %d out of range", s.CostNanos)
		}
		for _, v := range []string{usage, cost} {
			if n, reason := jsonCount(v); reason == "" && (n < 0 || n > maxTokens) {
				t.Fatalf("jsonCount(%q) = %d", v, n)
			}
		}
	})
}

// FuzzCanonicalRoundTrip: for any span (attributes, ids, timestamps), what
// the exporter reads back from the canonical attributes (FromCanonical) is
// what the processor extracted, and the skip rules hold.
func FuzzCanonicalRoundTrip(f *testing.F) {
	f.Add(fuzzAttr("gen_ai.operation.name", "chat"), uint64(1000), uint64(2000), uint64(1), uint64(2), "chat", "")
	f.Add(append(fuzzAttr("gen_ai.usage.input_tokens", 5), fuzzAttr("llm.cost.total", 0.12345678901)...),
		uint64(5000), uint64(4000), uint64(1), uint64(0), "x", "openinference")
	f.Add(fuzzAttr("user.id", "a\x00b"), uint64(0), uint64(0), uint64(0), uint64(3), "", "")
	f.Add(fuzzAttr("gen_ai.usage.cost", 999999.999999999), uint64(math.MaxUint64), uint64(1), uint64(9), uint64(9), "invoke_agent a", "")
	e := NewExtractor(ExtractConfig{}, prices)
	f.Fuzz(func(t *testing.T, data []byte, start, end, traceLo, spanLo uint64, name, scope string) {
		sp := spec{id: 1, name: name, scope: scope, attrs: decodeFuzzAttrs(data)}
		res, sc, span := sp.build()
		var tid pcommon.TraceID
		binary.BigEndian.PutUint64(tid[8:], traceLo)
		var sid pcommon.SpanID
		binary.BigEndian.PutUint64(sid[:], spanLo)
		span.SetTraceID(tid)
		span.SetSpanID(sid)
		span.SetStartTimestamp(pcommon.Timestamp(start))
		span.SetEndTimestamp(pcommon.Timestamp(end))

		s, _ := e.Extract(res, sc, span)
		checkSpanInvariants(t, s)
		if s.Start < 0 || s.End < s.Start {
			t.Fatalf("times %d..%d", s.Start, s.End)
		}
		reason := SkipReason(&s, 0, 0)
		if (traceLo == 0 || spanLo == 0 || (start == 0 && end == 0) || start > math.MaxInt64) != (reason != "") {
			t.Fatalf("skip %q for trace %d span %d times %d..%d", reason, traceLo, spanLo, start, end)
		}
		if reason != "" {
			MarkSkipped(span, reason)
			if _, ok := FromCanonical(res, span); ok {
				t.Fatal("a skipped span reads as canonical")
			}
			return
		}
		Annotate(span, &s, RunView{})
		back, ok := FromCanonical(res, span)
		if !ok {
			t.Fatal("no canonical attributes after Annotate")
		}
		if back != s {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v", back, s)
		}
	})
}
