package genai

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Double-counting hazards (reference §9.1-9.4): whole traces built span by
// span, extracted, then assembled.

type runWant struct {
	root      uint64
	implicit  bool
	user      string
	session   string
	agent     string
	workflow  string
	usage     Usage
	cost      int64
	calls     int64
	conflicts int64
}

func checkRuns(t *testing.T, specs []spec, want []runWant) Assembly {
	t.Helper()
	asm := Assemble(extractTrace(t, newTestExtractor(), specs))
	require.Len(t, asm.Runs, len(want), "runs")
	byRoot := map[uint64]Run{}
	for _, r := range asm.Runs {
		var id uint64
		for _, b := range r.RootSpanID {
			id = id<<8 | uint64(b)
		}
		byRoot[id] = r
	}
	for _, w := range want {
		r, ok := byRoot[w.root]
		require.True(t, ok, "no run rooted at span %d", w.root)
		wf := w.workflow
		if wf == "" {
			wf = DefaultWorkflow
		}
		got := runWant{root: w.root, implicit: r.Implicit, user: r.UserID, session: r.SessionID, agent: r.AgentName,
			workflow: r.WorkflowName, usage: r.Usage, cost: r.CostNanos, calls: r.CallCount, conflicts: r.UserConflicts}
		w.workflow = wf
		require.Equal(t, w, got, "run rooted at span %d", w.root)
	}
	return asm
}

func chat(id, parent uint64, model string, in, out int64, extra ...kv) spec {
	return spec{id: id, parent: parent, name: "chat " + model, kind: ptrace.SpanKindClient, attrs: append([]kv{
		a("gen_ai.operation.name", "chat"), a("gen_ai.provider.name", "openai"), a("gen_ai.request.model", model),
		a("gen_ai.usage.input_tokens", in), a("gen_ai.usage.output_tokens", out),
	}, extra...)}
}

func gpt4o(in, out int64) int64 { return in*2500 + out*10000 }

func TestHazardVercelOuterCountedOnce(t *testing.T) {
	for _, v := range []string{"v4", "v6"} {
		t.Run(v, func(t *testing.T) {
			outerUsage := []kv{a("ai.usage.inputTokens", 260), a("ai.usage.outputTokens", 70), a("ai.usage.cachedInputTokens", 96)}
			if v == "v4" { // v4/v5: the outer span repeats the LAST step only
				outerUsage = []kv{a("ai.usage.promptTokens", 120), a("ai.usage.completionTokens", 48)}
			}
			step := func(id uint64, in, out, cached int64) spec {
				attrs := vercelBase("ai.generateText.doGenerate", a("gen_ai.system", "openai.chat"), a("gen_ai.request.model", "gpt-4o"),
					a("gen_ai.response.model", "gpt-4o-2024-08-06"), a("gen_ai.usage.input_tokens", in), a("gen_ai.usage.output_tokens", out))
				if v == "v4" {
					attrs = append(attrs, a("ai.usage.promptTokens", in), a("ai.usage.completionTokens", out))
				} else {
					attrs = append(attrs, a("ai.usage.inputTokens", in), a("ai.usage.outputTokens", out), a("ai.usage.cachedInputTokens", cached))
				}
				return spec{id: id, parent: 1, name: "ai.generateText.doGenerate", scope: "ai", attrs: attrs}
			}
			specs := []spec{
				{id: 1, name: "ai.generateText", scope: "ai", attrs: vercelBase("ai.generateText", outerUsage...)},
				step(2, 140, 22, 64),
				{id: 3, parent: 2, name: "ai.toolCall", scope: "ai", attrs: []kv{a("ai.operationId", "ai.toolCall"), a("ai.toolCall.name", "lookup")}},
				step(4, 120, 48, 32),
			}
			u := Usage{Input: 260, Output: 70}
			if v == "v6" {
				u.CacheRead = 96
			}
			checkRuns(t, specs, []runWant{{root: 1, user: "user-123", session: "conv-1", agent: "support-agent", workflow: "support-agent",
				usage: u, cost: gpt4o(140, 22) + gpt4o(120, 48), calls: 2}})
		})
	}
}

