'use strict';
// Convention: OpenInference, as emitted by @arizeai/openinference-instrumentation-openai around
// the `openai` client, with user/session set through @arizeai/openinference-core context helpers
// and the agent span created by openinference-core's traceAgent wrapper (AGENT kind).
const { setupTracing } = require('../lib/tracing.cjs');
const { startFakeProvider } = require('../lib/fakeprovider.cjs');
const { writeFixture } = require('../lib/otlpjson.cjs');
const api = require('@opentelemetry/api');
const { OpenAIInstrumentation, isPatched } = require('@arizeai/openinference-instrumentation-openai');
const { setUser, setSession, traceAgent, traceChain } = require('@arizeai/openinference-core');

const CONV = 'openinference';

async function main() {
  const t = setupTracing('support-app');
  const inst = new OpenAIInstrumentation();
  inst.setTracerProvider(t.provider);
  const OpenAI = require('openai');
  if (!isPatched()) inst.manuallyInstrument(OpenAI);
  const fake = await startFakeProvider();
  const client = new OpenAI({ apiKey: 'sk-fake-key-0000', baseURL: `${fake.url}/v1`, maxRetries: 0 });
  const chat = (model, text) => client.chat.completions.create({ model, messages: [{ role: 'system', content: 'You are a support agent.' }, { role: 'user', content: text }] });
  const withUser = (user, session, fn) => api.context.with(setSession(setUser(api.context.active(), { userId: user }), { sessionId: session }), fn);

  // multi_call_run: AGENT span (traceAgent) with two LLM calls; user/session from context.
  const supportAgent = traceAgent(async (q) => {
    const a = await chat('gpt-4o', q);
    await chat('gpt-4o-mini', 'Summarise the answer in one line.');
    return a.choices[0].message.content;
  }, { name: 'support-agent' });
  await withUser('user-123', 'conv-1', () => supportAgent('Where is my order A-1001?'));
  writeFixture(CONV, 'multi_call_run', await t.take());

  // error_run: AGENT triage-agent whose only call fails with HTTP 500.
  const triageAgent = traceAgent(async (q) => chat('gpt-4o', q), { name: 'triage-agent' });
  await withUser('user-456', 'conv-2', () => triageAgent('FAIL_500 please triage this ticket').catch(() => undefined));
  writeFixture(CONV, 'error_run', await t.take());

  // batch_runs: CHAIN root with three AGENT runs for three users (user set per run via context).
  const batch = traceChain(async () => {
    const jobs = [['user-a', 'conv-a', 'gpt-4o'], ['user-b', 'conv-b', 'gpt-4o-mini'], ['user-c', 'conv-c', 'gpt-4.1-mini']];
    for (const [user, session, model] of jobs) {
      const agent = traceAgent(async () => chat(model, `Handle ticket for ${user}`), { name: 'support-agent' });
      await withUser(user, session, () => agent());
    }
  }, { name: 'batch-job' });
  await batch();
  writeFixture(CONV, 'batch_runs', await t.take());

  console.log('fake provider requests:', JSON.stringify(fake.log));
  await fake.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
