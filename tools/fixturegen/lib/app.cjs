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

module.exports = { withAgentSpan, withSpan };
