'use strict';
// Helpers shared by the scenarios: the manual spans our docs tell users to create.
const api = require('@opentelemetry/api');

// invoke_agent span (kind INTERNAL) carrying the end user and session, as documented for users.
async function withAgentSpan(tracer, { agent, user, session }, fn) {
  return tracer.startActiveSpan(`invoke_agent ${agent}`, {
    kind: api.SpanKind.INTERNAL,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': agent,
      'user.id': user,
      'session.id': session,
    },
  }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: err.message });
      return undefined;
    } finally {
      span.end();
    }
  });
}

async function withSpan(tracer, name, attributes, fn) {
  return tracer.startActiveSpan(name, { kind: api.SpanKind.INTERNAL, attributes }, async (span) => {
    try { return await fn(span); } finally { span.end(); }
  });
}

// recordAgentScenarios records the three scenarios of an instrumented OpenAI client under manual
// agent spans: multi_call_run, error_run and batch_runs. chat(model, text, user) makes one call;
// user is the end user for instrumentations that read OpenAI's `user` parameter (absent in the batch,
// whose users are on the agent spans only).
async function recordAgentScenarios({ conv, tracer, take, chat, writeFixture }) {
  // multi_call_run: one agent run, two chat calls.
  await withAgentSpan(tracer, { agent: 'support-agent', user: 'user-123', session: 'conv-1' }, async () => {
    await chat('gpt-4o', 'Where is my order A-1001?', 'user-123');
    await chat('gpt-4o-mini', 'Summarise the answer in one line.', 'user-123');
  });
  writeFixture(conv, 'multi_call_run', await take());

  // error_run: the only chat call gets HTTP 500.
  await withAgentSpan(tracer, { agent: 'triage-agent', user: 'user-456', session: 'conv-2' }, async () => {
    await chat('gpt-4o', 'FAIL_500 please triage this ticket', 'user-456');
  });
  writeFixture(conv, 'error_run', await take());

  // batch_runs: root batch-job with three agent runs for three users.
  await withSpan(tracer, 'batch-job', {}, async () => {
    const jobs = [['user-a', 'conv-a', 'gpt-4o'], ['user-b', 'conv-b', 'gpt-4o-mini'], ['user-c', 'conv-c', 'gpt-4.1-mini']];
    for (const [user, session, model] of jobs) {
      await withAgentSpan(tracer, { agent: 'support-agent', user, session }, async () => {
        await chat(model, `Handle ticket for ${user}`);
      });
    }
  });
  writeFixture(conv, 'batch_runs', await take());
}

module.exports = { withAgentSpan, withSpan, recordAgentScenarios };
