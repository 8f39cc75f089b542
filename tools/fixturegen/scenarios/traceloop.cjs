'use strict';
// Convention: OpenLLMetry JS (@traceloop/node-server-sdk) with withWorkflow/withAgent and
// association properties, instrumenting the `openai` client. Traceloop's own exporter is
// replaced by an in-memory exporter (disableBatch: true); nothing leaves the machine.
const { InMemorySpanExporter } = require('@opentelemetry/sdk-trace');
const { startFakeProvider } = require('../lib/fakeprovider.cjs');
const { writeFixture } = require('../lib/otlpjson.cjs');

const CONV = 'traceloop';

async function main() {
  const traceloop = require('@traceloop/node-server-sdk');
  const OpenAI = require('openai');
  const exporter = new InMemorySpanExporter();
  traceloop.initialize({
    appName: 'support-app',
    apiKey: 'tl-fake-not-used',
    baseUrl: 'http://127.0.0.1:9', // never contacted: exporter is replaced below
    exporter,
    disableBatch: true,
    traceContent: true,
    silenceInitializationMessage: true,
    traceloopSyncEnabled: false,
    instrumentModules: { openAI: OpenAI.OpenAI }, // the class (has .Chat), not the CJS module object
  });
  const take = async () => { await traceloop.forceFlush(); const s = exporter.getFinishedSpans().slice(); exporter.reset(); return s; };
  const fake = await startFakeProvider();
  const client = new OpenAI({ apiKey: 'sk-fake-key-0000', baseURL: `${fake.url}/v1`, maxRetries: 0 });
  const chat = (model, text) => client.chat.completions.create({ model, messages: [{ role: 'system', content: 'You are a support agent.' }, { role: 'user', content: text }] });

  // multi_call_run: workflow (with user/session association properties) -> agent -> 2 chat calls.
  await traceloop.withWorkflow({ name: 'support-workflow', associationProperties: { user_id: 'user-123', session_id: 'conv-1' } }, async () =>
    traceloop.withAgent({ name: 'support-agent' }, async () => {
      await chat('gpt-4o', 'Where is my order A-1001?');
      await chat('gpt-4o-mini', 'Summarise the answer in one line.');
    }));
  writeFixture(CONV, 'multi_call_run', await take());

  // error_run: agent as root (association properties on the agent) whose only call gets HTTP 500.
  // The app catches the error INSIDE the agent: withEntity never ends its span when the wrapped
  // promise rejects (0.27.0), so letting the error escape exports nothing at all (checked below).
  await traceloop.withAgent({ name: 'triage-agent', associationProperties: { user_id: 'user-456', session_id: 'conv-2' } }, async () =>
    chat('gpt-4o', 'FAIL_500 please triage this ticket').catch((e) => ({ error: e.message })));
  writeFixture(CONV, 'error_run', await take());
  await traceloop.withAgent({ name: 'triage-agent', associationProperties: { user_id: 'user-456', session_id: 'conv-2' } }, async () =>
    chat('gpt-4o', 'FAIL_500 please triage this ticket')).catch(() => undefined);
  console.log(`traceloop: spans exported when the 500 escapes withAgent: ${(await take()).length}`);

  // batch_runs: workflow batch-job -> 3 agents, association properties per agent (3 users).
  await traceloop.withWorkflow({ name: 'batch-job' }, async () => {
    const jobs = [['user-a', 'conv-a', 'gpt-4o'], ['user-b', 'conv-b', 'gpt-4o-mini'], ['user-c', 'conv-c', 'gpt-4.1-mini']];
    for (const [user, session, model] of jobs) {
      await traceloop.withAgent({ name: 'support-agent', associationProperties: { user_id: user, session_id: session } }, async () =>
        chat(model, `Handle ticket for ${user}`));
    }
  });
  writeFixture(CONV, 'batch_runs', await take());

  console.log('fake provider requests:', JSON.stringify(fake.log));
  await fake.close();
  process.exit(0); // the SDK keeps timers alive
}

main().catch((e) => { console.error(e); process.exit(1); });
