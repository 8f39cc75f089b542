package genai

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// fuzzKeys is the seed corpus of real attribute keys: every key the
// Extractor knows plus a few convention markers.
var fuzzKeys = func() []string {
	var keys []string
	for _, l := range [][]string{builtinUserKeys, builtinSessionKeys, builtinWorkflowKeys, builtinRespModelKeys, builtinReqModelKeys,
		builtinProviderKeys, builtinInputKeys, builtinOutputKeys, builtinCacheReadKeys, builtinCacheWriteKeys, builtinReasoningKeys,
		builtinTotalKeys, builtinCostKeys} {
		keys = append(keys, l...)
	}
	for k := range singleKeys {
		keys = append(keys, k)
	}
	keys = append(keys, "gen_ai.aggregated_usage.input_tokens", "crewai.crew.token_usage", "event_loop.cycle_id",
		"gcp.vertex.agent.invocation_id", "gen_ai.cost.input_cost", "logfire.msg", "metadata.user_api_key_user_id", "my.custom")
	if len(keys) > 250 {
		panic("too many fuzz keys for a one-byte index")
	}
	return keys
}()

// fuzzAttr encodes one attribute for the fuzz input format decoded by
// decodeFuzzAttrs.
func fuzzAttr(key string, v any) []byte {
	idx := -1
	for i, k := range fuzzKeys {
		if k == key {
			idx = i
		}
	}
	if idx < 0 {
		panic("unknown fuzz key " + key)
	}
	out := []byte{byte(idx)}
	switch x := v.(type) {
	case int:
		out = append(out, 0)
		out = binary.BigEndian.AppendUint64(out, uint64(int64(x)))
	case float64:
		out = append(out, 1)
		out = binary.BigEndian.AppendUint64(out, math.Float64bits(x))
	case string:
		out = append(out, 2, byte(len(x)))
		out = append(out, x...)
	case bool:
		out = append(out, 3, 1)
	}
	return out
}

// decodeFuzzAttrs turns fuzz bytes into attributes: a key byte (an index into
// fuzzKeys, else a raw key of up to 15 bytes), a type byte, then the value.
func decodeFuzzAttrs(data []byte) []kv {
	var attrs []kv
	take := func(n int) []byte {
		n = min(n, len(data))
		b := data[:n]
		data = data[n:]
		return b
	}
	for len(data) >= 2 {
		kb, tb := data[0], data[1]
		data = data[2:]
		var key string
		if int(kb) < len(fuzzKeys) {
			key = fuzzKeys[kb]
		} else {
			key = string(take(int(kb % 16)))
		}
		switch tb % 7 {
		case 0:
			attrs = append(attrs, a(key, int64(binary.BigEndian.Uint64(append(take(8), make([]byte, 8)...)))))
		case 1:
			attrs = append(attrs, a(key, math.Float64frombits(binary.BigEndian.Uint64(append(take(8), make([]byte, 8)...)))))
		case 2:
			n := 0
			if len(data) > 0 {
				n = int(take(1)[0])
			}
			attrs = append(attrs, a(key, string(take(n))))
		case 3:
			attrs = append(attrs, a(key, len(take(1)) == 1))
		case 4:
			attrs = append(attrs, a(key, strconv.Itoa(int(int8(tb)))))
		case 5:
			attrs = append(attrs, a(key, []byte("raw")))
		case 6:
			attrs = append(attrs, a(key, nil))
		}
	}
	return attrs
}

var knownConventions = map[string]bool{ConvOTelGenAI: true, ConvOpenInference: true, ConvOpenLLMetry: true, ConvVercelAI: true,
	ConvLangfuse: true, ConvPydanticAI: true, ConvStrands: true, ConvGoogleADK: true, ConvLiteLLM: true, ConvOpenLIT: true,
	ConvCrewAI: true, ConvOther: true}

