package main

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// render turns runs into one OTLP request: one resource (service) and one
// scope per convention present.
func render(runs []run) ptrace.Traces {
	td := ptrace.NewTraces()
	scopes := map[string]ptrace.SpanSlice{}
	for i := range runs {
		r := &runs[i]
		ss, ok := scopes[r.conv]
		if !ok {
			rs := td.ResourceSpans().AppendEmpty()
			rs.Resource().Attributes().PutStr("service.name", "loadgen-"+r.conv)
			sc := rs.ScopeSpans().AppendEmpty()
			switch r.conv {
			case convGenAI:
				sc.Scope().SetName("opentelemetry.instrumentation.openai_v2")
			case convOpenInference:
				sc.Scope().SetName("openinference.instrumentation.openai")
			case convVercel:
				sc.Scope().SetName("ai")
			}
			ss = sc.Spans()
			scopes[r.conv] = ss
		}
		switch r.conv {
		case convGenAI:
			renderGenAI(ss, r)
		case convOpenInference:
			renderOpenInference(ss, r)
		case convVercel:
			renderVercel(ss, r)
		}
	}
	return td
}

func newSpan(ss ptrace.SpanSlice, r *run, id, parent [8]byte, name string, kind ptrace.SpanKind, start, end int64) ptrace.Span {
	s := ss.AppendEmpty()
	s.SetTraceID(pcommon.TraceID(r.traceID))
	s.SetSpanID(pcommon.SpanID(id))
	if parent != ([8]byte{}) {
		s.SetParentSpanID(pcommon.SpanID(parent))
	}
	s.SetName(name)
	s.SetKind(kind)
	s.SetStartTimestamp(pcommon.Timestamp(start))
	s.SetEndTimestamp(pcommon.Timestamp(end))
	return s
}

func toolSpanID(r *run, i int) [8]byte {
	id := r.calls[i].spanID
	id[4] |= 0x80 // tool after call i
	return id
}

func renderGenAI(ss ptrace.SpanSlice, r *run) {
	root := newSpan(ss, r, r.rootID, [8]byte{}, "invoke_agent "+r.agent, ptrace.SpanKindInternal, r.start, r.end)
	a := root.Attributes()
	a.PutStr("gen_ai.operation.name", "invoke_agent")
	a.PutStr("gen_ai.agent.name", r.agent)
	a.PutStr("gen_ai.provider.name", r.calls[0].model.provider)
	a.PutStr("user.id", r.user)
	a.PutStr("gen_ai.conversation.id", r.session)
	for i := range r.calls {
		c := &r.calls[i]
		s := newSpan(ss, r, c.spanID, r.rootID, "chat "+c.model.request, ptrace.SpanKindClient, c.start, c.end)
		a := s.Attributes()
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.provider.name", c.model.provider)
		a.PutStr("gen_ai.request.model", c.model.request)
		a.PutStr("gen_ai.response.model", c.model.response)
		a.PutInt("gen_ai.usage.input_tokens", c.input)
		a.PutInt("gen_ai.usage.output_tokens", c.output)
		if c.cacheRead > 0 {
			a.PutInt("gen_ai.usage.cache_read.input_tokens", c.cacheRead)
		}
		if c.cacheWrite > 0 {
			a.PutInt("gen_ai.usage.cache_creation.input_tokens", c.cacheWrite)
		}
		if c.model.reasoning {
			a.PutInt("gen_ai.usage.reasoning.output_tokens", c.reasoning)
		}
		a.PutStr("gen_ai.response.finish_reasons", "stop")
		if i < len(r.calls)-1 {
			t := newSpan(ss, r, toolSpanID(r, i), r.rootID, "execute_tool "+tools[i%len(tools)], ptrace.SpanKindInternal, c.end, r.calls[i+1].start)
			t.Attributes().PutStr("gen_ai.operation.name", "execute_tool")
			t.Attributes().PutStr("gen_ai.tool.name", tools[i%len(tools)])
		}
	}
}

