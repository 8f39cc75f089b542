package useraggprocessor

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Helpers that build realistic span trees for the tests and the benchmark.

var baseTime = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

type spanSpec struct {
	id, parent uint64 // span ids; parent 0 = root
	name       string
	kind       ptrace.SpanKind
	startMs    int
	endMs      int
	err        bool
	attrs      map[string]any
}

type scopeSpec struct {
	name  string
	spans []spanSpec
}

type resourceSpec struct {
	service string
	trace   uint64 // low bits of the trace id
	scopes  []scopeSpec
}

func traceID(n uint64) pcommon.TraceID {
	var t pcommon.TraceID
	t[0] = 0x5a
	for i := 0; i < 8; i++ {
		t[15-i] = byte(n >> (8 * i))
	}
	return t
}

func spanID(n uint64) pcommon.SpanID {
	var s pcommon.SpanID
	for i := 0; i < 8; i++ {
		s[7-i] = byte(n >> (8 * i))
	}
	return s
}

func buildTraces(resources ...resourceSpec) ptrace.Traces {
	td := ptrace.NewTraces()
	for _, r := range resources {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", r.service)
		for _, sc := range r.scopes {
			ss := rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName(sc.name)
			for _, s := range sc.spans {
				appendSpan(ss.Spans(), r.trace, s)
			}
		}
	}
	return td
}

func appendSpan(spans ptrace.SpanSlice, trace uint64, s spanSpec) ptrace.Span {
	span := spans.AppendEmpty()
	span.SetTraceID(traceID(trace))
	span.SetSpanID(spanID(s.id))
	if s.parent != 0 {
		span.SetParentSpanID(spanID(s.parent))
	}
	span.SetName(s.name)
	kind := s.kind
	if kind == ptrace.SpanKindUnspecified {
		kind = ptrace.SpanKindInternal
	}
	span.SetKind(kind)
	span.SetStartTimestamp(pcommon.NewTimestampFromTime(baseTime.Add(time.Duration(s.startMs) * time.Millisecond)))
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(baseTime.Add(time.Duration(s.endMs) * time.Millisecond)))
	if s.err {
		span.Status().SetCode(ptrace.StatusCodeError)
	}
	if err := span.Attributes().FromRaw(s.attrs); err != nil {
		panic(err)
	}
	return span
}

// agentRun is an OTel GenAI agent run: an HTTP server span carrying the
// user, an invoke_agent span, two chat calls and a tool call.
func agentRun(trace uint64, user string) resourceSpec {
	return resourceSpec{
		service: "support-api",
		trace:   trace,
		scopes: []scopeSpec{
			{name: "io.opentelemetry.http", spans: []spanSpec{{
				id: 1, name: "POST /chat", kind: ptrace.SpanKindServer, startMs: 0, endMs: 2400,
				attrs: map[string]any{
					"http.request.method": "POST",
					"user.id":             user,
					"session.id":          "sess-42",
				},
			}}},
			{name: "opentelemetry.instrumentation.openai_agents", spans: []spanSpec{
				{
					id: 2, parent: 1, name: "invoke_agent support-bot", startMs: 10, endMs: 2390,
					attrs: map[string]any{
						"gen_ai.operation.name": "invoke_agent",
						"gen_ai.agent.name":     "support-bot",
						"gen_ai.provider.name":  "openai",
					},
				},
				{
					id: 3, parent: 2, name: "chat gpt-4o", kind: ptrace.SpanKindClient, startMs: 20, endMs: 900,
					attrs: map[string]any{
						"gen_ai.operation.name":                "chat",
						"gen_ai.provider.name":                 "openai",
						"gen_ai.request.model":                 "gpt-4o",
						"gen_ai.response.model":                "gpt-4o-2024-08-06",
						"gen_ai.usage.input_tokens":            1200,
						"gen_ai.usage.output_tokens":           300,
						"gen_ai.usage.cache_read.input_tokens": 1000,
						"gen_ai.input.messages":                `[{"role":"user","parts":[{"type":"text","content":"hello"}]}]`,
					},
				},
				{
					id: 4, parent: 2, name: "execute_tool lookup_order", startMs: 910, endMs: 1000,
					attrs: map[string]any{
						"gen_ai.operation.name": "execute_tool",
						"gen_ai.tool.name":      "lookup_order",
					},
				},
				{
					id: 5, parent: 2, name: "chat gpt-4o", kind: ptrace.SpanKindClient, startMs: 1010, endMs: 2380,
					attrs: map[string]any{
						"gen_ai.operation.name":      "chat",
						"gen_ai.provider.name":       "openai",
						"gen_ai.request.model":       "gpt-4o",
						"gen_ai.response.model":      "gpt-4o-2024-08-06",
						"gen_ai.usage.input_tokens":  1500,
						"gen_ai.usage.output_tokens": 250,
					},
				},
			}},
		},
	}
}
