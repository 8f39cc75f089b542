'use strict';
// Convention: Vercel AI SDK built-in telemetry (experimental_telemetry), v4 / v5 / v6,
// with the OpenAI provider's Chat Completions model pointed at the fake server.
// Usage: node scenarios/vercel-ai.cjs v4|v5|v6
const { setupTracing } = require('../lib/tracing.cjs');
const { startFakeProvider } = require('../lib/fakeprovider.cjs');
const { writeFixture } = require('../lib/otlpjson.cjs');
const { z } = require('zod');

const VERSIONS = {
  v4: { ai: 'ai-v4', provider: 'ai-sdk-openai-v1' },
  v5: { ai: 'ai-v5', provider: 'ai-sdk-openai-v2' },
  v6: { ai: 'ai', provider: '@ai-sdk/openai' },
};
const CONV = 'vercel-ai';

async function main() {
  const ver = process.argv[2] || 'v6';
  const mods = VERSIONS[ver];
  const t = setupTracing('support-app');
  const ai = require(mods.ai);
  const { createOpenAI } = require(mods.provider);
  const fake = await startFakeProvider();
  const openai = createOpenAI({ apiKey: 'sk-fake-key-0000', baseURL: `${fake.url}/v1` });

  const lookup = ver === 'v4'
    ? ai.tool({ description: 'Look up an order', parameters: z.object({ orderId: z.string() }), execute: async ({ orderId }) => ({ orderId, status: 'shipped' }) })
    : ai.tool({ description: 'Look up an order', inputSchema: z.object({ orderId: z.string() }), execute: async ({ orderId }) => ({ orderId, status: 'shipped' }) });
  const steps = ver === 'v4' ? { maxSteps: 2 } : { stopWhen: ai.stepCountIs(2) };

  // multi_step_run: functionId + metadata user/session, tool call -> 2 doGenerate steps.
  await ai.generateText({
    model: openai.chat('gpt-4o'),
    system: 'You are a support agent.',
    prompt: 'Where is my order A-1001?',
    tools: { lookupOrder: lookup },
    ...steps,
    maxRetries: 0,
    experimental_telemetry: { isEnabled: true, functionId: 'support-agent', metadata: { userId: 'user-123', sessionId: 'conv-1' } },
  });
  writeFixture(CONV, `${ver}_multi_step_run`, await t.take());

  // no_function_id: metadata only, single call, no tools.
  await ai.generateText({
    model: openai.chat('gpt-4o-mini'),
    prompt: 'Say hello.',
    maxRetries: 0,
    experimental_telemetry: { isEnabled: true, metadata: { userId: 'user-789', sessionId: 'conv-3' } },
  });
  writeFixture(CONV, `${ver}_no_function_id`, await t.take());

  // error_run: the call gets HTTP 500 (maxRetries 0 so exactly one attempt).
  await ai.generateText({
    model: openai.chat('gpt-4o'),
    prompt: 'FAIL_500 please triage this ticket',
    maxRetries: 0,
    experimental_telemetry: { isEnabled: true, functionId: 'triage-agent', metadata: { userId: 'user-456', sessionId: 'conv-2' } },
  }).catch(() => undefined);
  writeFixture(CONV, `${ver}_error_run`, await t.take());

  console.log('fake provider requests:', JSON.stringify(fake.log));
  await fake.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
