package e2e

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The data set: what an application instrumented with the OpenTelemetry
// GenAI semantic conventions exports. Each agent run is an `invoke_agent`
// span carrying user.id and session.id, with `chat` CLIENT children (the
// OpenAI instrumentation) that carry model and usage but no user; the user
// must be inherited from the agent span. All calls go to gpt-4o and
// gpt-4o-mini, which respond with their dated snapshot names as real OpenAI
// responses do.
//
// List prices (USD per 1M tokens) → nano-USD per token:
//
//	gpt-4o       input 2.50 → 2500, cached input 1.25 → 1250, output 10.00 → 10000
//	gpt-4o-mini  input 0.15 →  150, cached input 0.075 →  75, output  0.60 →   600
//
// cost = (input − cached)·input price + cached·cached price + output·output price,
// where gen_ai.usage.input_tokens includes the cached tokens. The API serves
// dollars rounded half-up to micro-USD.

// call is one chat completion inside a run.
type call struct {
	reqModel, respModel string
	server              string
	in, cached, out     int64
	failed              bool          // the provider answered 500: no response model, no usage
	offset, dur         time.Duration // relative to the run start
}

// agentRun is one agent invocation (or, with implicit, one bare chat span
// without an agent and without a user).
type agentRun struct {
	n        byte // makes the trace and span ids
	service  string
	user     string
	session  string
	agent    string
	start    time.Time
	dur      time.Duration
	failed   bool
	tool     bool // an execute_tool span between the first two calls
	implicit bool
	calls    []call
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

const ms = time.Millisecond

func gpt4o(in, cached, out int64, offset, dur time.Duration) call {
	return call{reqModel: "gpt-4o", respModel: "gpt-4o-2024-08-06", in: in, cached: cached, out: out, offset: offset, dur: dur}
}

func gpt4oMini(in, cached, out int64, offset, dur time.Duration) call {
	return call{reqModel: "gpt-4o-mini", respModel: "gpt-4o-mini-2024-07-18", in: in, cached: cached, out: out, offset: offset, dur: dur}
}

var (
	// user-alice: two support-agent runs.
	//   gpt-4o:      (1200−400)·2500 + 400·1250 + 350·10000 = 6_000_000
	//   gpt-4o-mini: 800·150 + 120·600                      =   192_000
	//   run 6_192_000 nano-USD = 0.006192, tokens 1550 + 920 = 2470, 4.2 s
	alice1 = agentRun{n: 1, user: "user-alice", session: "conv-a1", agent: "support-agent",
		start: ts("2026-02-03T09:00:00Z"), dur: 4200 * ms, tool: true, calls: []call{
			gpt4o(1200, 400, 350, 100*ms, 1800*ms),
			gpt4oMini(800, 0, 120, 2500*ms, 1500*ms),
		}}
	//   gpt-4o: (2000−1024)·2500 + 1024·1250 + 500·10000 = 8_720_000 = 0.00872, tokens 2500, 2.5 s
	alice2 = agentRun{n: 2, user: "user-alice", session: "conv-a2", agent: "support-agent",
		start: ts("2026-02-05T14:30:00Z"), dur: 2500 * ms, calls: []call{
			gpt4o(2000, 1024, 500, 200*ms, 2200*ms),
		}}

	// user-bob: a support-agent run and a failed research-agent run.
	//   gpt-4o-mini: (5000−2048)·150 + 2048·75 + 900·600 = 1_136_400
	//   gpt-4o-mini: 3000·150 + 400·600                   =   690_000
	//   run 1_826_400 = 0.0018264 → 0.001826, tokens 5900 + 3400 = 9300, 6.75 s
	bob1 = agentRun{n: 3, user: "user-bob", session: "conv-b1", agent: "support-agent",
		start: ts("2026-02-04T10:15:00Z"), dur: 6750 * ms, calls: []call{
			gpt4oMini(5000, 2048, 900, 250*ms, 3000*ms),
			gpt4oMini(3000, 0, 400, 3500*ms, 3000*ms),
		}}
	//   gpt-4o: 1500·2500 + 300·10000 = 6_750_000 = 0.00675, tokens 1800;
	//   then a gpt-4o call fails (500, no usage): it is a call of model
	//   gpt-4o (the request model) with cost 0. Run status error, 1.25 s.
	bob2 = agentRun{n: 4, user: "user-bob", session: "conv-b2", agent: "research-agent",
		start: ts("2026-02-06T16:45:00Z"), dur: 1250 * ms, failed: true, calls: []call{
			gpt4o(1500, 0, 300, 50*ms, 800*ms),
			{reqModel: "gpt-4o", failed: true, offset: 900 * ms, dur: 300 * ms},
		}}

	// user-carol: one triage-agent run without a session.
	//   gpt-4o-mini: 400·150 + 80·600 = 108_000 = 0.000108, tokens 480
	//   acme-finetune-7b (self-hosted, no price): cost 0, unpriced, tokens 300
	//   run 0.000108, tokens 780, 0.9 s
	carol1 = agentRun{n: 5, user: "user-carol", agent: "triage-agent",
		start: ts("2026-02-05T20:00:00Z"), dur: 900 * ms, calls: []call{
			gpt4oMini(400, 0, 80, 50*ms, 400*ms),
			{reqModel: "acme-finetune-7b", respModel: "acme-finetune-7b", server: "llm.internal.acme.dev",
				in: 250, out: 50, offset: 500 * ms, dur: 350 * ms},
		}}

	// user-dave: three small code-agent runs, one per transport.
	//   27_000 (0.000027, 120 tokens, 3 s), 54_000 (0.000054, 240 tokens, 2 s),
	//   (300−100)·150 + 100·75 + 60·600 = 73_500 (0.0000735 → 0.000074, 360 tokens, 2.25 s)
	//   total 154_500 = 0.0001545 → 0.000155, 720 tokens, 7.25 s
	dave1 = agentRun{n: 6, user: "user-dave", session: "conv-d1", agent: "code-agent",
		start: ts("2026-02-02T12:00:00Z"), dur: 3000 * ms, calls: []call{
			gpt4oMini(100, 0, 20, 500*ms, 2000*ms),
		}}
	dave2 = agentRun{n: 7, user: "user-dave", session: "conv-d2", agent: "code-agent",
		start: ts("2026-02-07T08:00:00.25Z"), dur: 2000 * ms, calls: []call{
			gpt4oMini(200, 0, 40, 100*ms, 1500*ms),
		}}
	dave3 = agentRun{n: 8, user: "user-dave", session: "conv-d3", agent: "code-agent",
		start: ts("2026-02-07T18:20:00Z"), dur: 2250 * ms, calls: []call{
			gpt4oMini(300, 100, 60, 250*ms, 1750*ms),
		}}

	// A chat call outside any agent and without a user (a batch job): an
	// implicit run that must not appear among the users.
	anonymous = agentRun{n: 9, service: "batch-summarizer", implicit: true,
		start: ts("2026-02-04T02:00:00Z"), calls: []call{
			gpt4oMini(5000, 0, 500, 0, 4000*ms),
		}}

	// markers are sent with the replayed data, one run in each transport's
	// request: once the marker user has all three runs, every replayed span
	// has been applied too (a request is applied in one transaction). Their
	// three runs and 5100 tokens keep everybody unflagged (high_usage) in a
	// population with or without the marker user.
	markers = []agentRun{marker(10, "2026-02-08T00:00:00Z"), marker(11, "2026-02-08T01:00:00Z"), marker(12, "2026-02-08T02:00:00Z")}
)

func marker(n byte, start string) agentRun {
	return agentRun{n: n, user: "zz-marker", agent: "marker-agent", start: ts(start), dur: 1000 * ms,
		calls: []call{gpt4oMini(1400, 0, 300, 100*ms, 500*ms)}}
}

// One request per transport; every user but carol has runs in more than one
// of them, so each user's totals show that all three transports work.
var (
	grpcRuns      = []agentRun{alice1, bob2, dave1, anonymous}
	httpProtoRuns = []agentRun{bob1, dave2}
	httpJSONRuns  = []agentRun{alice2, carol1, dave3}
)

func traceID(n byte) pcommon.TraceID {
	return pcommon.TraceID{0x5a, 0x11, 0xe2, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n}
}

func spanID(n, i byte) pcommon.SpanID {
	return pcommon.SpanID{0x5a, n, 0, 0, 0, 0, 0, i}
}

func nanos(t time.Time) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t) }

