'use strict';
// Writes the HAND-BUILT fixtures (npm run handbuilt): conventions whose instrumentation exists only
// for Python (Pydantic AI, Strands, Google ADK, LiteLLM), so they cannot be recorded here. Every
// span is shaped from ../../../shared/docs/reference/genai-conventions.md (the section is cited per
// convention below): names, kinds, scopes, attribute keys and types, parent links. The usage
// numbers are the fake provider's (lib/fakeprovider.cjs), so the expectations line up with the
// recorded fixtures. Ids are derived from the file and span position, so they are stable and
// never collide with another file's.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { FIXTURES_DIR } = require('./lib/otlpjson.cjs');

const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 };
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0); // ms; each file starts one hour later than the previous

function hexId(seed, bytes) {
  return crypto.createHash('sha256').update(seed).digest('hex').slice(0, bytes * 2);
}

// double(0) keeps a whole-number float a doubleValue, as Python's SDK sends 0.0.
const double = (n) => ({ double: n });

function attrValue(v) {
  if (v && typeof v === 'object' && 'double' in v) return { doubleValue: v.double };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(attrValue) } };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
  return { stringValue: String(v) };
}

const attrs = (o) => Object.entries(o).map(([key, v]) => ({ key, value: attrValue(v) }));

// span(name, kind, scope, attributes, children, opts): opts.error = message marks status ERROR with
// an exception event, as the Python SDK's start_as_current_span does when an exception escapes.
function span(name, kind, scope, attributes, children = [], opts = {}) {
  return { name, kind, scope, attributes, children, opts };
}

// toRequest lays the trees out as one ExportTraceServiceRequest: one resource, one scope entry per
// instrumentation scope, spans in end order (children before parents), as a batch exporter sends them.
function toRequest(file, resource, trees) {
  const byScope = new Map();
  let clock = T0 + file.hour * 3600e3;
  let n = 0;
  const walk = (s, traceId, parentSpanId) => {
    n += 1;
    const spanId = hexId(`${file.name}/${n}`, 8);
    const start = clock;
    clock += 50;
    for (const c of s.children) walk(c, traceId, spanId);
    clock += 400;
    const out = {
      traceId, spanId, name: s.name, kind: s.kind,
      startTimeUnixNano: `${start}000000`, endTimeUnixNano: `${clock}000000`,
      attributes: attrs(s.attributes), droppedAttributesCount: 0,
      events: [], droppedEventsCount: 0, status: { code: 0 }, links: [], droppedLinksCount: 0,
    };
    if (parentSpanId) out.parentSpanId = parentSpanId;
    if (s.opts.ok) out.status = { code: 1 };
    if (s.opts.error) {
      out.status = { code: 2, message: s.opts.error };
      out.events = [{ timeUnixNano: `${clock}000000`, name: 'exception', attributes: attrs({ 'exception.type': s.opts.errorType, 'exception.message': s.opts.error, 'exception.escaped': 'False' }), droppedAttributesCount: 0 }];
    }
    const key = `${s.scope.name}@${s.scope.version || ''}`;
    if (!byScope.has(key)) byScope.set(key, { scope: s.scope, spans: [] });
    byScope.get(key).spans.push(out);
  };
  trees.forEach((t, i) => walk(t, hexId(`${file.name}/trace/${i}`, 16), undefined));
  return {
    resourceSpans: [{
      resource: { attributes: attrs(resource), droppedAttributesCount: 0 },
      scopeSpans: [...byScope.values()].map(({ scope, spans }) => ({ scope: { name: scope.name, ...(scope.version ? { version: scope.version } : {}) }, spans })),
    }],
  };
}

const pythonResource = (service) => ({
  'service.name': service,
  'telemetry.sdk.language': 'python',
  'telemetry.sdk.name': 'opentelemetry',
  'telemetry.sdk.version': '1.38.0',
});
const APP = { name: 'support-app' }; // the application's own tracer