func renderOpenInference(ss ptrace.SpanSlice, r *run) {
	root := newSpan(ss, r, r.rootID, [8]byte{}, r.agent, ptrace.SpanKindInternal, r.start, r.end)
	a := root.Attributes()
	a.PutStr("openinference.span.kind", "AGENT")
	a.PutStr("agent.name", r.agent)
	a.PutStr("user.id", r.user)
	a.PutStr("session.id", r.session)
	for i := range r.calls {
		c := &r.calls[i]
		s := newSpan(ss, r, c.spanID, r.rootID, "ChatCompletion", ptrace.SpanKindInternal, c.start, c.end)
		a := s.Attributes()
		a.PutStr("openinference.span.kind", "LLM")
		a.PutStr("llm.system", c.model.provider)
		a.PutStr("llm.provider", c.model.provider)
		a.PutStr("llm.model_name", c.model.response)
		a.PutInt("llm.token_count.prompt", c.input)
		a.PutInt("llm.token_count.completion", c.output)
		a.PutInt("llm.token_count.total", c.input+c.output)
		if c.cacheRead > 0 {
			a.PutInt("llm.token_count.prompt_details.cache_read", c.cacheRead)
		}
		if c.cacheWrite > 0 {
			a.PutInt("llm.token_count.prompt_details.cache_write", c.cacheWrite)
		}
		if c.model.reasoning {
			a.PutInt("llm.token_count.completion_details.reasoning", c.reasoning)
		}
		if i < len(r.calls)-1 {
			t := newSpan(ss, r, toolSpanID(r, i), r.rootID, tools[i%len(tools)], ptrace.SpanKindInternal, c.end, r.calls[i+1].start)
			t.Attributes().PutStr("openinference.span.kind", "TOOL")
			t.Attributes().PutStr("tool.name", tools[i%len(tools)])
		}
	}
}

func renderVercel(ss ptrace.SpanSlice, r *run) {
	root := newSpan(ss, r, r.rootID, [8]byte{}, "ai.generateText", ptrace.SpanKindInternal, r.start, r.end)
	a := root.Attributes()
	m := r.calls[0].model
	a.PutStr("operation.name", "ai.generateText "+r.agent)
	a.PutStr("ai.operationId", "ai.generateText")
	a.PutStr("ai.telemetry.functionId", r.agent)
	a.PutStr("ai.telemetry.metadata.userId", r.user)
	a.PutStr("ai.telemetry.metadata.sessionId", r.session)
	a.PutStr("ai.model.id", m.request)
	a.PutStr("ai.model.provider", m.vercelProvider)
	// The outer span repeats the steps' usage (an aggregate: not counted
	// again, design S4).
	var in, out int64
	for i := range r.calls {
		in += r.calls[i].input
		out += r.calls[i].output
	}
	a.PutInt("ai.usage.inputTokens", in)
	a.PutInt("ai.usage.outputTokens", out)
	a.PutInt("ai.usage.totalTokens", in+out)
	for i := range r.calls {
		c := &r.calls[i]
		s := newSpan(ss, r, c.spanID, r.rootID, "ai.generateText.doGenerate", ptrace.SpanKindClient, c.start, c.end)
		a := s.Attributes()
		a.PutStr("operation.name", "ai.generateText.doGenerate "+r.agent)
		a.PutStr("ai.operationId", "ai.generateText.doGenerate")
		a.PutStr("ai.telemetry.functionId", r.agent)
		a.PutStr("ai.model.id", c.model.request)
		a.PutStr("ai.model.provider", c.model.vercelProvider)
		a.PutStr("ai.response.model", c.model.response)
		a.PutInt("ai.usage.inputTokens", c.input)
		a.PutInt("ai.usage.outputTokens", c.output)
		a.PutInt("ai.usage.totalTokens", c.input+c.output)
		if c.cacheRead > 0 {
			a.PutInt("ai.usage.cachedInputTokens", c.cacheRead)
		}
		if c.cacheWrite > 0 {
			a.PutInt("ai.usage.inputTokenDetails.cacheWriteTokens", c.cacheWrite)
		}
		if c.model.reasoning {
			a.PutInt("ai.usage.reasoningTokens", c.reasoning)
		}
		a.PutStr("gen_ai.system", c.model.vercelProvider)
		a.PutStr("gen_ai.request.model", c.model.request)
		a.PutStr("gen_ai.response.model", c.model.response)
		a.PutInt("gen_ai.usage.input_tokens", c.input)
		a.PutInt("gen_ai.usage.output_tokens", c.output)
		if i < len(r.calls)-1 {
			t := newSpan(ss, r, toolSpanID(r, i), r.rootID, "ai.toolCall", ptrace.SpanKindInternal, c.end, r.calls[i+1].start)
			t.Attributes().PutStr("ai.operationId", "ai.toolCall")
			t.Attributes().PutStr("ai.toolCall.name", tools[i%len(tools)])
		}
	}
}