func TestHazardVercelV7RootTotals(t *testing.T) {
	specs := []spec{
		{id: 1, name: "invoke_agent gpt-4o", scope: "gen_ai", attrs: []kv{
			a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.provider.name", "openai"), a("gen_ai.request.model", "gpt-4o"),
			a("gen_ai.agent.name", "support-agent"), a("ai.settings.context.userId", "user-7"),
			a("gen_ai.usage.input_tokens", 260), a("gen_ai.usage.output_tokens", 70), a("gen_ai.usage.cache_read.input_tokens", 96)}},
		{id: 2, parent: 1, name: "step 1", scope: "gen_ai", attrs: []kv{a("gen_ai.operation.name", "agent_step")}},
		chat(3, 2, "gpt-4o", 140, 22, a("gen_ai.usage.cache_read.input_tokens", 64)),
		{id: 4, parent: 3, name: "execute_tool lookup", scope: "gen_ai", attrs: []kv{a("gen_ai.operation.name", "execute_tool")}},
		{id: 5, parent: 1, name: "step 2", scope: "gen_ai", attrs: []kv{a("gen_ai.operation.name", "agent_step")}},
		chat(6, 5, "gpt-4o", 120, 48, a("gen_ai.usage.cache_read.input_tokens", 32)),
	}
	specs[2].scope, specs[5].scope = "gen_ai", "gen_ai"
	checkRuns(t, specs, []runWant{{root: 1, user: "user-7", agent: "support-agent", workflow: "support-agent",
		usage: Usage{Input: 260, Output: 70, CacheRead: 96}, cost: gpt4o(260, 70), calls: 2}})
}

func TestHazardStrandsAccumulatedAgent(t *testing.T) {
	ctx := []kv{a("user.id", "u-1"), a("session.id", "s-1"), a("gen_ai.system", "strands-agents")}
	strandsChat := func(id, parent uint64, in, out int64) spec {
		return spec{id: id, parent: parent, name: "chat", attrs: append([]kv{
			a("gen_ai.operation.name", "chat"), a("gen_ai.request.model", "gpt-4o"),
			a("gen_ai.usage.prompt_tokens", in), a("gen_ai.usage.input_tokens", in),
			a("gen_ai.usage.completion_tokens", out), a("gen_ai.usage.output_tokens", out), a("gen_ai.usage.total_tokens", in+out),
		}, ctx...)}
	}
	specs := []spec{
		{id: 1, name: "invoke_agent Strands Agents", attrs: append([]kv{
			a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.agent.name", "Strands Agents"), a("gen_ai.request.model", "gpt-4o"),
			a("gen_ai.usage.input_tokens", 260), a("gen_ai.usage.output_tokens", 70), a("gen_ai.usage.total_tokens", 330)}, ctx...)},
		{id: 2, parent: 1, name: "execute_event_loop_cycle", attrs: append([]kv{a("event_loop.cycle_id", "c1")}, ctx...)},
		strandsChat(3, 2, 140, 22),
		{id: 4, parent: 2, name: "execute_tool lookup", attrs: append([]kv{a("gen_ai.operation.name", "execute_tool")}, ctx...)},
		{id: 5, parent: 2, name: "execute_event_loop_cycle", attrs: append([]kv{a("event_loop.cycle_id", "c2")}, ctx...)},
		strandsChat(6, 5, 120, 48),
	}
	checkRuns(t, specs, []runWant{{root: 1, user: "u-1", session: "s-1", agent: "Strands Agents",
		usage: Usage{Input: 260, Output: 70}, cost: gpt4o(260, 70), calls: 2}})
}

func TestHazardCrewAICumulativeAgentAndStackedSDK(t *testing.T) {
	const scope = "opentelemetry.instrumentation.crewai"
	specs := []spec{
		{id: 1, name: "crewai.workflow", scope: scope, attrs: []kv{a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.provider.name", "crewai"),
			a("traceloop.association.properties.user_id", "crew-user"), a("crewai.crew.token_usage", "total_tokens=330")}},
		{id: 2, parent: 1, name: "research.task", scope: scope, attrs: []kv{a("traceloop.span.kind", "task"), a("gen_ai.operation.name", "invoke_agent")}},
		{id: 3, parent: 2, name: "Researcher.agent", scope: scope, attrs: []kv{a("traceloop.span.kind", "agent"), a("gen_ai.agent.name", "Researcher"),
			a("gen_ai.request.model", "gpt-4o"), a("gen_ai.usage.input_tokens", 260), a("gen_ai.usage.output_tokens", 70)}},
		chat(4, 3, "gpt-4o", 140, 22), // {model}.llm
		chat(5, 4, "gpt-4o", 140, 22), // provider SDK span under it
		chat(6, 3, "gpt-4o", 120, 48),
		chat(7, 6, "gpt-4o", 120, 48),
	}
	specs[3].name, specs[5].name = "gpt-4o.llm", "gpt-4o.llm"
	asm := checkRuns(t, specs, []runWant{{root: 1, user: "crew-user", agent: "Researcher", usage: Usage{Input: 260, Output: 70}, cost: gpt4o(260, 70), calls: 2}})
	// The deepest LLM spans are the counted ones.
	require.Equal(t, []bool{false, false, false, false, true, false, true}, asm.Counted)
}

