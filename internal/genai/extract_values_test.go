package genai

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// chatSpec is a minimal OTel chat span plus extra attributes.
func chatSpec(extra ...kv) spec {
	return spec{id: 3, name: "chat gpt-4o", attrs: append([]kv{
		a("gen_ai.operation.name", "chat"), a("gen_ai.provider.name", "openai"), a("gen_ai.request.model", "gpt-4o"),
	}, extra...)}
}

func TestTokenValues(t *testing.T) {
	e := newTestExtractor()
	cases := []struct {
		name    string
		attrs   []kv
		usage   Usage
		has     bool
		issues  []Issue
		comment string
	}{
		{name: "int", attrs: []kv{a("gen_ai.usage.input_tokens", 631)}, usage: Usage{Input: 631}, has: true},
		{name: "numeric string", attrs: []kv{a("gen_ai.usage.input_tokens", "631")}, usage: Usage{Input: 631}, has: true},
		{name: "string with spaces", attrs: []kv{a("gen_ai.usage.input_tokens", " 631 ")}, usage: Usage{Input: 631}, has: true},
		{name: "integral double", attrs: []kv{a("gen_ai.usage.input_tokens", 631.0)}, usage: Usage{Input: 631}, has: true},
		{name: "float string", attrs: []kv{a("gen_ai.usage.input_tokens", "631.0")}, usage: Usage{Input: 631}, has: true},
		{name: "zero is usage", attrs: []kv{a("gen_ai.usage.output_tokens", 0)}, usage: Usage{}, has: true},
		{
			name:   "non-integral double skipped, next key used",
			attrs:  []kv{a("gen_ai.usage.input_tokens", 631.5), a("gen_ai.usage.prompt_tokens", 600)},
			usage:  Usage{Input: 600},
			has:    true,
			issues: []Issue{{"gen_ai.usage.input_tokens", ReasonNotInteger}},
		},
		{
			name:   "negative",
			attrs:  []kv{a("gen_ai.usage.input_tokens", -5)},
			issues: []Issue{{"gen_ai.usage.input_tokens", ReasonNegative}},
		},
		{
			name:   "NaN and Inf",
			attrs:  []kv{a("gen_ai.usage.input_tokens", math.NaN()), a("gen_ai.usage.output_tokens", math.Inf(1))},
			issues: []Issue{{"gen_ai.usage.input_tokens", ReasonNotFinite}, {"gen_ai.usage.output_tokens", ReasonNotFinite}},
		},
		{
			name:   "absurdly large",
			attrs:  []kv{a("gen_ai.usage.input_tokens", int64(2e12)), a("gen_ai.usage.output_tokens", "99999999999999999999999"), a("gen_ai.usage.cache_read.input_tokens", 1e13)},
			issues: []Issue{{"gen_ai.usage.input_tokens", ReasonTooLarge}, {"gen_ai.usage.output_tokens", ReasonTooLarge}, {"gen_ai.usage.cache_read.input_tokens", ReasonTooLarge}},
		},
		{
			name:   "not a number",
			attrs:  []kv{a("gen_ai.usage.input_tokens", "lots"), a("gen_ai.usage.output_tokens", true), a("gen_ai.usage.reasoning.output_tokens", "")},
			issues: []Issue{{"gen_ai.usage.input_tokens", ReasonNotNumber}, {"gen_ai.usage.output_tokens", ReasonNotNumber}, {"gen_ai.usage.reasoning.output_tokens", ReasonNotNumber}},
		},
		{
			name:    "reasoning larger than output: output was exclusive",
			attrs:   []kv{a("gen_ai.usage.output_tokens", 10), a("gen_ai.usage.reasoning.output_tokens", 64)},
			usage:   Usage{Output: 74, Reasoning: 64},
			has:     true,
			comment: "documented in usage()",
		},
		{
			name:  "total only becomes input",
			attrs: []kv{a("gen_ai.usage.total_tokens", 42)},
			usage: Usage{Input: 42},
			has:   true,
		},
		{
			name:  "total ignored when input or output present",
			attrs: []kv{a("gen_ai.usage.total_tokens", 4200), a("gen_ai.usage.output_tokens", 5)},
			usage: Usage{Output: 5},
			has:   true,
		},
		{
			name:  "aggregated usage keys are never read",
			attrs: []kv{a("gen_ai.aggregated_usage.input_tokens", 10), a("crewai.crew.token_usage", "10")},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, issues := extract(t, e, chatSpec(c.attrs...))
			require.Equal(t, c.usage, got.Usage)
			require.Equal(t, c.has, got.HasUsage)
			require.Equal(t, c.issues, issues)
		})
	}
}