// buildTraces renders runs as one OTLP request: a resource per service, the
// agent spans in the application's scope and the chat spans in the OpenAI
// instrumentation's scope. Children come before their parents, in the order
// SDKs export ended spans.
func buildTraces(runs ...agentRun) ptrace.Traces {
	td := ptrace.NewTraces()
	type scopes struct{ app, openai ptrace.SpanSlice }
	byService := map[string]scopes{}
	scopesOf := func(service string) scopes {
		if s, ok := byService[service]; ok {
			return s
		}
		rs := td.ResourceSpans().AppendEmpty()
		res := rs.Resource().Attributes()
		res.PutStr("service.name", service)
		res.PutStr("service.version", "1.4.2")
		res.PutStr("deployment.environment.name", "production")
		res.PutStr("telemetry.sdk.name", "opentelemetry")
		res.PutStr("telemetry.sdk.language", "python")
		res.PutStr("telemetry.sdk.version", "1.38.0")
		app := rs.ScopeSpans().AppendEmpty()
		app.Scope().SetName(service)
		openai := rs.ScopeSpans().AppendEmpty()
		openai.Scope().SetName("opentelemetry.instrumentation.openai_v2")
		openai.Scope().SetVersion("2.1b0")
		s := scopes{app: app.Spans(), openai: openai.Spans()}
		byService[service] = s
		return s
	}
	for _, r := range runs {
		service := r.service
		if service == "" {
			service = "support-app"
		}
		sc := scopesOf(service)
		root := spanID(r.n, 1)
		var parent pcommon.SpanID
		if r.implicit {
			parent = pcommon.NewSpanIDEmpty()
		} else {
			parent = root
		}
		for i, c := range r.calls {
			s := sc.openai.AppendEmpty()
			id := spanID(r.n, byte(2+i))
			if r.implicit {
				id = root
			}
			fillChat(s, r, c, id, parent, i)
			if i == 0 && r.tool {
				fillTool(sc.app.AppendEmpty(), r, parent)
			}
		}
		if !r.implicit {
			fillAgent(sc.app.AppendEmpty(), r, root)
		}
	}
	return td
}

