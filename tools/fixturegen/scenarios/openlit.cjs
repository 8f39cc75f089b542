'use strict';
// Convention: OpenLIT JS SDK (openlit) auto-instrumenting the `openai` npm client, with a manual
// invoke_agent parent span. OpenLIT reports its own cost per call in gen_ai.usage.cost, from a price
// table it normally downloads from GitHub; here the table is passed in (pricingJson) so the recording
// needs no network and the cost is deterministic.
const { setupTracing } = require('../lib/tracing.cjs');
const { startFakeProvider } = require('../lib/fakeprovider.cjs');
const { writeFixture } = require('../lib/otlpjson.cjs');
const { recordAgentScenarios } = require('../lib/app.cjs');
const api = require('@opentelemetry/api');

const CONV = 'openlit';
// OpenLIT's pricing.json shape: USD per 1K tokens, keyed by the REQUEST model.
const PRICING = {
  chat: {
    'gpt-4o': { promptPrice: 0.0025, completionPrice: 0.01, cacheReadPrice: 0.00125 },
    'gpt-4o-mini': { promptPrice: 0.00015, completionPrice: 0.0006, cacheReadPrice: 0.000075 },
    'gpt-4.1-mini': { promptPrice: 0.0004, completionPrice: 0.0016, cacheReadPrice: 0.0001 },
  },
};

async function main() {
  const t = setupTracing('support-app');
  // openlit.init reuses the global provider only if it looks like an SDK 1.x provider
  // (addSpanProcessor); otherwise it registers its own NodeTracerProvider with an exporter of its
  // choice. The global is a ProxyTracerProvider delegating to ours, so give it a no-op
  // addSpanProcessor: the in-memory processor is already attached to the delegate.
  api.trace.getTracerProvider().addSpanProcessor = () => {};
  const OpenAI = require('openai');
  const openlit = require('openlit').default;
  openlit.init({
    applicationName: 'support-app',
    environment: 'test',
    instrumentations: { openai: OpenAI },
    pricingJson: PRICING,
    disableMetrics: true,
    disableEvents: true,
  });
  await new Promise((resolve) => setImmediate(resolve)); // pricingJson is applied asynchronously
  const fake = await startFakeProvider();
  const client = new OpenAI({ apiKey: 'sk-fake-key-0000', baseURL: `${fake.url}/v1`, maxRetries: 0 });
  const tracer = api.trace.getTracer('support-app');
  // OpenLIT's user key is gen_ai.request.user, from the OpenAI `user` request parameter.
  const chat = (model, text, user) => client.chat.completions.create({ model, user, messages: [{ role: 'system', content: 'You are a support agent.' }, { role: 'user', content: text }] });

  await recordAgentScenarios({ conv: CONV, tracer, take: () => t.take(), chat, writeFixture });

  console.log('fake provider requests:', JSON.stringify(fake.log));
  await fake.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