func TestCostValues(t *testing.T) {
	base := []kv{a("gen_ai.usage.input_tokens", 10), a("gen_ai.usage.output_tokens", 5)}
	cases := []struct {
		name   string
		pricer Pricer
		attrs  []kv
		nanos  int64
		source CostSource
		issues []Issue
	}{
		{name: "reported double", attrs: []kv{a("llm.cost.total", 0.5)}, nanos: 5e8, source: CostReported},
		{name: "reported string", attrs: []kv{a("gen_ai.usage.cost", "0.000001")}, nanos: 1000, source: CostReported},
		{name: "reported int", attrs: []kv{a("operation.cost", 2)}, nanos: 2e9, source: CostReported},
		{name: "reported zero", attrs: []kv{a("operation.cost", 0.0)}, nanos: 0, source: CostReported},
		{name: "rounded to the nano", attrs: []kv{a("llm.cost.total", 1.0000000006)}, nanos: 1000000001, source: CostReported},
		{
			name: "precedence: llm.cost.total before gen_ai.usage.cost",
			attrs: []kv{a("gen_ai.usage.total_cost", 9.0), a("operation.cost", 8.0), a("gen_ai.cost.total_cost", 7.0),
				a("gen_ai.usage.cost", 6.0), a("llm.cost.total", 0.25)},
			nanos: 2.5e8, source: CostReported,
		},
		{
			name: "langfuse cost_details first", attrs: []kv{a("llm.cost.total", 0.25), a("langfuse.observation.cost_details", `{"total":"0.125"}`)},
			nanos: 1.25e8, source: CostReported,
		},
		{
			name:  "NaN, negative and infinite costs ignored, price used",
			attrs: []kv{a("llm.cost.total", math.NaN()), a("gen_ai.usage.cost", -1.0), a("operation.cost", math.Inf(1))},
			nanos: 75000, source: CostComputed,
			issues: []Issue{{"llm.cost.total", ReasonNotFinite}, {"gen_ai.usage.cost", ReasonNegative}, {"operation.cost", ReasonNotFinite}},
		},
		{
			name:  "absurd cost ignored",
			attrs: []kv{a("llm.cost.total", 1e300)},
			nanos: 75000, source: CostComputed,
			issues: []Issue{{"llm.cost.total", ReasonTooLarge}},
		},
		{name: "no pricer: unpriced", pricer: nilPricer{}, nanos: 0, source: CostUnpriced},
		{name: "negative computed cost clamped", pricer: testPricer{"gpt-4o": {-1, -1}}, nanos: 0, source: CostComputed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.pricer
			if p == nil {
				p = prices
			}
			if _, ok := p.(nilPricer); ok {
				p = nil
			}
			e := NewExtractor(ExtractConfig{}, p)
			got, issues := extract(t, e, chatSpec(append(append([]kv{}, base...), c.attrs...)...))
			require.Equal(t, c.nanos, got.CostNanos)
			require.Equal(t, c.source, got.CostSource)
			require.Equal(t, c.issues, issues)
		})
	}

	t.Run("no usage, no cost", func(t *testing.T) {
		got, _ := extract(t, newTestExtractor(), spec{id: 1, name: "x", attrs: []kv{a("gen_ai.operation.name", "invoke_agent")}})
		require.Equal(t, CostNone, got.CostSource)
	})
	t.Run("reported cost without usage", func(t *testing.T) {
		got, _ := extract(t, newTestExtractor(), spec{id: 1, name: "x", attrs: []kv{a("gen_ai.operation.name", "invoke_agent"), a("llm.cost.total", 0.001)}})
		require.Equal(t, CostReported, got.CostSource)
		require.Equal(t, int64(1e6), got.CostNanos)
	})
}

type nilPricer struct{}

func (nilPricer) Cost(string, Usage) (int64, bool) { return 0, false }

