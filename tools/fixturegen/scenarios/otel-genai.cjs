'use strict';
// Convention: OTel GenAI semconv as emitted by @opentelemetry/instrumentation-openai
// (official JS contrib) around the `openai` npm client, with a manual invoke_agent parent span.
const { setupTracing } = require('../lib/tracing.cjs');
const { startFakeProvider } = require('../lib/fakeprovider.cjs');
const { writeFixture } = require('../lib/otlpjson.cjs');
const { recordAgentScenarios } = require('../lib/app.cjs');
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

  await recordAgentScenarios({ conv: CONV, tracer, take: () => t.take(), chat, writeFixture });

  console.log('fake provider requests:', JSON.stringify(fake.log));
  await fake.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