// The fake provider's OpenAI usage (lib/fakeprovider.cjs): prompt includes cached, completion includes reasoning.
const OPENAI = {
  'gpt-4o': { resp: 'gpt-4o-2024-08-06', in: 120, cached: 32, out: 48, reasoning: 16, cost: 0.00074 },
  'gpt-4o/tool': { resp: 'gpt-4o-2024-08-06', in: 140, cached: 64, out: 22, reasoning: 6, cost: 0.00049 },
  'gpt-4o-mini': { resp: 'gpt-4o-mini', in: 80, cached: 16, out: 24, reasoning: 8, cost: 0.0000252 },
  'gpt-4.1-mini': { resp: 'gpt-4.1-mini', in: 60, cached: 0, out: 30, reasoning: 10, cost: 0.000072 },
};
const BATCH = [['user-a', 'conv-a', 'gpt-4o'], ['user-b', 'conv-b', 'gpt-4o-mini'], ['user-c', 'conv-c', 'gpt-4.1-mini']];
const FAIL = 'Error code: 500 - The server had an error while processing your request. (fake)';

// Pydantic AI, reference §7.1 and §1b: `invoke_agent {agent}` run span with gen_ai.aggregated_usage.*
// (never counted), `chat {model}` CLIENT spans with gen_ai.usage.*, gen_ai.usage.details.*, operation.cost,
// and the agent name, run id and conversation id from baggage. Pydantic AI has no user attribute; the
// app sets user.id as Logfire baggage, which lands on every span of the run.
function pydanticAI() {
  const scope = { name: 'pydantic-ai', version: '1.0.0' };
  const chat = (model, ctx, ok = true) => {
    const u = OPENAI[model];
    const a = {
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'openai',
      'gen_ai.request.model': model, 'server.address': 'api.openai.com', 'server.port': 443,
      'gen_ai.agent.name': ctx.agent, 'gen_ai.agent.call.id': ctx.runId, 'gen_ai.conversation.id': ctx.session, 'user.id': ctx.user,
      'logfire.span_type': 'span', 'logfire.msg': `chat ${model}`,
    };
    if (!ok) return span(`chat ${model}`, KIND.CLIENT, scope, { ...a, 'error.type': 'ModelHTTPError' }, [], { error: FAIL, errorType: 'pydantic_ai.exceptions.ModelHTTPError' });
    return span(`chat ${model}`, KIND.CLIENT, scope, {
      ...a,
      'gen_ai.response.model': u.resp, 'gen_ai.response.id': `chatcmpl-pyd-${ctx.runId}-${model}`, 'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': u.in, 'gen_ai.usage.output_tokens': u.out,
      'gen_ai.usage.cache_read.input_tokens': u.cached,
      // Back-compat duplicates (§9.3): never added to the first-class keys.
      'gen_ai.usage.details.cache_read_tokens': u.cached, 'gen_ai.usage.details.reasoning_tokens': u.reasoning,
      'operation.cost': u.cost,
    });
  };
  const run = (ctx, calls, { legacy = false, error = null } = {}) => {
    const sum = (k) => calls.filter((c) => c.ok !== false).reduce((a, c) => a + OPENAI[c.model][k], 0);
    const agg = legacy ? 'gen_ai.usage' : 'gen_ai.aggregated_usage';
    const a = {
      model_name: calls[0].model, agent_name: ctx.agent, 'gen_ai.agent.name': ctx.agent, 'gen_ai.agent.call.id': ctx.runId,
      'gen_ai.conversation.id': ctx.session, 'gen_ai.operation.name': 'invoke_agent', 'user.id': ctx.user,
      'logfire.msg': `${ctx.agent} run`, 'logfire.span_type': 'span',
    };
    if (!error) {
      Object.assign(a, { [`${agg}.input_tokens`]: sum('in'), [`${agg}.output_tokens`]: sum('out'), [`${agg}.cache_read.input_tokens`]: sum('cached'), final_result: 'Fake answer.' });
    }
    // v2 instrumentation names the run span `agent run`; v3+ `invoke_agent {agent}`.
    return span(legacy ? 'agent run' : `invoke_agent ${ctx.agent}`, KIND.INTERNAL, scope, a,
      calls.map((c) => chat(c.model, ctx, c.ok !== false)), error ? { error, errorType: 'pydantic_ai.exceptions.ModelHTTPError' } : {});
  };
  const res = pythonResource('support-app');
  return {
    multi_call_run: [res, [run({ agent: 'support-agent', user: 'user-123', session: 'conv-1', runId: 'run-pyd-1' }, [{ model: 'gpt-4o' }, { model: 'gpt-4o-mini' }])]],
    error_run: [res, [run({ agent: 'triage-agent', user: 'user-456', session: 'conv-2', runId: 'run-pyd-2' }, [{ model: 'gpt-4o', ok: false }], { error: FAIL })]],
    batch_runs: [res, [span('batch-job', KIND.INTERNAL, APP, {}, BATCH.map(([user, session, model], i) => run({ agent: 'support-agent', user, session, runId: `run-pyd-b${i}` }, [{ model }])))]],
    // Older releases (and use_aggregated_usage_attribute_names=False) repeat the run total as
    // gen_ai.usage.* on the run span (§7.1, §9.1): it must still count once.
    legacy_agent_usage: [res, [run({ agent: 'support-agent', user: 'user-789', session: 'conv-3', runId: 'run-pyd-3' }, [{ model: 'gpt-4o-mini' }], { legacy: true })]],
  };
}

