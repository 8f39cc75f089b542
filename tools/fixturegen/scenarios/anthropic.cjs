'use strict';
// Anthropic Messages API with prompt-cache usage, through @anthropic-ai/sdk pointed at the fake server.
// @anthropic-ai/sdk 1.x emits its OWN OTel spans (scope com.anthropic.sdk.typescript), on by default.
// Usage: node scenarios/anthropic.cjs native|openinference|stacked
//   native        : SDK built-in spans only, under a manual invoke_agent span (user.id/session.id)
//   openinference : @arizeai/openinference-instrumentation-anthropic, SDK spans turned off
//   stacked       : both (the default outcome when a user adds OpenInference to SDK 1.x)
const { setupTracing } = require('../lib/tracing.cjs');
const { startFakeProvider } = require('../lib/fakeprovider.cjs');
const { writeFixture } = require('../lib/otlpjson.cjs');
const { withAgentSpan } = require('../lib/app.cjs');
const api = require('@opentelemetry/api');

const CONV = 'anthropic';

async function main() {
  const mode = process.argv[2] || 'native';
  const t = setupTracing('support-app');
  const Anthropic = require('@anthropic-ai/sdk');
  if (mode !== 'native') {
    const { AnthropicInstrumentation, isPatched } = require('@arizeai/openinference-instrumentation-anthropic');
    const inst = new AnthropicInstrumentation();
    inst.setTracerProvider(t.provider);
    if (!isPatched()) inst.manuallyInstrument(Anthropic);
  }
  const fake = await startFakeProvider();
  const client = new Anthropic({
    apiKey: 'sk-ant-fake-key-0000', baseURL: fake.url, maxRetries: 0,
    ...(mode === 'openinference' ? { openTelemetry: false } : {}),
  });
  const tracer = api.trace.getTracer('support-app');
  const ask = (model, text) => client.messages.create({ model, max_tokens: 256, system: 'You are a support agent.', messages: [{ role: 'user', content: text }] });

  const run = async () => {
    await ask('claude-sonnet-4-5', 'Where is my order A-1001?');
    await ask('claude-haiku-4-5', 'Summarise the answer in one line.');
  };
  if (mode === 'openinference') {
    const { setUser, setSession, traceAgent } = require('@arizeai/openinference-core');
    const agent = traceAgent(run, { name: 'support-agent' });
    await api.context.with(setSession(setUser(api.context.active(), { userId: 'user-123' }), { sessionId: 'conv-1' }), () => agent());
  } else {
    await withAgentSpan(tracer, { agent: 'support-agent', user: 'user-123', session: 'conv-1' }, run);
  }
  writeFixture(CONV, `${mode}_multi_call_run`, await t.take());

  console.log('fake provider requests:', JSON.stringify(fake.log));
  await fake.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
