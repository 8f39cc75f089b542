package exactness

import (
	"encoding/binary"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Hazard traces: the double-counting and attribution hazards of the
// conventions reference, as OTLP spans carrying the attributes the real
// instrumentations write, so they go through the real extractor.

type kv struct {
	k string
	v any
}

func a(k string, v any) kv { return kv{k, v} }

// sp is one span of a hazard trace. Times are milliseconds after the trace's
// base time; end 0 means start+400.
type sp struct {
	id, parent uint64
	name       string
	scope      string
	kind       ptrace.SpanKind
	start, end int64
	err        bool
	attrs      []kv
}

// hazardBase is the base time of hazard trace 0; trace n starts n minutes later.
var hazardBase = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func traceID(n uint64) pcommon.TraceID {
	var t pcommon.TraceID
	t[0], t[1] = 0xe7, 0xac
	binary.BigEndian.PutUint64(t[8:], n)
	return t
}

func spanID(n uint64) pcommon.SpanID {
	var s pcommon.SpanID
	if n != 0 {
		binary.BigEndian.PutUint64(s[:], n)
	}
	return s
}

// addTrace appends one trace to td: one resource (service), one scope entry
// per distinct scope name, spans in the order given.
func addTrace(td ptrace.Traces, trace uint64, service string, spans ...sp) {
	base := hazardBase.Add(time.Duration(trace) * time.Minute)
	addTraceAt(td, trace, service, base, spans...)
}

func addTraceAt(td ptrace.Traces, trace uint64, service string, base time.Time, spans ...sp) {
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	scopes := map[string]ptrace.ScopeSpans{}
	for _, x := range spans {
		ss, ok := scopes[x.scope]
		if !ok {
			ss = rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName(x.scope)
			scopes[x.scope] = ss
		}
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(traceID(trace))
		s.SetSpanID(spanID(x.id))
		s.SetParentSpanID(spanID(x.parent))
		s.SetName(x.name)
		s.SetKind(x.kind)
		end := x.end
		if end == 0 {
			end = x.start + 400
		}
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(base.Add(time.Duration(x.start) * time.Millisecond)))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(base.Add(time.Duration(end) * time.Millisecond)))
		if x.err {
			s.Status().SetCode(ptrace.StatusCodeError)
		}
		for _, p := range x.attrs {
			putValue(s.Attributes(), p.k, p.v)
		}
	}
}

func putValue(m pcommon.Map, k string, v any) {
	switch x := v.(type) {
	case string:
		m.PutStr(k, x)
	case int:
		m.PutInt(k, int64(x))
	case int64:
		m.PutInt(k, x)
	case float64:
		m.PutDouble(k, x)
	case bool:
		m.PutBool(k, x)
	default:
		panic(fmt.Sprintf("unsupported attribute type %T", v))
	}
}

// chat is an OpenTelemetry GenAI chat span with usage.
func chat(id, parent uint64, start int64, model string, in, out int64, extra ...kv) sp {
	return sp{id: id, parent: parent, name: "chat " + model, kind: ptrace.SpanKindClient, start: start, attrs: append([]kv{
		a("gen_ai.operation.name", "chat"), a("gen_ai.provider.name", "openai"), a("gen_ai.request.model", model),
		a("gen_ai.usage.input_tokens", in), a("gen_ai.usage.output_tokens", out),
	}, extra...)}
}

func invokeAgent(id, parent uint64, start, end int64, agent string, extra ...kv) sp {
	return sp{id: id, parent: parent, name: "invoke_agent " + agent, kind: ptrace.SpanKindInternal, start: start, end: end,
		attrs: append([]kv{a("gen_ai.operation.name", "invoke_agent"), a("gen_ai.agent.name", agent)}, extra...)}
}

func vercelBase(op, user string, extra ...kv) []kv {
	return append([]kv{
		a("operation.name", op+" support-agent"), a("resource.name", "support-agent"), a("ai.operationId", op),
		a("ai.telemetry.functionId", "support-agent"), a("ai.model.provider", "openai.chat"), a("ai.model.id", "gpt-4o"),
		a("ai.settings.maxRetries", 2), a("ai.telemetry.metadata.userId", user), a("ai.telemetry.metadata.sessionId", "conv-"+user),
	}, extra...)
}

