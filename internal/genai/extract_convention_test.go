package genai

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// convCase is one span of one convention, built with the attribute shapes of
// docs/reference/genai-conventions.md, and the whole Span expected from it
// (ids, times and service come from the spec).
type convCase struct {
	name   string
	sp     spec
	want   Span
	issues []Issue
}

func runConvCases(t *testing.T, cases []convCase) {
	t.Helper()
	e := newTestExtractor()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.sp.id == 0 {
				c.sp.id = 7
			}
			got, issues := extract(t, e, c.sp)
			require.Equal(t, c.sp.want(c.want), got)
			require.Equal(t, c.issues, issues)
		})
	}
}

func TestExtractOTelGenAI(t *testing.T) {
	runConvCases(t, []convCase{
		{
			name: "current chat with cache and reasoning",
			sp: spec{name: "chat gpt-4o", kind: ptrace.SpanKindClient, scope: "opentelemetry.instrumentation.openai_v2", attrs: []kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.provider.name", "openai"),
				a("gen_ai.request.model", "gpt-4o"), a("gen_ai.response.model", "gpt-4o-2024-08-06"),
				a("gen_ai.usage.input_tokens", 120), a("gen_ai.usage.output_tokens", 48),
				a("gen_ai.usage.cache_read.input_tokens", 32), a("gen_ai.usage.reasoning.output_tokens", 16),
				a("gen_ai.conversation.id", "conv-1"), a("user.id", "user-1"), a("server.address", "api.openai.com"),
			}},
			// The response model has no price: the request model's is used (S5).
			want: Span{Role: RoleLLM, Convention: ConvOTelGenAI, UserID: "user-1", SessionID: "conv-1",
				Model: "gpt-4o-2024-08-06", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 120, Output: 48, CacheRead: 32, Reasoning: 16}, CostNanos: 780000, CostSource: CostComputed},
		},
		{
			name: "deprecated gen_ai.system and prompt/completion tokens",
			sp: spec{name: "chat gpt-4o-mini", scope: "@opentelemetry/instrumentation-openai", attrs: []kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.system", "openai"), a("gen_ai.request.model", "gpt-4o-mini"),
				a("gen_ai.usage.prompt_tokens", 80), a("gen_ai.usage.completion_tokens", 24),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOTelGenAI, Model: "gpt-4o-mini", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 80, Output: 24}, CostNanos: 80*150 + 24*600, CostSource: CostComputed},
		},
		{
			name: "input_tokens wins over the deprecated alias, never summed",
			sp: spec{name: "chat gpt-4o-mini", attrs: []kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.system", "openai"), a("gen_ai.request.model", "gpt-4o-mini"),
				a("gen_ai.usage.prompt_tokens", 999), a("gen_ai.usage.input_tokens", 80),
				a("gen_ai.usage.completion_tokens", 999), a("gen_ai.usage.output_tokens", 24),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOTelGenAI, Model: "gpt-4o-mini", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 80, Output: 24}, CostNanos: 80*150 + 24*600, CostSource: CostComputed},
		},
		{
			name: "anthropic sdk: cache_write wins over cache_creation",
			sp: spec{name: "anthropic.messages.create", kind: ptrace.SpanKindClient, scope: "com.anthropic.sdk.typescript", attrs: []kv{
				a("gen_ai.provider.name", "anthropic"), a("gen_ai.operation.name", "chat"),
				a("gen_ai.request.model", "claude-sonnet-4-5"), a("gen_ai.response.model", "claude-sonnet-4-5"),
				a("gen_ai.usage.input_tokens", 280), a("gen_ai.usage.cache_read.input_tokens", 200),
				a("gen_ai.usage.cache_creation.input_tokens", 31), a("gen_ai.usage.cache_write.input_tokens", 30),
				a("gen_ai.usage.output_tokens", 40),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOTelGenAI, Model: "claude-sonnet-4-5", Provider: "anthropic", HasUsage: true,
				Usage: Usage{Input: 280, Output: 40, CacheRead: 200, CacheWrite: 30}, CostNanos: 280*3000 + 40*15000, CostSource: CostComputed},
		},
		{
			name: "exclusive anthropic input gets the cache added",
			sp: spec{name: "chat claude-sonnet-4-5", attrs: []kv{
				a("gen_ai.provider.name", "anthropic"), a("gen_ai.operation.name", "chat"), a("gen_ai.request.model", "claude-sonnet-4-5"),
				a("gen_ai.usage.input_tokens", 50), a("gen_ai.usage.cache_read.input_tokens", 200),
				a("gen_ai.usage.cache_creation.input_tokens", 30), a("gen_ai.usage.output_tokens", 40),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOTelGenAI, Model: "claude-sonnet-4-5", Provider: "anthropic", HasUsage: true,
				Usage: Usage{Input: 280, Output: 40, CacheRead: 200, CacheWrite: 30}, CostNanos: 280*3000 + 40*15000, CostSource: CostComputed},
		},
		{
			name: "embeddings, provider from the model name",
			sp: spec{name: "embeddings text-embedding-3-small", attrs: []kv{
				a("gen_ai.operation.name", "embeddings"), a("gen_ai.request.model", "text-embedding-3-small"), a("gen_ai.usage.input_tokens", 8),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOTelGenAI, Model: "text-embedding-3-small", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 8}, CostNanos: 160, CostSource: CostComputed},
		},
		{
			name: "invoke_agent",
			sp: spec{name: "invoke_agent support-agent", attrs: []kv{
				a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.agent.name", "support-agent"),
				a("gen_ai.conversation.id", "conv-1"), a("user.id", "user-1"),
			}},
			want: Span{Role: RoleAgent, Convention: ConvOTelGenAI, UserID: "user-1", SessionID: "conv-1", AgentName: "support-agent"},
		},
		{
			name: "invoke_agent named only by its span name",
			sp:   spec{name: "invoke_agent billing", attrs: []kv{a("gen_ai.operation.name", "invoke_agent")}},
			want: Span{Role: RoleAgent, Convention: ConvOTelGenAI, AgentName: "billing"},
		},
		{
			name: "invoke_agent with usage (MS Agent Framework), framework provider denied",
			sp: spec{name: "invoke_agent", attrs: []kv{
				a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.provider.name", "microsoft.agent_framework"),
				a("gen_ai.agent.name", "Joker"), a("gen_ai.usage.input_tokens", 631), a("gen_ai.usage.output_tokens", 40),
			}},
			want: Span{Role: RoleAgent, Convention: ConvOTelGenAI, AgentName: "Joker", HasUsage: true,
				Usage: Usage{Input: 631, Output: 40}, CostSource: CostUnpriced},
		},
		{
			name: "create_agent is not a run",
			sp: spec{name: "create_agent x", attrs: []kv{
				a("gen_ai.operation.name", "create_agent"), a("gen_ai.agent.name", "x"), a("gen_ai.request.model", "gpt-4o"),
			}},
			want: Span{Role: RoleOther, Convention: ConvOTelGenAI, Model: "gpt-4o"},
		},
		{
			name: "execute_tool",
			sp: spec{name: "execute_tool get_weather", attrs: []kv{
				a("gen_ai.operation.name", "execute_tool"), a("gen_ai.tool.name", "get_weather"), a("gen_ai.agent.name", "support-agent"),
			}},
			want: Span{Role: RoleTool, Convention: ConvOTelGenAI},
		},
		{
			name: "invoke_workflow",
			sp: spec{name: "invoke_workflow triage", attrs: []kv{
				a("gen_ai.operation.name", "invoke_workflow"), a("gen_ai.workflow.name", "triage"),
			}},
			want: Span{Role: RoleAgent, Convention: ConvOTelGenAI, WorkflowName: "triage"},
		},
		{
			name: "agent name on an inference span is context, not identity",
			sp: spec{name: "chat gpt-4o", attrs: []kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.agent.name", "support-agent"), a("gen_ai.request.model", "gpt-4o"),
				a("gen_ai.usage.input_tokens", 10), a("gen_ai.usage.output_tokens", 5),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOTelGenAI, Model: "gpt-4o", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 10, Output: 5}, CostNanos: 75000, CostSource: CostComputed},
		},
		{
			name: "openai-agents processor root: SERVER invoke_agent names the workflow",
			sp: spec{name: "Agent workflow", kind: ptrace.SpanKindServer, attrs: []kv{
				a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.provider.name", "openai"),
			}},
			want: Span{Role: RoleAgent, Convention: ConvOTelGenAI, WorkflowName: "Agent workflow", Provider: "openai"},
		},
		{
			name: "retrieval is other",
			sp:   spec{name: "retrieval db", attrs: []kv{a("gen_ai.operation.name", "retrieval"), a("gen_ai.data_source.id", "db")}},
			want: Span{Role: RoleOther, Convention: ConvOTelGenAI},
		},
		{
			name: "error status",
			sp: spec{name: "chat gpt-4o", err: true, attrs: []kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.request.model", "gpt-4o"), a("error.type", "InternalServerError"),
			}},
			// An LLM span without usage but with a priced model: computed, 0 (S5).
			want: Span{Role: RoleLLM, Convention: ConvOTelGenAI, Model: "gpt-4o", Provider: "openai", CostSource: CostComputed},
		},
	})
}