func fillChat(s ptrace.Span, r agentRun, c call, id, parent pcommon.SpanID, i int) {
	s.SetTraceID(traceID(r.n))
	s.SetSpanID(id)
	s.SetParentSpanID(parent)
	s.SetName("chat " + c.reqModel)
	s.SetKind(ptrace.SpanKindClient)
	start := r.start.Add(c.offset)
	s.SetStartTimestamp(nanos(start))
	s.SetEndTimestamp(nanos(start.Add(c.dur)))
	a := s.Attributes()
	a.PutStr("gen_ai.operation.name", "chat")
	a.PutStr("gen_ai.provider.name", "openai")
	a.PutStr("gen_ai.request.model", c.reqModel)
	a.PutDouble("gen_ai.request.temperature", 0.2)
	server := c.server
	if server == "" {
		server = "api.openai.com"
	}
	a.PutStr("server.address", server)
	a.PutInt("server.port", 443)
	if c.failed {
		a.PutStr("error.type", "openai.InternalServerError")
		s.Status().SetCode(ptrace.StatusCodeError)
		s.Status().SetMessage("Error code: 500 - {'error': {'message': 'The server had an error while processing your request.'}}")
		ev := s.Events().AppendEmpty()
		ev.SetName("exception")
		ev.SetTimestamp(nanos(start.Add(c.dur)))
		ev.Attributes().PutStr("exception.type", "openai.InternalServerError")
		ev.Attributes().PutStr("exception.message", "Error code: 500")
		return
	}
	a.PutStr("gen_ai.response.model", c.respModel)
	a.PutStr("gen_ai.response.id", fmt.Sprintf("chatcmpl-e2e%02d%02d", r.n, i))
	a.PutEmptySlice("gen_ai.response.finish_reasons").AppendEmpty().SetStr("stop")
	a.PutInt("gen_ai.usage.input_tokens", c.in)
	a.PutInt("gen_ai.usage.output_tokens", c.out)
	if c.cached > 0 {
		a.PutInt("gen_ai.usage.cache_read.input_tokens", c.cached)
	}
}

func fillTool(s ptrace.Span, r agentRun, parent pcommon.SpanID) {
	s.SetTraceID(traceID(r.n))
	s.SetSpanID(spanID(r.n, 0x10))
	s.SetParentSpanID(parent)
	s.SetName("execute_tool lookup_ticket")
	s.SetKind(ptrace.SpanKindInternal)
	start := r.start.Add(r.calls[0].offset + r.calls[0].dur + 50*ms)
	s.SetStartTimestamp(nanos(start))
	s.SetEndTimestamp(nanos(start.Add(300 * ms)))
	a := s.Attributes()
	a.PutStr("gen_ai.operation.name", "execute_tool")
	a.PutStr("gen_ai.tool.name", "lookup_ticket")
	a.PutStr("gen_ai.tool.call.id", fmt.Sprintf("call_e2e%02d", r.n))
	a.PutStr("gen_ai.tool.type", "function")
}

func fillAgent(s ptrace.Span, r agentRun, id pcommon.SpanID) {
	s.SetTraceID(traceID(r.n))
	s.SetSpanID(id)
	s.SetName("invoke_agent " + r.agent)
	s.SetKind(ptrace.SpanKindInternal)
	s.SetStartTimestamp(nanos(r.start))
	s.SetEndTimestamp(nanos(r.start.Add(r.dur)))
	a := s.Attributes()
	a.PutStr("gen_ai.operation.name", "invoke_agent")
	a.PutStr("gen_ai.agent.name", r.agent)
	a.PutStr("gen_ai.provider.name", "openai")
	a.PutStr("user.id", r.user)
	if r.session != "" {
		a.PutStr("session.id", r.session)
	}
	if r.failed {
		a.PutStr("error.type", "openai.InternalServerError")
		s.Status().SetCode(ptrace.StatusCodeError)
		s.Status().SetMessage("research failed: the model provider returned 500")
	}
}
