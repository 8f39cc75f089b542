'use strict';
// Convention: OTel GenAI semconv as emitted by @opentelemetry/instrumentation-openai
// (official JS contrib) around the `openai` npm client, with a manual invoke_agent parent span.
const { setupTracing } = require('../lib/tracing.cjs');
const { startFakeProvider } = require('../lib/fakeprovider.cjs');
const { writeFixture } = require('../lib/otlpjson.cjs');
const { withAgentSpan, withSpan } = require('../lib/app.cjs');
const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const api = require('@opentelemetry/api');

const CONV = 'otel-genai';

async function main() {
  const t = setupTracing('support-app');
  registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()] });
  const OpenAI = require('openai'); // after instrumentation registration
  const fake = await startFakeProvider();
  const client = new OpenAI({ apiKey: 'sk-fake-key-0000', baseURL: `${fake.url}/v1`, maxRetries: 0 });
  const tracer = api.trace.getTracer('support-app');
  const chat = (model, text) => client.chat.completions.create({ model, messages: [{ role: 'system', content: 'You are a support agent.' }, { role: 'user', content: text }] });

  // multi_call_run: one agent run, two chat calls.
  await withAgentSpan(tracer, { agent: 'support-agent', user: 'user-123', session: 'conv-1' }, async () => {
    await chat('gpt-4o', 'Where is my order A-1001?');
    await chat('gpt-4o-mini', 'Summarise the answer in one line.');
  });
  writeFixture(CONV, 'multi_call_run', await t.take());

  // error_run: the only chat call gets HTTP 500.
  await withAgentSpan(tracer, { agent: 'triage-agent', user: 'user-456', session: 'conv-2' }, async () => {
    await chat('gpt-4o', 'FAIL_500 please triage this ticket');
  });
  writeFixture(CONV, 'error_run', await t.take());

  // batch_runs: root batch-job with three agent runs for three users.
  await withSpan(tracer, 'batch-job', {}, async () => {
    const jobs = [['user-a', 'conv-a', 'gpt-4o'], ['user-b', 'conv-b', 'gpt-4o-mini'], ['user-c', 'conv-c', 'gpt-4.1-mini']];
    for (const [user, session, model] of jobs) {
      await withAgentSpan(tracer, { agent: 'support-agent', user, session }, async () => {
        await chat(model, `Handle ticket for ${user}`);
      });
    }
  });
  writeFixture(CONV, 'batch_runs', await t.take());

  console.log('fake provider requests:', JSON.stringify(fake.log));
  await fake.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