// hazardSets builds one trace set per hazard; trace numbers are unique
// across sets so that the combined set keeps them apart.
func hazardSets() []*traceSet {
	var out []*traceSet
	add := func(name string, want map[string]userWant, build func(td ptrace.Traces)) {
		td := ptrace.NewTraces()
		build(td)
		out = append(out, newTraceSet("hazard/"+name, td, want))
	}

	// Vercel AI SDK: the outer ai.generateText span is an agent (function id)
	// and repeats usage (v6: the sum; v4/v5: the last step only); only the
	// doGenerate spans count. ai.usage.* and gen_ai.usage.* never add up.
	add("vercel-outer", map[string]userWant{"hz-vercel-v6": {1, 330}, "hz-vercel-v4": {1, 330}}, func(td ptrace.Traces) {
		for n, v := range []string{"v6", "v4"} {
			user := "hz-vercel-" + v
			outer := []kv{a("ai.usage.inputTokens", 260), a("ai.usage.outputTokens", 70), a("ai.usage.cachedInputTokens", 96)}
			if v == "v4" {
				outer = []kv{a("ai.usage.promptTokens", 120), a("ai.usage.completionTokens", 48)}
			}
			step := func(id uint64, start, in, out, cached int64) sp {
				attrs := vercelBase("ai.generateText.doGenerate", user, a("gen_ai.system", "openai.chat"), a("gen_ai.request.model", "gpt-4o"),
					a("gen_ai.response.model", "gpt-4o-2024-08-06"), a("gen_ai.usage.input_tokens", in), a("gen_ai.usage.output_tokens", out))
				if v == "v4" {
					attrs = append(attrs, a("ai.usage.promptTokens", in), a("ai.usage.completionTokens", out))
				} else {
					attrs = append(attrs, a("ai.usage.inputTokens", in), a("ai.usage.outputTokens", out), a("ai.usage.cachedInputTokens", cached))
				}
				return sp{id: id, parent: 1, name: "ai.generateText.doGenerate", scope: "ai", start: start, end: start + 900, attrs: attrs}
			}
			addTrace(td, uint64(101+n), "support-app",
				sp{id: 1, name: "ai.generateText", scope: "ai", start: 0, end: 3000, attrs: vercelBase("ai.generateText", user, outer...)},
				step(2, 100, 140, 22, 64),
				sp{id: 3, parent: 2, name: "ai.toolCall", scope: "ai", start: 1000, attrs: vercelBase("ai.toolCall", user, a("ai.toolCall.name", "lookup"))},
				step(4, 1500, 120, 48, 32),
			)
		}
	})

	// AI SDK v7 / GenAI conventions: invoke_agent carries the run totals and
	// the chat spans the per-call usage.
	add("v7-invoke-agent", map[string]userWant{"hz-v7": {1, 330}}, func(td ptrace.Traces) {
		root := invokeAgent(1, 0, 0, 5000, "support-agent", a("gen_ai.provider.name", "openai"), a("gen_ai.request.model", "gpt-4o"),
			a("ai.settings.context.userId", "hz-v7"), a("gen_ai.usage.input_tokens", 260), a("gen_ai.usage.output_tokens", 70),
			a("gen_ai.usage.cache_read.input_tokens", 96))
		step := func(id, parent uint64, start int64) sp {
			return sp{id: id, parent: parent, name: "step", start: start, end: start + 1500, attrs: []kv{a("gen_ai.operation.name", "agent_step")}}
		}
		spans := []sp{root, step(2, 1, 100), chat(3, 2, 200, "gpt-4o", 140, 22, a("gen_ai.usage.cache_read.input_tokens", 64)),
			{id: 4, parent: 3, name: "execute_tool lookup", start: 700, attrs: []kv{a("gen_ai.operation.name", "execute_tool")}},
			step(5, 1, 2000), chat(6, 5, 2100, "gpt-4o", 120, 48, a("gen_ai.usage.cache_read.input_tokens", 32))}
		for i := range spans {
			spans[i].scope = "gen_ai"
		}
		addTrace(td, 103, "svc", spans...)
	})

	// Strands: the agent span accumulates the usage of its cycles' chat spans.
	add("strands-accumulated", map[string]userWant{"hz-strands": {1, 330}}, func(td ptrace.Traces) {
		ctx := []kv{a("user.id", "hz-strands"), a("session.id", "s-strands"), a("gen_ai.system", "strands-agents")}
		strandsChat := func(id, parent uint64, start, in, out int64) sp {
			return sp{id: id, parent: parent, name: "chat", start: start, attrs: append([]kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.request.model", "gpt-4o"),
				a("gen_ai.usage.prompt_tokens", in), a("gen_ai.usage.input_tokens", in),
				a("gen_ai.usage.completion_tokens", out), a("gen_ai.usage.output_tokens", out), a("gen_ai.usage.total_tokens", in+out),
			}, ctx...)}
		}
		addTrace(td, 104, "svc",
			invokeAgent(1, 0, 0, 5000, "Strands Agents", append([]kv{a("gen_ai.request.model", "gpt-4o"),
				a("gen_ai.usage.input_tokens", 260), a("gen_ai.usage.output_tokens", 70), a("gen_ai.usage.total_tokens", 330)}, ctx...)...),
			sp{id: 2, parent: 1, name: "execute_event_loop_cycle", start: 100, end: 2000, attrs: append([]kv{a("event_loop.cycle_id", "c1")}, ctx...)},
			strandsChat(3, 2, 200, 140, 22),
			sp{id: 4, parent: 2, name: "execute_tool lookup", start: 700, attrs: append([]kv{a("gen_ai.operation.name", "execute_tool")}, ctx...)},
			sp{id: 5, parent: 2, name: "execute_event_loop_cycle", start: 1200, end: 1900, attrs: append([]kv{a("event_loop.cycle_id", "c2")}, ctx...)},
			strandsChat(6, 5, 1300, 120, 48),
		)
	})

	// Stacked LLM spans: two instrumentations wrapping one physical call.
	add("stacked-llm", map[string]userWant{"hz-litellm-http": {1, 168}, "hz-crew": {1, 330}, "hz-stack-inner": {1, 60}}, func(td ptrace.Traces) {
		// LiteLLM proxy span over the OpenAI SDK span, under an HTTP root
		// carrying the user; llm.user names another (a counted conflict).
		c := chat(3, 2, 300, "gpt-4o", 120, 48, a("gen_ai.response.model", "gpt-4o-2024-08-06"))
		addTrace(td, 105, "proxy",
			sp{id: 1, name: "POST /v1/chat/completions", kind: ptrace.SpanKindServer, start: 0, end: 2000, attrs: []kv{a("user.id", "hz-litellm-http")}},
			sp{id: 2, parent: 1, name: "litellm_request", scope: "litellm", start: 100, end: 1900, attrs: []kv{
				a("gen_ai.system", "openai"), a("gen_ai.request.model", "gpt-4o"), a("gen_ai.usage.input_tokens", 120),
				a("gen_ai.usage.output_tokens", 48), a("gen_ai.cost.total_cost", 0.001), a("llm.user", "end-user-7")}},
			c,
		)
		// CrewAI: cumulative agent usage, {model}.llm spans each over an SDK span.
		const crew = "opentelemetry.instrumentation.crewai"
		l1, l2 := chat(4, 3, 300, "gpt-4o", 140, 22), chat(6, 3, 1300, "gpt-4o", 120, 48)
		l1.name, l2.name = "gpt-4o.llm", "gpt-4o.llm"
		addTrace(td, 106, "svc",
			sp{id: 1, name: "crewai.workflow", scope: crew, start: 0, end: 3000, attrs: []kv{a("gen_ai.operation.name", "invoke_agent"),
				a("gen_ai.provider.name", "crewai"), a("traceloop.association.properties.user_id", "hz-crew"), a("crewai.crew.token_usage", "total_tokens=330")}},
			sp{id: 2, parent: 1, name: "research.task", scope: crew, start: 100, end: 2900, attrs: []kv{a("traceloop.span.kind", "task"),
				a("gen_ai.operation.name", "invoke_agent")}},
			sp{id: 3, parent: 2, name: "Researcher.agent", scope: crew, start: 200, end: 2800, attrs: []kv{a("traceloop.span.kind", "agent"),
				a("gen_ai.agent.name", "Researcher"), a("gen_ai.request.model", "gpt-4o"), a("gen_ai.usage.input_tokens", 260),
				a("gen_ai.usage.output_tokens", 70)}},
			l1, chat(5, 4, 350, "gpt-4o", 140, 22), l2, chat(7, 6, 1350, "gpt-4o", 120, 48),
		)
		// An OpenInference LLM span with usage over a usage-less SDK span.
		addTrace(td, 107, "svc",
			invokeAgent(1, 0, 0, 2000, "inner-agent", a("user.id", "hz-stack-inner")),
			sp{id: 2, parent: 1, name: "ChatCompletion", scope: "openinference.instrumentation.openai", start: 100, end: 1500, attrs: []kv{
				a("openinference.span.kind", "LLM"), a("llm.model_name", "gpt-4o"), a("llm.token_count.prompt", 50), a("llm.token_count.completion", 10)}},
			sp{id: 3, parent: 2, name: "chat gpt-4o", kind: ptrace.SpanKindClient, start: 200, end: 1400, attrs: []kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.provider.name", "openai"), a("gen_ai.request.model", "gpt-4o")}},
		)
	})

	// Runs whose only usage is on agent or aggregate spans, and Pydantic AI's
	// aggregated_usage that must never add to the chat spans.
	add("aggregate-only", map[string]userWant{"hz-agg": {1, 330}, "hz-pydantic": {1, 330}}, func(td ptrace.Traces) {
		addTrace(td, 108, "svc",
			invokeAgent(1, 0, 0, 3000, "Strands Agents", a("gen_ai.system", "strands-agents"), a("gen_ai.request.model", "gpt-4o"),
				a("user.id", "hz-agg"), a("gen_ai.usage.input_tokens", 260), a("gen_ai.usage.output_tokens", 70)),
			sp{id: 2, parent: 1, name: "execute_event_loop_cycle", start: 100, end: 2900, attrs: []kv{a("event_loop.cycle_id", "c1"),
				a("gen_ai.usage.input_tokens", 260), a("gen_ai.usage.output_tokens", 70)}},
		)
		root := invokeAgent(1, 0, 0, 3000, "support", a("user.id", "hz-pydantic"),
			a("gen_ai.aggregated_usage.input_tokens", 260), a("gen_ai.aggregated_usage.output_tokens", 70))
		root.scope = "pydantic-ai"
		addTrace(td, 109, "svc", root,
			chat(2, 1, 100, "gpt-4o", 140, 22, a("operation.cost", 0.001)),
			chat(3, 1, 1000, "gpt-4o", 120, 48, a("operation.cost", 0.002)),
		)
	})

	// The user on an HTTP server span above the run (implicit and explicit
	// runs); an agent's own user wins over its ancestor's.
	add("http-root-user", map[string]userWant{"hz-http-implicit": {1, 45}, "hz-http-agent": {1, 15}, "hz-http-own": {1, 15}}, func(td ptrace.Traces) {
		addTrace(td, 110, "api",
			sp{id: 1, name: "POST /chat", kind: ptrace.SpanKindServer, start: 0, end: 3000, attrs: []kv{a("user.id", "hz-http-implicit"), a("session.id", "s-http")}},
			chat(2, 1, 100, "gpt-4o", 10, 5),
			chat(3, 1, 1000, "gpt-4o-mini", 20, 10),
		)
		addTrace(td, 111, "api",
			sp{id: 1, name: "GET /", kind: ptrace.SpanKindServer, start: 0, end: 3000, attrs: []kv{a("user.id", "hz-http-agent")}},
			invokeAgent(2, 1, 100, 1400, "agent-a"),
			chat(3, 2, 200, "gpt-4o", 10, 5),
			invokeAgent(4, 1, 1500, 2900, "agent-b", a("user.id", "hz-http-own")),
			chat(5, 4, 1600, "gpt-4o", 10, 5),
		)
	})

	// The user id only on the last span of the run (by start time).
	add("user-on-last-span", map[string]userWant{"hz-last": {1, 75}, "hz-last-implicit": {1, 6}}, func(td ptrace.Traces) {
		addTrace(td, 112, "svc",
			invokeAgent(1, 0, 0, 4000, "late-agent"),
			chat(2, 1, 1000, "gpt-4o", 10, 5),
			sp{id: 3, parent: 1, name: "execute_tool lookup", start: 1500, end: 2600, attrs: []kv{a("gen_ai.operation.name", "execute_tool")}},
			chat(4, 3, 2000, "gpt-4o", 20, 5),
			chat(5, 1, 3000, "gpt-4o-mini", 30, 5, a("user.id", "hz-last")),
		)
		addTrace(td, 113, "svc",
			sp{id: 1, name: "POST /x", kind: ptrace.SpanKindServer, start: 0, end: 3000},
			chat(2, 1, 100, "gpt-4o", 1, 1),
			chat(3, 1, 2000, "gpt-4o", 2, 2, a("user.id", "hz-last-implicit")),
		)
	})

	// Ties: two calls of one run start at the same instant and name different
	// users (the smaller span id wins), and two parentless calls start at the
	// same instant (the implicit run's root is the smaller span id). Plus a
	// user id that needs escaping in the API's paths and JSON.
	const oddUser = "hz ünï/<tie>&%2F"
	add("ties-and-odd-ids", map[string]userWant{"hz-tie-a": {1, 30}, oddUser: {1, 6}}, func(td ptrace.Traces) {
		addTrace(td, 115, "svc",
			invokeAgent(1, 0, 0, 3000, "tie-agent"),
			chat(3, 1, 1000, "gpt-4o", 10, 5, a("user.id", "hz-tie-b")),
			chat(2, 1, 1000, "gpt-4o", 10, 5, a("user.id", "hz-tie-a")),
		)
		addTrace(td, 116, "svc",
			chat(7, 0, 500, "gpt-4o", 1, 1),
			chat(6, 0, 500, "gpt-4o", 2, 2, a("user.id", oddUser)),
		)
	})

	// Orphans: calls whose parent never arrives (dropped, or sampled away).
	// In a trace with one run they join it; with several, the implicit run.
	add("orphan-spans", map[string]userWant{"hz-orphan-one": {1, 40}, "hz-orphan-x": {1, 2}, "hz-orphan-y": {1, 2}, "hz-orphan-z": {1, 10}},
		func(td ptrace.Traces) {
			addTrace(td, 117, "svc",
				invokeAgent(1, 0, 0, 3000, "one-agent", a("user.id", "hz-orphan-one")),
				chat(2, 1, 100, "gpt-4o", 10, 5),
				chat(3, 0xdead, 1500, "gpt-4o", 20, 5),
			)
			addTrace(td, 118, "worker",
				sp{id: 1, name: "batch-job", start: 0, end: 9000},
				invokeAgent(2, 1, 100, 1000, "item-agent", a("user.id", "hz-orphan-x")),
				chat(3, 2, 200, "gpt-4o", 1, 1),
				invokeAgent(4, 1, 2000, 3000, "item-agent", a("user.id", "hz-orphan-y")),
				chat(5, 4, 2100, "gpt-4o", 1, 1),
				chat(6, 0xdead, 5000, "gpt-4o", 5, 5, a("user.id", "hz-orphan-z")),
			)
		})

	// A run across an hour boundary whose start, user and hour bucket all
	// move as spans arrive: the call alone is an implicit run of hz-hour-llm
	// in the later hour; its agent span moves the run into the earlier hour;
	// the HTTP root above the agent makes it hz-hour-http's.
	add("hour-boundary", map[string]userWant{"hz-hour-http": {1, 130}}, func(td ptrace.Traces) {
		addTraceAt(td, 119, "svc", time.Date(2026, 3, 2, 10, 59, 59, 0, time.UTC),
			sp{id: 1, name: "GET /report", kind: ptrace.SpanKindServer, start: 500, end: 3000, attrs: []kv{a("user.id", "hz-hour-http")}},
			invokeAgent(2, 1, 800, 2900, "hour-agent"),
			chat(3, 2, 1200, "gpt-4o", 100, 20, a("user.id", "hz-hour-llm")),
			chat(4, 2, 1900, "gpt-4o-mini", 5, 5),
		)
	})

	// A batch job: sibling top-level agent runs, one per user, in one trace.
	want := map[string]userWant{}
	for i := int64(1); i <= 10; i++ {
		want[fmt.Sprintf("hz-b%02d", i)] = userWant{1, 10*i + 5}
	}
	add("batch-10-users", want, func(td ptrace.Traces) {
		spans := []sp{{id: 1, name: "batch-job", start: 0, end: 60_000}}
		for i := uint64(1); i <= 10; i++ {
			s := int64(i) * 5000
			spans = append(spans,
				invokeAgent(100+i, 1, s, s+4000, "support-agent", a("user.id", fmt.Sprintf("hz-b%02d", i)), a("session.id", fmt.Sprintf("conv-%d", i))),
				chat(200+i, 100+i, s+100, "gpt-4o", int64(10*i), 5))
		}
		addTrace(td, 114, "worker", spans...)
	})
	return out
}
