'use strict';
// Convention: Langfuse JS SDK (@langfuse/tracing) native observations. The `openai` client is NOT
// instrumented here: the app records each call as a Langfuse `generation` with usageDetails and
// costDetails by hand, inside an `agent` observation; user/session come from propagateAttributes.
// @langfuse/otel's LangfuseSpanProcessor (the Langfuse exporter) is not used (it needs OTel SDK 2.x
// peers and a Langfuse server). Its onStart step, which copies the propagateAttributes values onto
// every span started in that context, is reproduced by PropagatedAttributesProcessor below using
// the library's own getPropagatedAttributesFromContext (as @langfuse/otel 5.11.1 onStart does).
const { setupTracing } = require('../lib/tracing.cjs');
const { startFakeProvider } = require('../lib/fakeprovider.cjs');
const { writeFixture } = require('../lib/otlpjson.cjs');
const { startActiveObservation, propagateAttributes } = require('@langfuse/tracing');
const { getPropagatedAttributesFromContext } = require('@langfuse/core');

class PropagatedAttributesProcessor {
  onStart(span, parentContext) { span.setAttributes(getPropagatedAttributesFromContext(parentContext)); }
  onEnd() {}
  forceFlush() { return Promise.resolve(); }
  shutdown() { return Promise.resolve(); }
}

const CONV = 'langfuse';
// USD per token (list prices per 1M tokens / 1e6), used only to fill costDetails.
const PRICE = {
  'gpt-4o-2024-08-06': { input: 2.5e-6, cached: 1.25e-6, output: 10e-6 },
  'gpt-4o-mini': { input: 0.15e-6, cached: 0.075e-6, output: 0.6e-6 },
  'gpt-4.1-mini': { input: 0.4e-6, cached: 0.1e-6, output: 1.6e-6 },
};
function cost(model, u) {
  const p = PRICE[model];
  const cached = u.prompt_tokens_details.cached_tokens;
  const input = (u.prompt_tokens - cached) * p.input;
  const inputCached = cached * p.cached;
  const output = u.completion_tokens * p.output;
  const r = (x) => Number(x.toFixed(12)); // keep the JSON free of float noise
  return { input: r(input), input_cached_tokens: r(inputCached), output: r(output), total: r(input + inputCached + output) };
}

async function main() {
  const t = setupTracing('support-app', [new PropagatedAttributesProcessor()]);
  const { OpenAI } = require('openai');
  const fake = await startFakeProvider();
  const client = new OpenAI({ apiKey: 'sk-fake-key-0000', baseURL: `${fake.url}/v1`, maxRetries: 0 });

  const generation = (model, text) => startActiveObservation(`chat ${model}`, async (gen) => {
    const messages = [{ role: 'user', content: text }];
    gen.update({ model, input: messages });
    try {
      const r = await client.chat.completions.create({ model, messages });
      gen.update({ model: r.model, output: r.choices[0].message, usageDetails: r.usage, costDetails: cost(r.model, r.usage) });
      return r;
    } catch (e) {
      gen.update({ level: 'ERROR', statusMessage: e.message });
      throw e;
    }
  }, { asType: 'generation' });

  const agentRun = (agent, user, session, fn) => propagateAttributes({ userId: user, sessionId: session, traceName: agent }, () =>
    startActiveObservation(agent, async (obs) => {
      try { return await fn(); } catch (e) { obs.update({ level: 'ERROR', statusMessage: e.message }); return undefined; }
    }, { asType: 'agent' }));

  // multi_call_run: agent observation with two generations (usageDetails = raw OpenAI usage object).
  await agentRun('support-agent', 'user-123', 'conv-1', async () => {
    await generation('gpt-4o', 'Where is my order A-1001?');
    await generation('gpt-4o-mini', 'Summarise the answer in one line.');
  });
  writeFixture(CONV, 'multi_call_run', await t.take());

  // error_run: the generation's call gets HTTP 500.
  await agentRun('triage-agent', 'user-456', 'conv-2', async () => generation('gpt-4o', 'FAIL_500 please triage this ticket'));
  writeFixture(CONV, 'error_run', await t.take());

  // batch_runs: span batch-job with three agent runs for three users.
  await startActiveObservation('batch-job', async () => {
    const jobs = [['user-a', 'conv-a', 'gpt-4o'], ['user-b', 'conv-b', 'gpt-4o-mini'], ['user-c', 'conv-c', 'gpt-4.1-mini']];
    for (const [user, session, model] of jobs) {
      await agentRun('support-agent', user, session, () => generation(model, `Handle ticket for ${user}`));
    }
  });
  writeFixture(CONV, 'batch_runs', await t.take());

  console.log('fake provider requests:', JSON.stringify(fake.log));
  await fake.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