func TestIDs(t *testing.T) {
	e := newTestExtractor()
	long := strings.Repeat("x", MaxIDBytes+1)
	exact := strings.Repeat("y", MaxIDBytes)
	cases := []struct {
		name    string
		attrs   []kv
		user    string
		session string
		issues  []Issue
	}{
		{name: "trimmed", attrs: []kv{a("user.id", "\t u-1 \n")}, user: "u-1"},
		{name: "int id", attrs: []kv{a("user.id", 12345)}, user: "12345"},
		{name: "blank falls through to the next key", attrs: []kv{a("langfuse.user.id", "   "), a("user.id", "u-2")}, user: "u-2"},
		{name: "precedence", attrs: []kv{a("llm.user", "u-z"), a("enduser.id", "u-e"), a("user.id", "u-u"), a("enduser.pseudo.id", "p")}, user: "u-u"},
		{name: "pseudo id last resort", attrs: []kv{a("enduser.pseudo.id", "p-1")}, user: "p-1"},
		{name: "exactly MaxIDBytes kept", attrs: []kv{a("user.id", exact)}, user: exact},
		{
			name: "too long is hashed, not truncated", attrs: []kv{a("user.id", long)}, user: HashID(long),
			issues: []Issue{{"user.id", ReasonIDTooLong}},
		},
		{
			name: "NUL is hashed", attrs: []kv{a("session.id", "a\x00b")}, session: HashID("a\x00b"),
			issues: []Issue{{"session.id", ReasonIDNUL}},
		},
		{
			name: "invalid UTF-8 is hashed", attrs: []kv{a("user.id", "a\xffb")}, user: HashID("a\xffb"),
			issues: []Issue{{"user.id", ReasonIDBadUTF8}},
		},
		{
			name: "unsupported type", attrs: []kv{a("user.id", 1.5), a("enduser.id", "u-3")}, user: "u-3",
			issues: []Issue{{"user.id", ReasonNotString}},
		},
		{name: "session precedence", attrs: []kv{a("gcp.vertex.agent.session_id", "g"), a("gen_ai.conversation.id", "c"), a("session.id", "s")}, session: "s"},
		{name: "traceloop chat_id", attrs: []kv{a("traceloop.association.properties.chat_id", "chat-9")}, session: "chat-9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, issues := extract(t, e, spec{id: 1, name: "GET /", attrs: c.attrs})
			require.Equal(t, c.user, got.UserID)
			require.Equal(t, c.session, got.SessionID)
			require.Equal(t, c.issues, issues)
		})
	}
	require.Equal(t, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", HashID("hello"))
}