func TestExtractOpenInference(t *testing.T) {
	const scope = "openinference.instrumentation.openai"
	runConvCases(t, []convCase{
		{
			name: "LLM with cost, provider before system",
			sp: spec{name: "ChatCompletion", scope: scope, attrs: []kv{
				a("openinference.span.kind", "LLM"), a("llm.model_name", "gpt-4o-2024-08-06"),
				a("llm.system", "openai"), a("llm.provider", "azure"),
				a("llm.token_count.prompt", 120), a("llm.token_count.completion", 48), a("llm.token_count.total", 168),
				a("llm.token_count.prompt_details.cache_read", 32), a("llm.token_count.completion_details.reasoning", 16),
				a("llm.cost.total", 0.00074), a("llm.cost.prompt", 0.00026), a("user.id", "user-1"), a("session.id", "sess-1"),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOpenInference, UserID: "user-1", SessionID: "sess-1",
				Model: "gpt-4o-2024-08-06", Provider: "azure.ai.openai", HasUsage: true,
				Usage: Usage{Input: 120, Output: 48, CacheRead: 32, Reasoning: 16}, CostNanos: 740000, CostSource: CostReported},
		},
		{
			name: "dual emission (OPENINFERENCE_ENABLE_GENAI_SEMCONV): one key family only",
			sp: spec{name: "Anthropic Messages", scope: scope, attrs: []kv{
				a("openinference.span.kind", "LLM"), a("llm.model_name", "claude-sonnet-4-5"), a("llm.system", "anthropic"),
				a("llm.token_count.prompt", 120), a("gen_ai.usage.input_tokens", 120),
				a("llm.token_count.completion", 48), a("gen_ai.usage.output_tokens", 48),
				a("llm.token_count.prompt_details.cache_write", 30), a("gen_ai.usage.cache_creation.input_tokens", 30),
				a("gen_ai.provider.name", "anthropic"),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOpenInference, Model: "claude-sonnet-4-5", Provider: "anthropic", HasUsage: true,
				Usage: Usage{Input: 120, Output: 48, CacheWrite: 30}, CostNanos: 120*3000 + 48*15000, CostSource: CostComputed},
		},
		{
			name: "AGENT with agent.name",
			sp:   spec{name: "run", scope: scope, attrs: []kv{a("openinference.span.kind", "AGENT"), a("agent.name", "planner"), a("graph.node.id", "n1")}},
			want: Span{Role: RoleAgent, Convention: ConvOpenInference, AgentName: "planner"},
		},
		{
			name: "AGENT named by its span name",
			sp:   spec{name: "support-agent", scope: "openinference-core", attrs: []kv{a("openinference.span.kind", "AGENT"), a("user.id", "u")}},
			want: Span{Role: RoleAgent, Convention: ConvOpenInference, AgentName: "support-agent", UserID: "u"},
		},
		{
			name: "CHAIN with cumulative counts is an aggregate",
			sp:   spec{name: "LangGraph", scope: scope, attrs: []kv{a("openinference.span.kind", "CHAIN"), a("llm.token_count.prompt", 500), a("llm.token_count.completion", 50)}},
			want: Span{Role: RoleAggregate, Convention: ConvOpenInference, HasUsage: true, Usage: Usage{Input: 500, Output: 50}, CostSource: CostUnpriced},
		},
		{
			name: "TOOL",
			sp:   spec{name: "search", scope: scope, attrs: []kv{a("openinference.span.kind", "TOOL"), a("tool.name", "search")}},
			want: Span{Role: RoleTool, Convention: ConvOpenInference},
		},
		{
			name: "RETRIEVER is other, even with a model",
			sp:   spec{name: "retrieve", scope: scope, attrs: []kv{a("openinference.span.kind", "RETRIEVER"), a("llm.model_name", "gpt-4o")}},
			want: Span{Role: RoleOther, Convention: ConvOpenInference, Model: "gpt-4o"},
		},
		{
			name: "EMBEDDING model from embedding.model_name",
			sp: spec{name: "CreateEmbeddings", scope: scope, attrs: []kv{
				a("openinference.span.kind", "EMBEDDING"), a("embedding.model_name", "text-embedding-3-small"),
				a("llm.token_count.prompt", 8), a("llm.token_count.total", 8),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOpenInference, Model: "text-embedding-3-small", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 8}, CostNanos: 160, CostSource: CostComputed},
		},
		{
			name: "cost parts without llm.cost.total are not a reported cost",
			sp: spec{name: "ChatCompletion", scope: scope, attrs: []kv{
				a("openinference.span.kind", "LLM"), a("llm.model_name", "gpt-4o"), a("llm.cost.prompt", 0.1), a("llm.cost.completion", 0.2),
				a("llm.token_count.prompt", 10), a("llm.token_count.completion", 5),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOpenInference, Model: "gpt-4o", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 10, Output: 5}, CostNanos: 75000, CostSource: CostComputed},
		},
	})
}

func TestExtractOpenLLMetry(t *testing.T) {
	runConvCases(t, []convCase{
		{
			name: "0.5 chat span with copied context",
			sp: spec{name: "openai.chat", kind: ptrace.SpanKindClient, scope: "opentelemetry.instrumentation.openai.v1", attrs: []kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.provider.name", "openai"),
				a("gen_ai.request.model", "gpt-4o"), a("gen_ai.response.model", "gpt-4o-2024-08-06"),
				a("gen_ai.usage.input_tokens", 120), a("gen_ai.usage.output_tokens", 48), a("gen_ai.usage.total_tokens", 168),
				a("gen_ai.usage.cache_read.input_tokens", 32), a("gen_ai.usage.reasoning_tokens", 16),
				a("traceloop.workflow.name", "support-workflow"), a("gen_ai.agent.name", "support-agent"),
				a("traceloop.association.properties.user_id", "user-1"), a("traceloop.association.properties.session_id", "sess-1"),
				a("llm.is_streaming", false),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOpenLLMetry, UserID: "user-1", SessionID: "sess-1", WorkflowName: "support-workflow",
				Model: "gpt-4o-2024-08-06", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 120, Output: 48, CacheRead: 32, Reasoning: 16}, CostNanos: 780000, CostSource: CostComputed},
		},
		{
			name: "<= 0.4 names: llm.request.type, capitalised gen_ai.system, underscore cache keys, llm.user",
			sp: spec{name: "anthropic.chat", kind: ptrace.SpanKindClient, scope: "opentelemetry.instrumentation.anthropic", attrs: []kv{
				a("llm.request.type", "chat"), a("gen_ai.system", "Anthropic"),
				a("gen_ai.request.model", "claude-sonnet-4-5"), a("gen_ai.response.model", "claude-sonnet-4-5"),
				a("gen_ai.usage.prompt_tokens", 280), a("gen_ai.usage.completion_tokens", 40), a("llm.usage.total_tokens", 320),
				a("gen_ai.usage.cache_read_input_tokens", 200), a("gen_ai.usage.cache_creation_input_tokens", 30),
				a("llm.user", "user-9"),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOpenLLMetry, UserID: "user-9", Model: "claude-sonnet-4-5", Provider: "anthropic", HasUsage: true,
				Usage: Usage{Input: 280, Output: 40, CacheRead: 200, CacheWrite: 30}, CostNanos: 280*3000 + 40*15000, CostSource: CostComputed},
		},
		{
			name: "<= 0.4 reasoning key, unpriced model",
			sp: spec{name: "openai.chat", scope: "opentelemetry.instrumentation.openai.v1", attrs: []kv{
				a("llm.request.type", "chat"), a("gen_ai.system", "openai"), a("gen_ai.request.model", "o3-mini"),
				a("gen_ai.usage.prompt_tokens", 100), a("gen_ai.usage.completion_tokens", 300), a("llm.usage.reasoning_tokens", 256),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOpenLLMetry, Model: "o3-mini", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 100, Output: 300, Reasoning: 256}, CostSource: CostUnpriced},
		},
		{
			name: "agent span: entity name is the agent",
			sp: spec{name: "support-agent.agent", scope: "@traceloop/node-server-sdk", attrs: []kv{
				a("traceloop.span.kind", "agent"), a("traceloop.entity.name", "support-agent"),
				a("traceloop.workflow.name", "support-agent"), a("gen_ai.agent.name", "support-agent"),
				a("traceloop.association.properties.user_id", "user-a"),
			}},
			want: Span{Role: RoleAgent, Convention: ConvOpenLLMetry, UserID: "user-a", AgentName: "support-agent", WorkflowName: "support-agent"},
		},
		{
			name: "workflow span is an aggregate (agent grain)",
			sp: spec{name: "batch-job.workflow", scope: "@traceloop/node-server-sdk", attrs: []kv{
				a("traceloop.span.kind", "workflow"), a("traceloop.entity.name", "batch-job"), a("traceloop.workflow.name", "batch-job"),
			}},
			want: Span{Role: RoleAggregate, Convention: ConvOpenLLMetry, WorkflowName: "batch-job"},
		},
		{
			name: "task and tool",
			sp:   spec{name: "fetch.tool", attrs: []kv{a("traceloop.span.kind", "tool"), a("traceloop.entity.name", "fetch")}},
			want: Span{Role: RoleTool, Convention: ConvOpenLLMetry},
		},
	})
}

// vercelBase are the attributes the AI SDK (v4-v6) puts on outer and
// doGenerate spans (get-base-telemetry-attributes.ts).
func vercelBase(op string, extra ...kv) []kv {
	return append([]kv{
		a("operation.name", op+" support-agent"), a("resource.name", "support-agent"), a("ai.operationId", op),
		a("ai.telemetry.functionId", "support-agent"), a("ai.model.provider", "openai.chat"), a("ai.model.id", "gpt-4o"),
		a("ai.settings.maxRetries", 2), a("ai.telemetry.metadata.userId", "user-123"), a("ai.telemetry.metadata.sessionId", "conv-1"),
	}, extra...)
}

func TestExtractVercelAI(t *testing.T) {
	runConvCases(t, []convCase{
		{
			name: "v4 doGenerate: ai.usage and gen_ai.usage never added",
			sp: spec{name: "ai.generateText.doGenerate", scope: "ai", attrs: vercelBase("ai.generateText.doGenerate",
				a("gen_ai.system", "openai.chat"), a("gen_ai.request.model", "gpt-4o"),
				a("ai.response.model", "gpt-4o-2024-08-06"), a("gen_ai.response.model", "gpt-4o-2024-08-06"),
				a("ai.usage.promptTokens", 140), a("ai.usage.completionTokens", 22),
				a("gen_ai.usage.input_tokens", 140), a("gen_ai.usage.output_tokens", 22))},
			want: Span{Role: RoleLLM, Convention: ConvVercelAI, UserID: "user-123", SessionID: "conv-1", WorkflowName: "support-agent",
				Model: "gpt-4o-2024-08-06", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 140, Output: 22}, CostNanos: 140*2500 + 22*10000, CostSource: CostComputed},
		},
		{
			name: "v4 outer with functionId is the agent",
			sp: spec{name: "ai.generateText", scope: "ai", attrs: vercelBase("ai.generateText",
				a("ai.settings.maxSteps", 5), a("ai.usage.promptTokens", 120), a("ai.usage.completionTokens", 48))},
			want: Span{Role: RoleAgent, Convention: ConvVercelAI, UserID: "user-123", SessionID: "conv-1",
				AgentName: "support-agent", WorkflowName: "support-agent", Model: "gpt-4o", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 120, Output: 48}, CostNanos: 780000, CostSource: CostComputed},
		},
		{
			name: "v5 anthropic: exclusive input",
			sp: spec{name: "ai.generateText.doGenerate", scope: "ai", attrs: []kv{
				a("ai.operationId", "ai.generateText.doGenerate"), a("ai.model.provider", "anthropic.messages"),
				a("ai.model.id", "claude-sonnet-4-5"), a("gen_ai.system", "anthropic.messages"), a("gen_ai.request.model", "claude-sonnet-4-5"),
				a("ai.usage.promptTokens", 50), a("ai.usage.completionTokens", 40), a("ai.usage.cachedInputTokens", 200),
				a("gen_ai.usage.input_tokens", 50), a("gen_ai.usage.output_tokens", 40),
			}},
			want: Span{Role: RoleLLM, Convention: ConvVercelAI, Model: "claude-sonnet-4-5", Provider: "anthropic", HasUsage: true,
				Usage: Usage{Input: 250, Output: 40, CacheRead: 200}, CostNanos: 250*3000 + 40*15000, CostSource: CostComputed},
		},
		{
			name: "v6 doGenerate with token details",
			sp: spec{name: "ai.generateText.doGenerate", scope: "ai", attrs: vercelBase("ai.generateText.doGenerate",
				a("gen_ai.system", "openai.chat"), a("gen_ai.request.model", "gpt-4o"), a("gen_ai.response.model", "gpt-4o-2024-08-06"),
				a("ai.usage.inputTokens", 140), a("ai.usage.inputTokenDetails.noCacheTokens", 76),
				a("ai.usage.inputTokenDetails.cacheReadTokens", 64), a("ai.usage.outputTokens", 22),
				a("ai.usage.outputTokenDetails.textTokens", 16), a("ai.usage.outputTokenDetails.reasoningTokens", 6),
				a("ai.usage.totalTokens", 162), a("ai.usage.reasoningTokens", 6), a("ai.usage.cachedInputTokens", 64),
				a("gen_ai.usage.input_tokens", 140), a("gen_ai.usage.output_tokens", 22))},
			want: Span{Role: RoleLLM, Convention: ConvVercelAI, UserID: "user-123", SessionID: "conv-1", WorkflowName: "support-agent",
				Model: "gpt-4o-2024-08-06", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 140, Output: 22, CacheRead: 64, Reasoning: 6}, CostNanos: 570000, CostSource: CostComputed},
		},
		{
			name: "v6 noCacheTokens decides the input",
			sp: spec{name: "ai.streamText.doStream", scope: "ai", attrs: []kv{
				a("ai.operationId", "ai.streamText.doStream"), a("ai.model.provider", "anthropic.messages"), a("ai.model.id", "claude-sonnet-4-5"),
				a("ai.usage.inputTokens", 50), a("ai.usage.inputTokenDetails.noCacheTokens", 50),
				a("ai.usage.inputTokenDetails.cacheReadTokens", 200), a("ai.usage.inputTokenDetails.cacheWriteTokens", 30),
				a("ai.usage.outputTokens", 40),
			}},
			want: Span{Role: RoleLLM, Convention: ConvVercelAI, Model: "claude-sonnet-4-5", Provider: "anthropic", HasUsage: true,
				Usage: Usage{Input: 280, Output: 40, CacheRead: 200, CacheWrite: 30}, CostNanos: 280*3000 + 40*15000, CostSource: CostComputed},
		},
		{
			name: "v6 outer without functionId is an aggregate",
			sp: spec{name: "ai.generateText", scope: "ai", attrs: []kv{
				a("operation.name", "ai.generateText"), a("ai.operationId", "ai.generateText"), a("ai.model.provider", "openai.chat"),
				a("ai.model.id", "gpt-4o-mini"), a("ai.telemetry.metadata.userId", "user-789"),
				a("ai.usage.inputTokens", 80), a("ai.usage.outputTokens", 24),
			}},
			want: Span{Role: RoleAggregate, Convention: ConvVercelAI, UserID: "user-789", Model: "gpt-4o-mini", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 80, Output: 24}, CostNanos: 80*150 + 24*600, CostSource: CostComputed},
		},
		{
			name: "toolCall",
			sp: spec{name: "ai.toolCall", scope: "ai", attrs: []kv{
				a("operation.name", "ai.toolCall support-agent"), a("ai.operationId", "ai.toolCall"),
				a("ai.telemetry.functionId", "support-agent"), a("ai.toolCall.name", "lookup"), a("ai.toolCall.id", "call_1"),
			}},
			want: Span{Role: RoleTool, Convention: ConvVercelAI, WorkflowName: "support-agent"},
		},
		{
			name: "embed outer reports only ai.usage.tokens",
			sp: spec{name: "ai.embed", scope: "ai", attrs: []kv{
				a("ai.operationId", "ai.embed"), a("ai.model.provider", "openai.embedding"), a("ai.model.id", "text-embedding-3-small"),
				a("ai.usage.tokens", 12),
			}},
			want: Span{Role: RoleAggregate, Convention: ConvVercelAI, Model: "text-embedding-3-small", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 12}, CostNanos: 240, CostSource: CostComputed},
		},
		{
			name: "embed doEmbed, operation id from the span name",
			sp: spec{name: "ai.embed.doEmbed", scope: "ai", attrs: []kv{
				a("ai.model.provider", "openai.embedding"), a("ai.model.id", "text-embedding-3-small"), a("ai.usage.tokens", 12),
			}},
			want: Span{Role: RoleLLM, Convention: ConvVercelAI, Model: "text-embedding-3-small", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 12}, CostNanos: 240, CostSource: CostComputed},
		},
		{
			name: "v7 root invoke_agent: functionId is agent and workflow",
			sp: spec{name: "invoke_agent gpt-4o", scope: "gen_ai", attrs: []kv{
				a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.provider.name", "openai"), a("gen_ai.request.model", "gpt-4o"),
				a("gen_ai.agent.name", "support-agent"), a("ai.settings.context.userId", "user-7"),
				a("gen_ai.usage.input_tokens", 260), a("gen_ai.usage.output_tokens", 70), a("gen_ai.usage.cache_read.input_tokens", 96),
			}},
			want: Span{Role: RoleAgent, Convention: ConvVercelAI, UserID: "user-7", AgentName: "support-agent", WorkflowName: "support-agent",
				Model: "gpt-4o", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 260, Output: 70, CacheRead: 96}, CostNanos: 260*2500 + 70*10000, CostSource: CostComputed},
		},
		{
			name: "v7 root without functionId: the model in the span name is no agent",
			sp: spec{name: "invoke_agent gpt-4o", scope: "gen_ai", attrs: []kv{
				a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.provider.name", "openai"), a("gen_ai.request.model", "gpt-4o"),
			}},
			want: Span{Role: RoleAgent, Convention: ConvVercelAI, Model: "gpt-4o", Provider: "openai", CostSource: CostNone},
		},
		{
			name: "v7 step",
			sp:   spec{name: "step 1", scope: "gen_ai", attrs: []kv{a("gen_ai.operation.name", "agent_step")}},
			want: Span{Role: RoleAggregate, Convention: ConvVercelAI},
		},
		{
			name: "v7 chat with supplemental reasoning",
			sp: spec{name: "chat gpt-4o", scope: "gen_ai", kind: ptrace.SpanKindClient, attrs: []kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.provider.name", "openai"), a("gen_ai.request.model", "gpt-4o"),
				a("gen_ai.response.model", "gpt-4o-2024-08-06"), a("gen_ai.usage.input_tokens", 140), a("gen_ai.usage.output_tokens", 22),
				a("gen_ai.usage.cache_read.input_tokens", 64), a("ai.usage.outputTokenDetails.reasoningTokens", 6),
			}},
			want: Span{Role: RoleLLM, Convention: ConvVercelAI, Model: "gpt-4o-2024-08-06", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 140, Output: 22, CacheRead: 64, Reasoning: 6}, CostNanos: 570000, CostSource: CostComputed},
		},
	})
}