func TestHazardStackedLiteLLMOverOpenAI(t *testing.T) {
	specs := []spec{
		{id: 1, name: "POST /v1/chat/completions", kind: ptrace.SpanKindServer, service: "proxy", attrs: []kv{a("user.id", "u-http")}},
		{id: 2, parent: 1, name: "litellm_request", scope: "litellm", service: "proxy", attrs: []kv{
			a("gen_ai.system", "openai"), a("gen_ai.request.model", "gpt-4o"), a("gen_ai.usage.input_tokens", 120),
			a("gen_ai.usage.output_tokens", 48), a("gen_ai.cost.total_cost", 0.001), a("llm.user", "end-user-7")}},
		chat(3, 2, "gpt-4o", 120, 48, a("gen_ai.response.model", "gpt-4o-2024-08-06")),
	}
	specs[2].service = "proxy"
	asm := checkRuns(t, specs, []runWant{{root: 1, implicit: true, user: "u-http", agent: "proxy",
		usage: Usage{Input: 120, Output: 48}, cost: gpt4o(120, 48), calls: 1, conflicts: 1}})
	require.Equal(t, []bool{false, false, true}, asm.Counted)
}

func TestHazardOpenInferenceDualEmission(t *testing.T) {
	specs := []spec{
		{id: 1, name: "support-agent", scope: "openinference-core", attrs: []kv{a("openinference.span.kind", "AGENT"), a("user.id", "u"),
			a("gen_ai.operation.name", "invoke_agent")}},
		{id: 2, parent: 1, name: "ChatCompletion", scope: "openinference.instrumentation.openai", attrs: []kv{
			a("openinference.span.kind", "LLM"), a("llm.model_name", "gpt-4o"), a("user.id", "u"),
			a("llm.token_count.prompt", 120), a("gen_ai.usage.input_tokens", 120), a("llm.token_count.completion", 48),
			a("gen_ai.usage.output_tokens", 48), a("llm.token_count.total", 168), a("llm.token_count.prompt_details.cache_read", 32),
			a("gen_ai.usage.cache_read.input_tokens", 32)}},
	}
	checkRuns(t, specs, []runWant{{root: 1, user: "u", agent: "support-agent",
		usage: Usage{Input: 120, Output: 48, CacheRead: 32}, cost: gpt4o(120, 48), calls: 1}})
}