// Strands Agents, reference §8 and §1b (sdk-python tracer.py): invoke_agent {name} INTERNAL ->
// execute_event_loop_cycle -> chat INTERNAL / execute_tool {tool}; gen_ai.system=strands-agents on
// every span; usage as prompt_tokens AND input_tokens, completion_tokens AND output_tokens,
// total_tokens, cache_read_input_tokens; the agent span repeats the accumulated usage (§9.1). The
// Agent(trace_attributes=...) user and session are on every span. The model is the request model
// only: Strands sets no response model. OpenAI model provider, so input includes cached tokens.
function strands() {
  const scope = { name: 'strands.telemetry.tracer' };
  const usage = (u) => ({
    'gen_ai.usage.prompt_tokens': u.in, 'gen_ai.usage.input_tokens': u.in,
    'gen_ai.usage.completion_tokens': u.out, 'gen_ai.usage.output_tokens': u.out,
    'gen_ai.usage.total_tokens': u.in + u.out, 'gen_ai.usage.cache_read_input_tokens': u.cached,
    'gen_ai.usage.cache_write_input_tokens': 0,
  });
  const common = (ctx) => ({ 'gen_ai.system': 'strands-agents', 'user.id': ctx.user, 'session.id': ctx.session });
  const chat = (ctx, key, ok = true) => {
    const model = key.split('/')[0];
    const a = { ...common(ctx), 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model };
    if (!ok) return span('chat', KIND.INTERNAL, scope, a, [], { error: FAIL, errorType: 'openai.InternalServerError' });
    return span('chat', KIND.INTERNAL, scope, { ...a, ...usage(OPENAI[key]), 'gen_ai.response.finish_reasons': [key.endsWith('/tool') ? 'tool_use' : 'end_turn'] }, [], { ok: true });
  };
  const cycle = (ctx, id, children, error) => span('execute_event_loop_cycle', KIND.INTERNAL, scope, { ...common(ctx), 'event_loop.cycle_id': id }, children, error ? { error, errorType: 'openai.InternalServerError' } : { ok: true });
  const agent = (ctx, model, cycles, totals, error) => {
    const a = { ...common(ctx), 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': ctx.agent, 'gen_ai.request.model': model, 'gen_ai.agent.tools': JSON.stringify(['lookup_order']) };
    if (totals) Object.assign(a, usage(totals));
    return span(`invoke_agent ${ctx.agent}`, KIND.INTERNAL, scope, a, cycles, error ? { error, errorType: 'openai.InternalServerError' } : { ok: true });
  };
  const add = (...us) => us.reduce((a, u) => ({ in: a.in + u.in, out: a.out + u.out, cached: a.cached + u.cached }), { in: 0, out: 0, cached: 0 });
  const res = pythonResource('support-app');
  const m = { agent: 'support-agent', user: 'user-123', session: 'conv-1' };
  const tool = span('execute_tool lookup_order', KIND.INTERNAL, scope, { ...common(m), 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order', 'gen_ai.tool.call.id': 'call_str_1', 'gen_ai.tool.status': 'success' }, [], { ok: true });
  const e = { agent: 'triage-agent', user: 'user-456', session: 'conv-2' };
  // Strands' default model provider is Amazon Bedrock; Nova is in no price table (an unpriced model).
  const b = { agent: 'research-agent', user: 'user-321', session: 'conv-4' };
  const nova = { in: 500, out: 120, cached: 0 };
  const novaChat = span('chat', KIND.INTERNAL, scope, { ...common(b), 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'us.amazon.nova-pro-v1:0', ...usage(nova), 'gen_ai.response.finish_reasons': ['end_turn'] }, [], { ok: true });
  return {
    bedrock_unpriced_run: [res, [agent(b, 'us.amazon.nova-pro-v1:0', [cycle(b, 'cycle-1', [novaChat])], nova)]],
    multi_call_run: [res, [agent(m, 'gpt-4o', [
      cycle(m, 'cycle-1', [chat(m, 'gpt-4o/tool'), tool]),
      cycle(m, 'cycle-2', [chat(m, 'gpt-4o')]),
    ], add(OPENAI['gpt-4o/tool'], OPENAI['gpt-4o']))]],
    error_run: [res, [agent(e, 'gpt-4o', [cycle(e, 'cycle-1', [chat(e, 'gpt-4o', false)], FAIL)], null, FAIL)]],
    batch_runs: [res, [span('batch-job', KIND.INTERNAL, APP, {}, BATCH.map(([user, session, model]) => {
      const c = { agent: 'support-agent', user, session };
      return agent(c, model, [cycle(c, 'cycle-1', [chat(c, model)])], OPENAI[model]);
    }))]],
  };
}

// Google ADK, reference §8 and §1b (adk-python telemetry/tracing.py): root `invocation` ->
// `invoke_agent {agent}` (gen_ai.conversation.id = session, no usage) -> `call_llm` (gen_ai.system=
// gcp.vertex.agent, input = prompt_token_count incl. cached, output = candidates_token_count) and
// `execute_tool {tool}`; scope gcp.vertex.agent. ADK puts user.id on log records only, so the app
// wraps each request in its own SERVER span with user.id (what our README asks for).
function googleADK() {
  const scope = { name: 'gcp.vertex.agent', version: '1.15.0' };
  // Gemini usage: prompt includes cached; thoughts are not in candidates and not on the span.
  const GEMINI = {
    'gemini-2.5-flash': { in: 300, out: 60 },
    'gemini-2.5-flash/tool': { in: 260, out: 20 },
    'gemini-2.5-pro': { in: 150, out: 40 },
    'gemini-2.0-flash': { in: 90, out: 30 },
  };
  let event = 0;
  const callLLM = (ctx, key, ok = true) => {
    const model = key.split('/')[0];
    event += 1;
    const a = {
      'gen_ai.system': 'gcp.vertex.agent', 'gen_ai.request.model': model,
      'gcp.vertex.agent.invocation_id': ctx.invocation, 'gcp.vertex.agent.session_id': ctx.session, 'gcp.vertex.agent.event_id': `evt-${ctx.invocation}-${event}`,
      'gcp.vertex.agent.llm_request': JSON.stringify({ model, config: {}, contents: [{ role: 'user', parts: [{ text: 'Where is my order A-1001?' }] }] }),
    };
    if (!ok) return span('call_llm', KIND.INTERNAL, scope, a, [], { error: '500 INTERNAL. {\'error\': {\'code\': 500, \'message\': \'fake\', \'status\': \'INTERNAL\'}}', errorType: 'google.genai.errors.ServerError' });
    const u = GEMINI[key];
    return span('call_llm', KIND.INTERNAL, scope, {
      ...a,
      'gen_ai.usage.input_tokens': u.in, 'gen_ai.usage.output_tokens': u.out,
      'gen_ai.response.finish_reasons': ['stop'],
      'gcp.vertex.agent.llm_response': JSON.stringify({ usage_metadata: { prompt_token_count: u.in, candidates_token_count: u.out, total_token_count: u.in + u.out } }),
    });
  };
  const agent = (ctx, children, error) => span(`invoke_agent ${ctx.agent}`, KIND.INTERNAL, scope, {
    'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': ctx.agent, 'gen_ai.agent.description': 'Answers support tickets.', 'gen_ai.conversation.id': ctx.session,
  }, children, error ? { error, errorType: 'google.genai.errors.ServerError' } : {});
  const request = (ctx, children, error) => span('POST /run', KIND.SERVER, APP, { 'http.request.method': 'POST', 'http.route': '/run', 'user.id': ctx.user },
    [span('invocation', KIND.INTERNAL, scope, {}, [agent(ctx, children, error)], error ? { error, errorType: 'google.genai.errors.ServerError' } : {})],
    error ? { error, errorType: 'google.genai.errors.ServerError' } : {});
  const res = pythonResource('support-app');
  const m = { agent: 'support_agent', user: 'user-123', session: 'conv-1', invocation: 'e-adk-1' };
  const e = { agent: 'triage_agent', user: 'user-456', session: 'conv-2', invocation: 'e-adk-2' };
  const tool = span('execute_tool lookup_order', KIND.INTERNAL, scope, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order', 'gen_ai.tool.type': 'FunctionTool', 'gen_ai.tool.call.id': 'adk-call-1' });
  const errMsg = '500 INTERNAL. {\'error\': {\'code\': 500, \'message\': \'fake\', \'status\': \'INTERNAL\'}}';
  const batch = [['user-a', 'conv-a', 'gemini-2.5-flash'], ['user-b', 'conv-b', 'gemini-2.5-pro'], ['user-c', 'conv-c', 'gemini-2.0-flash']];
  return {
    multi_call_run: [res, [request(m, [callLLM(m, 'gemini-2.5-flash/tool'), tool, callLLM(m, 'gemini-2.5-flash')])]],
    error_run: [res, [request(e, [callLLM(e, 'gemini-2.5-flash', false)], errMsg)]],
    // A batch job: one trace, one ADK invocation per item, the user on each item's span.
    batch_runs: [res, [span('batch-job', KIND.INTERNAL, APP, {}, batch.map(([user, session, model], i) => {
      const c = { agent: 'support_agent', user, session, invocation: `e-adk-b${i}` };
      return span('process_item', KIND.INTERNAL, APP, { 'user.id': user }, [span('invocation', KIND.INTERNAL, scope, {}, [agent(c, [callLLM(c, model)])])]);
    }))]],
  };
}

// LiteLLM OTel callback (v1), reference §7.3 and §1b: `litellm_request` spans with gen_ai.request.model,
// gen_ai.system = custom_llm_provider, gen_ai.response.model, gen_ai.usage.input/output/total_tokens,
// gen_ai.cost.{input,output,tool_usage,total}_cost, llm.user (the OpenAI `user` param) and metadata.*.
// No cache or reasoning keys. SDK use sits under the app's agent span; proxy use is one trace per
// request under `Received Proxy Server Request`, with the API key's owner in metadata (a principal,
// not the end user).
function litellm() {
  const scope = { name: 'litellm' };
  const OUT_PRICE = { 'gpt-4o': 10e-6, 'gpt-4o-mini': 0.6e-6, 'gpt-4.1-mini': 1.6e-6 }; // USD per output token
  const request = (model, { user, ok = true, meta = {} } = {}) => {
    const a = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model, 'gen_ai.system': 'openai', 'llm.is_streaming': 'False', ...meta };
    if (user) a['llm.user'] = user;
    if (!ok) return span('litellm_request', KIND.INTERNAL, scope, { ...a, 'error.type': 'InternalServerError' }, [], { error: `litellm.InternalServerError: OpenAIException - ${FAIL}`, errorType: 'litellm.exceptions.InternalServerError' });
    const u = OPENAI[model];
    const outCost = Number((u.out * OUT_PRICE[model]).toFixed(10));
    return span('litellm_request', KIND.INTERNAL, scope, {
      ...a,
      'gen_ai.response.model': u.resp, 'gen_ai.response.id': `chatcmpl-llm-${model}`,
      'gen_ai.usage.input_tokens': u.in, 'gen_ai.usage.output_tokens': u.out, 'gen_ai.usage.total_tokens': u.in + u.out,
      'gen_ai.cost.input_cost': Number((u.cost - outCost).toFixed(10)), 'gen_ai.cost.output_cost': outCost,
      'gen_ai.cost.tool_usage_cost': double(0), 'gen_ai.cost.total_cost': u.cost,
    }, [], { ok: true });
  };
  const agent = (name, user, session, children, error) => span(`invoke_agent ${name}`, KIND.INTERNAL, APP,
    { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': name, 'user.id': user, 'session.id': session }, children,
    error ? { error, errorType: 'litellm.exceptions.InternalServerError' } : {});
  const proxyMeta = { 'metadata.user_api_key_user_id': 'key-owner-7', 'metadata.user_api_key_team_id': 'team-support', 'metadata.user_api_key_alias': 'support-bot' };
  const proxy = (model) => span('Received Proxy Server Request', KIND.SERVER, scope, { 'http.request.method': 'POST', 'url.path': '/chat/completions' },
    [request(model, { user: 'user-789', meta: proxyMeta })]);
  const sdk = pythonResource('support-app');
  return {
    multi_call_run: [sdk, [agent('support-agent', 'user-123', 'conv-1', [request('gpt-4o', { user: 'user-123' }), request('gpt-4o-mini', { user: 'user-123' })])]],
    error_run: [sdk, [agent('triage-agent', 'user-456', 'conv-2', [request('gpt-4o', { user: 'user-456', ok: false })], `litellm.InternalServerError: OpenAIException - ${FAIL}`)]],
    batch_runs: [sdk, [span('batch-job', KIND.INTERNAL, APP, {}, BATCH.map(([user, session, model]) => agent('support-agent', user, session, [request(model)])))]],
    proxy_requests: [pythonResource('litellm'), [proxy('gpt-4.1-mini'), proxy('gpt-4o-mini')]],
  };
}

const CONVENTIONS = { 'pydantic-ai': pydanticAI, strands, 'google-adk': googleADK, litellm };

let hour = 0;
for (const [conv, build] of Object.entries(CONVENTIONS)) {
  const dir = path.join(FIXTURES_DIR, conv);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, [resource, trees]] of Object.entries(build())) {
    hour += 1;
    const body = toRequest({ name: `${conv}/${name}`, hour }, resource, trees);
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
    const n = body.resourceSpans[0].scopeSpans.reduce((a, ss) => a + ss.spans.length, 0);
    console.log(`wrote ${path.relative(path.resolve(FIXTURES_DIR, '..', '..'), file)} (${n} spans, hand-built)`);
  }
}