func TestNames(t *testing.T) {
	e := newTestExtractor()
	agent := func(name string) spec {
		return spec{id: 1, name: "invoke_agent", attrs: []kv{a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.agent.name", name)}}
	}
	long := strings.Repeat("é", 200) // 400 bytes
	got, issues := extract(t, e, agent(long))
	require.Equal(t, strings.Repeat("é", 128), got.AgentName)
	require.Equal(t, []Issue{{"gen_ai.agent.name", ReasonNameTruncated}}, issues)

	got, issues = extract(t, e, agent("bad\xffname"))
	require.Equal(t, "bad\uFFFDname", got.AgentName)
	require.Equal(t, []Issue{{"gen_ai.agent.name", ReasonNameBadUTF8}}, issues)

	got, issues = extract(t, e, agent("nul\x00led"))
	require.Equal(t, "nulled", got.AgentName)
	require.Equal(t, []Issue{{"gen_ai.agent.name", ReasonNameNUL}}, issues)

	got, issues = extract(t, e, spec{id: 1, name: "x", attrs: []kv{
		a("gen_ai.request.model", strings.Repeat("m", 300)), a("gen_ai.workflow.name", "w\x00"), a("gen_ai.usage.input_tokens", 1),
	}})
	require.Equal(t, strings.Repeat("m", MaxNameBytes), got.Model)
	require.Equal(t, "w", got.WorkflowName)
	require.Equal(t, []Issue{{"gen_ai.request.model", ReasonNameTruncated}, {"gen_ai.workflow.name", ReasonNameNUL}}, issues)

	got, issues = extract(t, e, spec{id: 1, name: "x", attrs: []kv{a("gen_ai.request.model", 42), a("llm.model_name", "gpt-4o")}})
	require.Equal(t, "gpt-4o", got.Model)
	require.Equal(t, []Issue{{"gen_ai.request.model", ReasonNotString}}, issues)
}

func TestConfiguredKeysComeFirst(t *testing.T) {
	e := NewExtractor(ExtractConfig{
		UserKeys:        []string{"traceloop.association.properties.customer_id", " ", ""},
		SessionKeys:     []string{"thread"},
		AgentNameKeys:   []string{"my.agent"},
		WorkflowKeys:    []string{"my.workflow"},
		ModelKeys:       []string{"my.model"},
		ProviderKeys:    []string{"my.provider"},
		InputTokenKeys:  []string{"my.in"},
		OutputTokenKeys: []string{"my.out"},
		CacheReadKeys:   []string{"my.cr"},
		CacheWriteKeys:  []string{"my.cw"},
		ReasoningKeys:   []string{"my.rs"},
		CostKeys:        []string{"my.cost"},
	}, prices)
	sp := spec{id: 1, name: "invoke_agent x", attrs: []kv{
		a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.agent.name", "builtin-agent"), a("my.agent", "custom-agent"),
		a("user.id", "builtin-user"), a("traceloop.association.properties.customer_id", "cust-1"),
		a("session.id", "s"), a("thread", "t-1"), a("gen_ai.workflow.name", "w"), a("my.workflow", "mw"),
		a("gen_ai.response.model", "gpt-4o-2024-08-06"), a("my.model", "gpt-4o"), a("gen_ai.provider.name", "openai"), a("my.provider", "Anthropic"),
		a("gen_ai.usage.input_tokens", 1), a("my.in", 100), a("gen_ai.usage.output_tokens", 1), a("my.out", 20),
		a("my.cr", 10), a("my.cw", 5), a("my.rs", 3), a("langfuse.observation.cost_details", `{"total":1}`), a("my.cost", 0.002),
	}}
	got, issues := extract(t, e, sp)
	require.Nil(t, issues)
	require.Equal(t, sp.want(Span{Role: RoleAgent, Convention: ConvLangfuse, UserID: "cust-1", SessionID: "t-1",
		AgentName: "custom-agent", WorkflowName: "mw", Model: "gpt-4o", Provider: "anthropic", HasUsage: true,
		Usage: Usage{Input: 100, Output: 20, CacheRead: 10, CacheWrite: 5, Reasoning: 3}, CostNanos: 2e6, CostSource: CostReported}), got)

	// Without the configured cost key, Langfuse cost_details beats llm.cost.total.
	sp.attrs = append(sp.attrs[:len(sp.attrs)-1], a("llm.cost.total", 5.0))
	got, _ = extract(t, e, sp)
	require.Equal(t, int64(1e9), got.CostNanos)

	// The built-in lists still work after the configured keys.
	got, _ = extract(t, e, spec{id: 1, name: "x", attrs: []kv{a("user.id", "u")}})
	require.Equal(t, "u", got.UserID)
}

func TestNormalizeProvider(t *testing.T) {
	cases := map[string]string{
		"openai": "openai", "OpenAI": "openai", "Anthropic": "anthropic", "anthropic.messages": "anthropic",
		"openai.chat": "openai", "openai.responses": "openai", "az.ai.openai": "azure.ai.openai", "Azure": "azure.ai.openai",
		"az.ai.inference": "azure.ai.inference", "vertex_ai": "gcp.vertex_ai", "vertexai": "gcp.vertex_ai",
		"google.vertex.chat": "gcp.vertex_ai", "google.generative-ai": "gcp.gemini", "gemini": "gcp.gemini", "Google": "gcp.gen_ai",
		"AWS": "aws.bedrock", "bedrock": "aws.bedrock", "amazon-bedrock": "aws.bedrock", "amazon": "aws.bedrock",
		"mistralai": "mistral_ai", "MistralAI": "mistral_ai", "xai": "x_ai", "xai.chat": "x_ai", "Watsonx": "ibm.watsonx.ai",
		"ibm.watsonx.ai": "ibm.watsonx.ai", "gcp.vertex_ai": "gcp.vertex_ai", "groq": "groq", "Cohere": "cohere",
		"strands-agents": "", "gcp.vertex.agent": "", "crewai": "", "microsoft.agent_framework": "", "Langchain": "", "langchain": "",
		"fireworks": "fireworks", "my-gateway.v1": "my-gateway.v1",
	}
	for in, want := range cases {
		require.Equal(t, want, normalizeProvider(in, false), in)
	}
	require.Equal(t, "my-gateway", normalizeProvider("my-gateway.v1", true))
}

func TestProviderInference(t *testing.T) {
	models := map[string]string{
		"gpt-4o": "openai", "o3-mini": "openai", "text-embedding-3-small": "openai", "claude-3-5-sonnet": "anthropic",
		"gemini-2.5-flash": "gcp.gemini", "models/gemini-2.5-pro": "gcp.gemini", "mistral-large": "mistral_ai",
		"command-r": "cohere", "grok-4": "x_ai", "deepseek-chat": "deepseek", "anthropic.claude-3-haiku-20240307-v1:0": "aws.bedrock",
		"openai/gpt-4o": "openai", "vertex_ai/gemini-2.5-flash": "gcp.vertex_ai", "llama-3": "", "": "",
	}
	for in, want := range models {
		require.Equal(t, want, providerFromModel(in), in)
	}
	hosts := map[string]string{
		"api.openai.com": "openai", "x.openai.azure.com": "azure.ai.openai", "bedrock-runtime.us-east-1.amazonaws.com": "aws.bedrock",
		"us-central1-aiplatform.googleapis.com": "gcp.vertex_ai", "localhost": "",
	}
	for in, want := range hosts {
		require.Equal(t, want, providerFromHost(in), in)
	}
	// A framework provider falls back to the host, then the model.
	got, _ := extract(t, newTestExtractor(), spec{id: 1, name: "chat", attrs: []kv{
		a("gen_ai.operation.name", "chat"), a("gen_ai.system", "strands-agents"), a("server.address", "api.anthropic.com"),
		a("gen_ai.request.model", "gpt-4o"),
	}})
	require.Equal(t, "anthropic", got.Provider)
	// Other spans get no inferred provider.
	got, _ = extract(t, newTestExtractor(), spec{id: 1, name: "GET", attrs: []kv{a("server.address", "api.openai.com")}})
	require.Equal(t, "", got.Provider)
}

func TestConventionDetection(t *testing.T) {
	cases := []struct {
		scope, name string
		attrs       []kv
		want        string
	}{
		{"", "x", []kv{a("gen_ai.operation.name", "chat")}, ConvOTelGenAI},
		{"", "x", []kv{a("openinference.span.kind", "LLM")}, ConvOpenInference},
		{"", "x", []kv{a("llm.token_count.prompt", 1)}, ConvOpenInference},
		{"", "x", []kv{a("traceloop.span.kind", "task")}, ConvOpenLLMetry},
		{"", "x", []kv{a("llm.usage.total_tokens", 1), a("gen_ai.system", "openai")}, ConvOpenLLMetry},
		{"", "x", []kv{a("ai.operationId", "ai.generateText")}, ConvVercelAI},
		{"", "x", []kv{a("langfuse.observation.type", "span")}, ConvLangfuse},
		{"", "x", []kv{a("operation.cost", 0.1), a("gen_ai.operation.name", "chat")}, ConvPydanticAI},
		{"", "x", []kv{a("gen_ai.system", "strands-agents")}, ConvStrands},
		{"", "x", []kv{a("gen_ai.system", "gcp.vertex.agent")}, ConvGoogleADK},
		{"", "x", []kv{a("gen_ai.cost.total_cost", 0.1)}, ConvLiteLLM},
		{"", "x", []kv{a("gen_ai.usage.cost", 0.1)}, ConvOpenLIT},
		{"", "x", []kv{a("gen_ai.provider.name", "crewai")}, ConvCrewAI},
		{"", "x", []kv{a("http.route", "/")}, ConvOther},
		{"ai", "ai.generateText", nil, ConvVercelAI},
		{"gcp.vertex.agent", "invocation", nil, ConvGoogleADK},
		{"litellm", "litellm_request", nil, ConvLiteLLM},
		{"langfuse-sdk", "x", nil, ConvLangfuse},
		{"@arizeai/openinference-instrumentation-openai", "x", []kv{a("gen_ai.operation.name", "chat")}, ConvOpenInference},
		{"@traceloop/instrumentation-openai", "x", []kv{a("gen_ai.operation.name", "chat")}, ConvOpenLLMetry},
		{"opentelemetry.instrumentation.crewai", "x", nil, ConvCrewAI},
		{"openlit.otel.tracing", "x", nil, ConvOpenLIT},
		{"pydantic-ai", "x", nil, ConvPydanticAI},
		{"strands.telemetry.tracer", "x", nil, ConvStrands},
		{"my.app", "x", []kv{a("gen_ai.operation.name", "chat")}, ConvOTelGenAI},
	}
	e := newTestExtractor()
	for _, c := range cases {
		got, _ := extract(t, e, spec{id: 1, name: c.name, scope: c.scope, attrs: c.attrs})
		require.Equal(t, c.want, got.Convention, "%s %v", c.scope, c.attrs)
	}
}