func TestHazardAggregateOnlyRun(t *testing.T) {
	t.Run("agent and cycle with usage, no LLM spans", func(t *testing.T) {
		specs := []spec{
			{id: 1, name: "invoke_agent Strands Agents", attrs: []kv{a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.agent.name", "Strands Agents"),
				a("gen_ai.system", "strands-agents"), a("gen_ai.request.model", "gpt-4o"), a("user.id", "u"),
				a("gen_ai.usage.input_tokens", 260), a("gen_ai.usage.output_tokens", 70)}},
			{id: 2, parent: 1, name: "execute_event_loop_cycle", attrs: []kv{a("event_loop.cycle_id", "c1"),
				a("gen_ai.usage.input_tokens", 260), a("gen_ai.usage.output_tokens", 70)}},
		}
		asm := checkRuns(t, specs, []runWant{{root: 1, user: "u", agent: "Strands Agents", usage: Usage{Input: 260, Output: 70}, cost: gpt4o(260, 70), calls: 1}})
		require.True(t, asm.Calls[0].Aggregate)
	})
	t.Run("pydantic aggregated_usage is never counted", func(t *testing.T) {
		specs := []spec{
			{id: 1, name: "invoke_agent support", scope: "pydantic-ai", attrs: []kv{a("gen_ai.operation.name", "invoke_agent"),
				a("gen_ai.agent.name", "support"), a("gen_ai.aggregated_usage.input_tokens", 260), a("gen_ai.aggregated_usage.output_tokens", 70)}},
			chat(2, 1, "gpt-4o", 140, 22, a("operation.cost", 0.001)),
			chat(3, 1, "gpt-4o", 120, 48, a("operation.cost", 0.002)),
		}
		checkRuns(t, specs, []runWant{{root: 1, agent: "support", usage: Usage{Input: 260, Output: 70}, cost: 3e6, calls: 2}})
	})
	t.Run("older pydantic usage on the run span is not added", func(t *testing.T) {
		specs := []spec{
			{id: 1, name: "agent run", attrs: []kv{a("agent_name", "support"), a("model_name", "gpt-4o"),
				a("gen_ai.usage.input_tokens", 260), a("gen_ai.usage.output_tokens", 70)}},
			chat(2, 1, "gpt-4o", 140, 22),
			chat(3, 1, "gpt-4o", 120, 48),
		}
		checkRuns(t, specs, []runWant{{root: 1, agent: "support", usage: Usage{Input: 260, Output: 70}, cost: gpt4o(260, 70), calls: 2}})
	})
}

func TestHazardSiblingBatchRuns(t *testing.T) {
	specs := []spec{{id: 1, name: "batch-job", service: "worker"}}
	var want []runWant
	for i := uint64(1); i <= 10; i++ {
		agent := spec{id: 100 + i, parent: 1, name: "invoke_agent support-agent", service: "worker", attrs: []kv{
			a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.agent.name", "support-agent"),
			a("user.id", fmt.Sprintf("user-%d", i)), a("session.id", fmt.Sprintf("conv-%d", i))}}
		c := chat(200+i, 100+i, "gpt-4o", int64(10*i), 5)
		c.service = "worker"
		specs = append(specs, agent, c)
		want = append(want, runWant{root: 100 + i, user: fmt.Sprintf("user-%d", i), session: fmt.Sprintf("conv-%d", i),
			agent: "support-agent", usage: Usage{Input: int64(10 * i), Output: 5}, cost: gpt4o(int64(10*i), 5), calls: 1})
	}
	checkRuns(t, specs, want)
}