func FuzzExtract(f *testing.F) {
	seed := func(name, scope string, attrs ...[]byte) {
		var b []byte
		for _, x := range attrs {
			b = append(b, x...)
		}
		f.Add(b, name, scope)
	}
	seed("chat gpt-4o", "", fuzzAttr("gen_ai.operation.name", "chat"), fuzzAttr("gen_ai.request.model", "gpt-4o"),
		fuzzAttr("gen_ai.usage.input_tokens", 120), fuzzAttr("gen_ai.usage.output_tokens", 48), fuzzAttr("user.id", "u"))
	seed("ai.generateText.doGenerate", "ai", fuzzAttr("ai.usage.inputTokens", "140"), fuzzAttr("ai.usage.inputTokenDetails.noCacheTokens", 76),
		fuzzAttr("ai.usage.cachedInputTokens", 64.0), fuzzAttr("ai.model.provider", "anthropic.messages"))
	seed("chat", "langfuse-sdk", fuzzAttr("langfuse.observation.type", "generation"),
		fuzzAttr("langfuse.observation.usage_details", `{"input":1,"input_cached_tokens":2,"output":3,"output_reasoning_tokens":9}`),
		fuzzAttr("langfuse.observation.cost_details", `{"input":0.1,"output":"0.2"}`))
	seed("x", "", fuzzAttr("gen_ai.usage.input_tokens", -1), fuzzAttr("gen_ai.usage.output_tokens", math.NaN()),
		fuzzAttr("llm.cost.total", math.Inf(-1)), fuzzAttr("user.id", "a\x00b"), fuzzAttr("gen_ai.agent.name", "\xff"))
	seed("invoke_agent x", "gen_ai", fuzzAttr("gen_ai.operation.name", "invoke_agent"), fuzzAttr("gen_ai.usage.cache_read.input_tokens", 5),
		fuzzAttr("gen_ai.usage.reasoning.output_tokens", 7), fuzzAttr("gen_ai.usage.total_tokens", 1e12))
	seed("litellm_request", "", []byte{255, 2, 3, 'a', 'b', 'c'}, fuzzAttr("gen_ai.system", "Anthropic"), fuzzAttr("operation.cost", true))

	e := NewExtractor(ExtractConfig{UserKeys: []string{"my.custom"}, InputTokenKeys: []string{"my.custom"}}, prices)
	f.Fuzz(func(t *testing.T, data []byte, name, scope string) {
		sp := spec{id: 9, parent: 1, name: name, scope: scope, attrs: decodeFuzzAttrs(data)}
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
		Assemble([]Span{s, s})
	})
}

// checkSpanInvariants are the guarantees of Extract for any input. Input >=
// CacheRead+CacheWrite and Output >= Reasoning are enforced (see usage()).
func checkSpanInvariants(t *testing.T, s Span) {
	t.Helper()
	u := s.Usage
	if u.Input < 0 || u.Output < 0 || u.CacheRead < 0 || u.CacheWrite < 0 || u.Reasoning < 0 {
		t.Fatalf("negative tokens %+v", u)
	}
	if u.Input < u.CacheRead+u.CacheWrite || u.Output < u.Reasoning {
		t.Fatalf("non-inclusive usage %+v", u)
	}
	if !s.HasUsage && u != (Usage{}) {
		t.Fatalf("usage without HasUsage %+v", u)
	}
	if s.CostNanos < 0 {
		t.Fatalf("negative cost %d", s.CostNanos)
	}
	switch s.CostSource {
	case CostNone, CostUnpriced:
		if s.CostNanos != 0 {
			t.Fatalf("%q cost %d", s.CostSource, s.CostNanos)
		}
	case CostReported, CostComputed:
	default:
		t.Fatalf("cost source %q", s.CostSource)
	}
	if s.CostSource == CostUnpriced && !s.HasUsage {
		t.Fatal("unpriced without usage")
	}
	if ParseRole(string(s.Role)) != s.Role {
		t.Fatalf("role %q", s.Role)
	}
	if !knownConventions[s.Convention] {
		t.Fatalf("convention %q", s.Convention)
	}
	if s.AgentName != "" && s.Role != RoleAgent {
		t.Fatalf("agent name %q on a %s span", s.AgentName, s.Role)
	}
	for _, id := range []string{s.UserID, s.SessionID} {
		if len(id) > MaxIDBytes || !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0 || strings.TrimSpace(id) != id {
			t.Fatalf("bad id %q", id)
		}
	}
	for _, n := range []string{s.AgentName, s.WorkflowName, s.Model, s.Provider} {
		if len(n) > MaxNameBytes || !utf8.ValidString(n) || strings.IndexByte(n, 0) >= 0 {
			t.Fatalf("bad name %q", n)
		}
	}
}

// TestFuzzCorpusInvariants checks the invariants on adversarial spans at the
// limits, without the fuzzing engine.
func TestFuzzCorpusInvariants(t *testing.T) {
	e := newTestExtractor()
	for _, sp := range []spec{
		{id: 1, name: "x", attrs: []kv{a("gen_ai.usage.input_tokens", int64(1e12)), a("gen_ai.usage.cache_read.input_tokens", int64(1e12)),
			a("gen_ai.usage.cache_write.input_tokens", int64(1e12)), a("ai.usage.inputTokenDetails.noCacheTokens", int64(1e12))}},
		{id: 1, name: "x", attrs: []kv{a("langfuse.observation.usage_details", `{"input":1e12,"input_a":1e12,"input_b":1e12,"input_c":1e12}`)}},
		{id: 1, name: "x", attrs: []kv{a("langfuse.observation.cost_details", `{"a":999999,"b":999999}`)}},
		{id: 1, name: "x", kind: ptrace.SpanKindServer, attrs: []kv{a("gen_ai.operation.name", "invoke_agent"), a("user.id", strings.Repeat("\x00", 5000))}},
	} {
		s, _ := extract(t, e, sp)
		checkSpanInvariants(t, s)
	}
}
