'use strict';
// Loopback stand-in for the OpenAI Chat Completions and Anthropic Messages APIs.
// Every response is deterministic: usage numbers depend only on the model and on
// whether the response is a tool call (see USAGE tables; README.md repeats them).
//
// Marker: a request whose messages contain the text FAIL_500 gets an HTTP 500.
const http = require('node:http');

// OpenAI usage per model. prompt_tokens INCLUDES cached_tokens and
// completion_tokens INCLUDES reasoning_tokens (that is how OpenAI reports it).
const OPENAI_USAGE = {
  'gpt-4o': {
    text: { prompt: 120, cached: 32, completion: 48, reasoning: 16 },
    tool: { prompt: 140, cached: 64, completion: 22, reasoning: 6 },
  },
  'gpt-4o-mini': {
    text: { prompt: 80, cached: 16, completion: 24, reasoning: 8 },
    tool: { prompt: 90, cached: 0, completion: 18, reasoning: 4 },
  },
  'gpt-4.1-mini': {
    text: { prompt: 60, cached: 0, completion: 30, reasoning: 10 },
    tool: { prompt: 66, cached: 0, completion: 12, reasoning: 2 },
  },
  'o3-mini': {
    text: { prompt: 200, cached: 100, completion: 300, reasoning: 256 },
    tool: { prompt: 210, cached: 100, completion: 40, reasoning: 32 },
  },
};

// Anthropic usage per model. input_tokens EXCLUDES cache_read/cache_creation
// (that is how Anthropic reports it).
const ANTHROPIC_USAGE = {
  'claude-sonnet-4-5': { input: 50, cache_read: 200, cache_creation: 30, output: 40 },
  'claude-haiku-4-5': { input: 25, cache_read: 0, cache_creation: 120, output: 15 },
};

const FIXED_CREATED = 1767225600; // 2026-01-01T00:00:00Z

function openaiUsage(model, kind) {
  const u = (OPENAI_USAGE[model] || OPENAI_USAGE['gpt-4o-mini'])[kind];
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => p.text || '').join(' ');
  return '';
}

function handleOpenAI(req, body, counters) {
  const model = body.model;
  const msgs = body.messages || [];
  const all = msgs.map((m) => textOf(m.content)).join('\n');
  if (all.includes('FAIL_500')) {
    return [500, { error: { message: 'The server had an error while processing your request. (fake)', type: 'server_error', param: null, code: null } }];
  }
  counters.openai += 1;
  const n = counters.openai;
  const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
  const hasToolResult = msgs.some((m) => m.role === 'tool');
  const id = `chatcmpl-fake${String(n).padStart(4, '0')}`;
  // Response model: gpt-4o -> gpt-4o-2024-08-06 (dated snapshot, like the real API); others echo the request model.
  const base = { id, object: 'chat.completion', created: FIXED_CREATED, model: model === 'gpt-4o' ? 'gpt-4o-2024-08-06' : model, system_fingerprint: 'fp_fake' };
  if (hasTools && !hasToolResult) {
    const tool = body.tools[0].function.name;
    return [200, {
      ...base,
      choices: [{
        index: 0,
        message: {
          role: 'assistant', content: null, refusal: null,
          tool_calls: [{ id: `call_fake${n}`, type: 'function', function: { name: tool, arguments: JSON.stringify({ orderId: 'A-1001' }) } }],
        },
        logprobs: null, finish_reason: 'tool_calls',
      }],
      usage: openaiUsage(model, 'tool'),
    }];
  }
  return [200, {
    ...base,
    choices: [{ index: 0, message: { role: 'assistant', content: `Fake answer from ${model}.`, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: openaiUsage(model, 'text'),
  }];
}

function handleAnthropic(req, body, counters) {
  const model = body.model;
  const all = (body.messages || []).map((m) => textOf(m.content)).join('\n') + textOf(body.system);
  if (all.includes('FAIL_500')) {
    return [500, { type: 'error', error: { type: 'api_error', message: 'Internal server error (fake)' } }];
  }
  counters.anthropic += 1;
  const u = ANTHROPIC_USAGE[model] || ANTHROPIC_USAGE['claude-sonnet-4-5'];
  return [200, {
    id: `msg_fake${String(counters.anthropic).padStart(4, '0')}`,
    type: 'message', role: 'assistant', model,
    content: [{ type: 'text', text: `Fake answer from ${model}.` }],
    stop_reason: 'end_turn', stop_sequence: null,
    usage: {
      input_tokens: u.input, output_tokens: u.output,
      cache_read_input_tokens: u.cache_read, cache_creation_input_tokens: u.cache_creation,
      service_tier: 'standard',
    },
  }];
}

function startFakeProvider() {
  const counters = { openai: 0, anthropic: 0 };
  const log = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => {
      let body = {};
      try { body = data ? JSON.parse(data) : {}; } catch { /* ignore */ }
      let status = 404; let out = { error: { message: `no route ${req.method} ${req.url}` } };
      const path = req.url.split('?')[0];
      if (req.method === 'POST' && /\/chat\/completions$/.test(path)) [status, out] = handleOpenAI(req, body, counters);
      else if (req.method === 'POST' && /\/messages$/.test(path)) [status, out] = handleAnthropic(req, body, counters);
      log.push({ method: req.method, path, model: body.model, status, stream: !!body.stream });
      if (body.stream && status === 200) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'streaming not supported by fake provider' } }));
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_fake_${log.length}` });
      res.end(JSON.stringify(out));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        log,
        close: () => new Promise((r) => server.close(r)),
      });
    });
  });
}

module.exports = { startFakeProvider, OPENAI_USAGE, ANTHROPIC_USAGE };