func TestRunGrouping(t *testing.T) {
	t.Run("implicit run: user from the root span, agent from the service", func(t *testing.T) {
		specs := []spec{
			{id: 1, name: "POST /chat", kind: ptrace.SpanKindServer, service: "api", attrs: []kv{a("user.id", "u-http"), a("session.id", "s")}},
			chat(2, 1, "gpt-4o", 10, 5),
			chat(3, 1, "gpt-4o-mini", 20, 10),
		}
		specs[1].service, specs[2].service = "api", "api"
		checkRuns(t, specs, []runWant{{root: 1, implicit: true, user: "u-http", session: "s", agent: "api",
			usage: Usage{Input: 30, Output: 15}, cost: gpt4o(10, 5) + 20*150 + 10*600, calls: 2}})
	})
	t.Run("user inherited from an ancestor; an ancestor's other user is no conflict", func(t *testing.T) {
		specs := []spec{
			{id: 1, name: "GET /", attrs: []kv{a("user.id", "u-outer")}},
			{id: 2, parent: 1, name: "invoke_agent a", attrs: []kv{a("gen_ai.operation.name", "invoke_agent")}},
			chat(3, 2, "gpt-4o", 10, 5),
			{id: 4, parent: 1, name: "invoke_agent b", attrs: []kv{a("gen_ai.operation.name", "invoke_agent"), a("user.id", "u-own")}},
			chat(5, 4, "gpt-4o", 10, 5),
		}
		checkRuns(t, specs, []runWant{
			{root: 2, user: "u-outer", agent: "a", usage: Usage{Input: 10, Output: 5}, cost: gpt4o(10, 5), calls: 1},
			{root: 4, user: "u-own", agent: "b", usage: Usage{Input: 10, Output: 5}, cost: gpt4o(10, 5), calls: 1},
		})
	})
	t.Run("openai-agents: nested invoke_agent spans are one run", func(t *testing.T) {
		specs := []spec{
			{id: 1, name: "Agent workflow", kind: ptrace.SpanKindServer, attrs: []kv{a("gen_ai.operation.name", "invoke_agent")}},
			{id: 2, parent: 1, name: "invoke_agent Triage", kind: ptrace.SpanKindClient, attrs: []kv{a("gen_ai.operation.name", "invoke_agent"),
				a("gen_ai.agent.name", "Triage"), a("gen_ai.conversation.id", "conv-9")}},
			chat(3, 2, "gpt-4o", 10, 5),
			{id: 4, parent: 1, name: "invoke_agent Billing", kind: ptrace.SpanKindClient, attrs: []kv{a("gen_ai.operation.name", "invoke_agent"),
				a("gen_ai.agent.name", "Billing")}},
			chat(5, 4, "gpt-4o", 20, 5),
		}
		// The nameless workflow root takes the entry agent's name.
		checkRuns(t, specs, []runWant{{root: 1, session: "conv-9", agent: "Triage", workflow: "Agent workflow",
			usage: Usage{Input: 30, Output: 10}, cost: gpt4o(30, 10), calls: 2}})
	})
	t.Run("traceloop workflow without agents: implicit run", func(t *testing.T) {
		specs := []spec{
			{id: 1, name: "summarise.workflow", attrs: []kv{a("traceloop.span.kind", "workflow"), a("traceloop.workflow.name", "summarise"),
				a("traceloop.association.properties.user_id", "u")}},
			chat(2, 1, "gpt-4o", 10, 5, a("traceloop.workflow.name", "summarise")),
		}
		checkRuns(t, specs, []runWant{{root: 1, implicit: true, user: "u", agent: "svc", workflow: "summarise",
			usage: Usage{Input: 10, Output: 5}, cost: gpt4o(10, 5), calls: 1}})
	})
	t.Run("chain over agents plus a direct LLM call", func(t *testing.T) {
		specs := []spec{
			{id: 1, name: "router", attrs: []kv{a("openinference.span.kind", "CHAIN")}},
			{id: 2, parent: 1, name: "classify", attrs: []kv{a("openinference.span.kind", "LLM"), a("llm.model_name", "gpt-4o"),
				a("llm.token_count.prompt", 7), a("llm.token_count.completion", 1)}},
			{id: 3, parent: 1, name: "agent-a", attrs: []kv{a("openinference.span.kind", "AGENT"), a("user.id", "ua")}},
			{id: 4, parent: 3, name: "call", attrs: []kv{a("openinference.span.kind", "LLM"), a("llm.model_name", "gpt-4o"),
				a("llm.token_count.prompt", 10), a("llm.token_count.completion", 2)}},
		}
		checkRuns(t, specs, []runWant{
			{root: 1, implicit: true, agent: "svc", usage: Usage{Input: 7, Output: 1}, cost: gpt4o(7, 1), calls: 1},
			{root: 3, user: "ua", agent: "agent-a", usage: Usage{Input: 10, Output: 2}, cost: gpt4o(10, 2), calls: 1},
		})
	})
}

func TestHazardStackedInnerWithoutUsage(t *testing.T) {
	// LiteLLM reports usage; the streamed provider SDK span under it has none.
	// One physical request: one call.
	specs := []spec{
		{id: 1, name: "invoke_agent a", attrs: []kv{a("gen_ai.operation.name", "invoke_agent"), a("user.id", "u")}},
		{id: 2, parent: 1, name: "litellm_request", scope: "litellm", attrs: []kv{a("gen_ai.system", "openai"),
			a("gen_ai.request.model", "gpt-4o"), a("gen_ai.usage.input_tokens", 120), a("gen_ai.usage.output_tokens", 48)}},
		{id: 3, parent: 2, name: "chat gpt-4o", attrs: []kv{a("gen_ai.operation.name", "chat"), a("gen_ai.request.model", "gpt-4o"),
			a("gen_ai.request.stream", true)}},
	}
	asm := checkRuns(t, specs, []runWant{{root: 1, user: "u", agent: "a", usage: Usage{Input: 120, Output: 48}, cost: gpt4o(120, 48), calls: 1}})
	require.Equal(t, []bool{false, true, false}, asm.Counted)
}