func TestExtractLangfuse(t *testing.T) {
	const scope = "langfuse-sdk"
	runConvCases(t, []convCase{
		{
			name: "native usage_details (non-cached input) and cost parts",
			sp: spec{name: "chat", scope: scope, attrs: []kv{
				a("langfuse.observation.type", "generation"), a("langfuse.observation.model.name", "gpt-4o"),
				a("langfuse.observation.usage_details", `{"input":88,"input_cached_tokens":32,"output":32,"output_reasoning_tokens":16,"total":168}`),
				a("langfuse.observation.cost_details", `{"input":0.00022,"input_cached_tokens":0.00004,"output":0.00048}`),
				a("user.id", "not-me"), a("langfuse.user.id", "lf-user"), a("langfuse.session.id", "lf-sess"), a("session.id", "other"),
				a("langfuse.trace.name", "support"),
			}},
			want: Span{Role: RoleLLM, Convention: ConvLangfuse, UserID: "lf-user", SessionID: "lf-sess", WorkflowName: "support",
				Model: "gpt-4o", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 120, Output: 48, CacheRead: 32, Reasoning: 16}, CostNanos: 740000, CostSource: CostReported},
		},
		{
			name: "raw OpenAI usage object (recorded fixture shape)",
			sp: spec{name: "chat gpt-4o", scope: scope, attrs: []kv{
				a("langfuse.observation.type", "generation"), a("langfuse.observation.model.name", "gpt-4o-2024-08-06"),
				a("langfuse.observation.usage_details", `{"prompt_tokens":120,"completion_tokens":48,"total_tokens":168,"prompt_tokens_details":{"cached_tokens":32,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":16,"audio_tokens":0}}`),
				a("langfuse.observation.cost_details", `{"input":0.00022,"input_cached_tokens":0.00004,"output":0.00048,"total":0.00074}`),
			}},
			want: Span{Role: RoleLLM, Convention: ConvLangfuse, Model: "gpt-4o-2024-08-06", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 120, Output: 48, CacheRead: 32, Reasoning: 16}, CostNanos: 740000, CostSource: CostReported},
		},
		{
			name: "raw Anthropic usage object: exclusive input",
			sp: spec{name: "chat", scope: scope, attrs: []kv{
				a("langfuse.observation.type", "generation"), a("langfuse.observation.model.name", "claude-sonnet-4-5"),
				a("langfuse.observation.usage_details", `{"input_tokens":50,"cache_read_input_tokens":200,"cache_creation_input_tokens":30,"output_tokens":40}`),
			}},
			want: Span{Role: RoleLLM, Convention: ConvLangfuse, Model: "claude-sonnet-4-5", Provider: "anthropic", HasUsage: true,
				Usage: Usage{Input: 280, Output: 40, CacheRead: 200, CacheWrite: 30}, CostNanos: 280*3000 + 40*15000, CostSource: CostComputed},
		},
		{
			name: "instrumentation keys win over usage_details, field by field",
			sp: spec{name: "chat", scope: scope, attrs: []kv{
				a("langfuse.observation.type", "generation"), a("gen_ai.request.model", "gpt-4o"),
				a("gen_ai.usage.input_tokens", 100), a("langfuse.observation.usage_details", `{"input":1,"output":2}`),
			}},
			want: Span{Role: RoleLLM, Convention: ConvLangfuse, Model: "gpt-4o", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 100, Output: 2}, CostNanos: 100*2500 + 2*10000, CostSource: CostComputed},
		},
		{
			name: "agent observation named by its span name",
			sp:   spec{name: "support-agent", scope: scope, attrs: []kv{a("langfuse.observation.type", "agent"), a("user.id", "user-a")}},
			want: Span{Role: RoleAgent, Convention: ConvLangfuse, UserID: "user-a", AgentName: "support-agent"},
		},
		{
			name: "level ERROR is an error; metadata user id",
			sp: spec{name: "step", scope: scope, attrs: []kv{
				a("langfuse.observation.type", "span"), a("langfuse.observation.level", "ERROR"),
				a("langfuse.observation.metadata.langfuse_user_id", "meta-user"),
			}},
			want: Span{Role: RoleOther, Convention: ConvLangfuse, Error: true, UserID: "meta-user"},
		},
		{
			name: "invalid usage JSON is an issue",
			sp: spec{name: "chat", scope: scope, attrs: []kv{
				a("langfuse.observation.type", "generation"), a("langfuse.observation.model.name", "gpt-4o"),
				a("langfuse.observation.usage_details", `{"input": 12`), a("langfuse.observation.cost_details", `[1]`),
			}},
			want:   Span{Role: RoleLLM, Convention: ConvLangfuse, Model: "gpt-4o", Provider: "openai", CostSource: CostComputed},
			issues: []Issue{{"langfuse.observation.usage_details", ReasonBadJSON}, {"langfuse.observation.cost_details", ReasonBadJSON}},
		},
	})
}

func TestExtractFrameworks(t *testing.T) {
	runConvCases(t, []convCase{
		// Pydantic AI
		{
			name: "pydantic-ai chat with operation.cost and baggage agent name",
			sp: spec{name: "chat gpt-4o", kind: ptrace.SpanKindClient, scope: "pydantic-ai", attrs: []kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.provider.name", "openai"), a("gen_ai.system", "openai"),
				a("gen_ai.request.model", "gpt-4o"), a("gen_ai.response.model", "gpt-4o-2024-08-06"),
				a("gen_ai.usage.input_tokens", 120), a("gen_ai.usage.output_tokens", 48),
				a("gen_ai.usage.cache_read.input_tokens", 32), a("gen_ai.usage.details.cache_read_tokens", 32),
				a("gen_ai.usage.details.reasoning_tokens", 16), a("operation.cost", 0.00078),
				a("gen_ai.agent.name", "support"), a("gen_ai.agent.call.id", "run-1"), a("gen_ai.conversation.id", "conv-1"),
			}},
			want: Span{Role: RoleLLM, Convention: ConvPydanticAI, SessionID: "conv-1", Model: "gpt-4o-2024-08-06", Provider: "openai",
				HasUsage: true, Usage: Usage{Input: 120, Output: 48, CacheRead: 32, Reasoning: 16}, CostNanos: 780000, CostSource: CostReported},
		},
		{
			name: "pydantic-ai invoke_agent: aggregated_usage is never read",
			sp: spec{name: "invoke_agent support", scope: "pydantic-ai", attrs: []kv{
				a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.agent.name", "support"), a("agent_name", "support"),
				a("model_name", "gpt-4o"), a("gen_ai.aggregated_usage.input_tokens", 240), a("gen_ai.aggregated_usage.output_tokens", 96),
				a("logfire.msg", "support run"), a("gen_ai.conversation.id", "conv-1"),
			}},
			want: Span{Role: RoleAgent, Convention: ConvPydanticAI, SessionID: "conv-1", AgentName: "support", Model: "gpt-4o", Provider: "openai"},
		},
		{
			name: "pydantic-ai v2 agent run with usage on the run span",
			sp: spec{name: "agent run", attrs: []kv{
				a("agent_name", "support"), a("model_name", "gpt-4o"), a("logfire.msg", "support run"),
				a("gen_ai.usage.input_tokens", 240), a("gen_ai.usage.output_tokens", 96),
			}},
			want: Span{Role: RoleAgent, Convention: ConvPydanticAI, AgentName: "support", Model: "gpt-4o", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 240, Output: 96}, CostNanos: 240*2500 + 96*10000, CostSource: CostComputed},
		},
		// Strands
		{
			name: "strands chat: duplicate key families, framework provider, bedrock model",
			sp: spec{name: "chat", scope: "strands.telemetry.tracer", attrs: []kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.system", "strands-agents"),
				a("gen_ai.request.model", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
				a("gen_ai.usage.prompt_tokens", 50), a("gen_ai.usage.input_tokens", 50),
				a("gen_ai.usage.completion_tokens", 40), a("gen_ai.usage.output_tokens", 40), a("gen_ai.usage.total_tokens", 90),
				a("gen_ai.usage.cache_read_input_tokens", 200), a("gen_ai.usage.cache_write_input_tokens", 30),
				a("session.id", "s-1"), a("user.id", "u-1"),
			}},
			want: Span{Role: RoleLLM, Convention: ConvStrands, UserID: "u-1", SessionID: "s-1",
				Model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", Provider: "aws.bedrock", HasUsage: true,
				Usage: Usage{Input: 280, Output: 40, CacheRead: 200, CacheWrite: 30}, CostSource: CostUnpriced},
		},
		{
			name: "strands agent with accumulated usage",
			sp: spec{name: "invoke_agent Strands Agents", attrs: []kv{
				a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.provider.name", "strands-agents"),
				a("gen_ai.agent.name", "Strands Agents"), a("gen_ai.request.model", "gpt-4o"),
				a("gen_ai.usage.input_tokens", 560), a("gen_ai.usage.output_tokens", 80),
			}},
			want: Span{Role: RoleAgent, Convention: ConvStrands, AgentName: "Strands Agents", Model: "gpt-4o", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 560, Output: 80}, CostNanos: 560*2500 + 80*10000, CostSource: CostComputed},
		},
		{
			name: "strands event loop cycle",
			sp:   spec{name: "execute_event_loop_cycle", attrs: []kv{a("event_loop.cycle_id", "c1"), a("gen_ai.usage.input_tokens", 280)}},
			want: Span{Role: RoleAggregate, Convention: ConvStrands, HasUsage: true, Usage: Usage{Input: 280}, CostSource: CostUnpriced},
		},
		// Google ADK
		{
			name: "adk call_llm",
			sp: spec{name: "call_llm", scope: "gcp.vertex.agent", attrs: []kv{
				a("gen_ai.system", "gcp.vertex.agent"), a("gen_ai.request.model", "gemini-2.5-flash"),
				a("gen_ai.usage.input_tokens", 500), a("gen_ai.usage.output_tokens", 40),
				a("gcp.vertex.agent.session_id", "sess-9"), a("gcp.vertex.agent.invocation_id", "e-1"),
			}},
			want: Span{Role: RoleLLM, Convention: ConvGoogleADK, SessionID: "sess-9", Model: "gemini-2.5-flash", Provider: "gcp.gemini",
				HasUsage: true, Usage: Usage{Input: 500, Output: 40}, CostNanos: 500*300 + 40*2500, CostSource: CostComputed},
		},
		{
			name: "adk invoke_agent",
			sp: spec{name: "invoke_agent weather_agent", scope: "gcp.vertex.agent", attrs: []kv{
				a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.agent.name", "weather_agent"), a("gen_ai.conversation.id", "sess-9"),
			}},
			want: Span{Role: RoleAgent, Convention: ConvGoogleADK, SessionID: "sess-9", AgentName: "weather_agent"},
		},
		{
			name: "adk invocation root",
			sp:   spec{name: "invocation", scope: "gcp.vertex.agent"},
			want: Span{Role: RoleAgent, Convention: ConvGoogleADK},
		},
		{
			name: "adk older agent_run",
			sp:   spec{name: "agent_run [weather_agent]", scope: "gcp.vertex.agent"},
			want: Span{Role: RoleAgent, Convention: ConvGoogleADK, AgentName: "weather_agent"},
		},
		// LiteLLM
		{
			name: "litellm_request: llm.user is the end user, reported cost",
			sp: spec{name: "litellm_request", scope: "litellm", attrs: []kv{
				a("gen_ai.system", "openai"), a("gen_ai.request.model", "gpt-4o"), a("gen_ai.response.model", "gpt-4o-2024-08-06"),
				a("gen_ai.usage.input_tokens", 120), a("gen_ai.usage.output_tokens", 48), a("gen_ai.usage.total_tokens", 168),
				a("gen_ai.cost.input_cost", 0.0003), a("gen_ai.cost.output_cost", 0.00048), a("gen_ai.cost.total_cost", 0.00078),
				a("llm.user", "end-user-7"), a("metadata.user_api_key_user_id", "key-owner"),
			}},
			want: Span{Role: RoleLLM, Convention: ConvLiteLLM, UserID: "end-user-7", Model: "gpt-4o-2024-08-06", Provider: "openai",
				HasUsage: true, Usage: Usage{Input: 120, Output: 48}, CostNanos: 780000, CostSource: CostReported},
		},
		{
			name: "litellm custom_llm_provider vertex_ai, no scope",
			sp: spec{name: "litellm_request", attrs: []kv{
				a("gen_ai.system", "vertex_ai"), a("gen_ai.request.model", "gemini-2.5-flash"),
				a("gen_ai.usage.input_tokens", 10), a("gen_ai.usage.output_tokens", 2),
			}},
			want: Span{Role: RoleLLM, Convention: ConvLiteLLM, Model: "gemini-2.5-flash", Provider: "gcp.vertex_ai", HasUsage: true,
				Usage: Usage{Input: 10, Output: 2}, CostNanos: 10*300 + 2*2500, CostSource: CostComputed},
		},
		// OpenLIT
		{
			name: "openlit gen_ai.usage.cost and gen_ai.request.user",
			sp: spec{name: "chat gpt-4o-mini", scope: "openlit.otel.tracing", attrs: []kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.provider.name", "openai"),
				a("gen_ai.request.model", "gpt-4o-mini"), a("gen_ai.response.model", "gpt-4o-mini"), a("gen_ai.request.user", "u-5"),
				a("gen_ai.usage.input_tokens", 80), a("gen_ai.usage.output_tokens", 24), a("gen_ai.usage.total_tokens", 104),
				a("gen_ai.usage.reasoning_tokens", 8), a("gen_ai.usage.cache_read.input_tokens", 16), a("gen_ai.usage.cost", 0.0000252),
			}},
			want: Span{Role: RoleLLM, Convention: ConvOpenLIT, UserID: "u-5", Model: "gpt-4o-mini", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 80, Output: 24, CacheRead: 16, Reasoning: 8}, CostNanos: 25200, CostSource: CostReported},
		},
		// CrewAI via OpenLLMetry
		{
			name: "crewai.workflow",
			sp: spec{name: "crewai.workflow", scope: "opentelemetry.instrumentation.crewai", attrs: []kv{
				a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.provider.name", "crewai"), a("crewai.crew.token_usage", "total_tokens=400"),
			}},
			want: Span{Role: RoleAgent, Convention: ConvCrewAI},
		},
		{
			name: "crewai agent with cumulative usage",
			sp: spec{name: "Researcher.agent", scope: "opentelemetry.instrumentation.crewai", attrs: []kv{
				a("traceloop.span.kind", "agent"), a("gen_ai.agent.name", "Researcher"), a("gen_ai.agent.id", "a1"),
				a("gen_ai.provider.name", "crewai"), a("gen_ai.request.model", "gpt-4o"),
				a("gen_ai.usage.input_tokens", 300), a("gen_ai.usage.output_tokens", 100),
			}},
			want: Span{Role: RoleAgent, Convention: ConvCrewAI, AgentName: "Researcher", Model: "gpt-4o", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 300, Output: 100}, CostNanos: 300*2500 + 100*10000, CostSource: CostComputed},
		},
		{
			name: "crewai task tagged invoke_agent is an aggregate",
			sp: spec{name: "research.task", scope: "opentelemetry.instrumentation.crewai", attrs: []kv{
				a("traceloop.span.kind", "task"), a("gen_ai.operation.name", "invoke_agent"),
			}},
			want: Span{Role: RoleAggregate, Convention: ConvCrewAI},
		},
		// Not GenAI
		{
			name: "http server span with a user",
			sp:   spec{name: "GET /chat", kind: ptrace.SpanKindServer, attrs: []kv{a("http.route", "/chat"), a("user.id", "  u-1 ")}},
			want: Span{Role: RoleOther, Convention: ConvOther, UserID: "u-1"},
		},
		{
			name: "fallback: model and usage without markers is an LLM call",
			sp:   spec{name: "my-llm-call", attrs: []kv{a("gen_ai.request.model", "gpt-4o"), a("gen_ai.usage.input_tokens", 1)}},
			want: Span{Role: RoleLLM, Convention: ConvOTelGenAI, Model: "gpt-4o", Provider: "openai", HasUsage: true,
				Usage: Usage{Input: 1}, CostNanos: 2500, CostSource: CostComputed},
		},
	})
}
