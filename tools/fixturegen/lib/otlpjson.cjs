'use strict';
// Turns finished ReadableSpans into the OTLP/HTTP JSON body a real exporter sends
// (JsonTraceSerializer from @opentelemetry/otlp-transformer), then scrubs it.
const fs = require('node:fs');
const path = require('node:path');
const { JsonTraceSerializer } = require('@opentelemetry/otlp-transformer');

const FIXTUREGEN_DIR = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(FIXTUREGEN_DIR, '..', '..');
const FIXTURES_DIR = path.join(REPO_ROOT, 'testdata', 'fixtures');

// Resource attributes kept; everything else (process.*, host.*, os.*, ...) is dropped.
function keepResourceAttr(key) {
  return key.startsWith('service.') || key.startsWith('telemetry.');
}

function scrubString(s) {
  // Machine paths (stack traces) -> neutral prefix; fake API keys -> placeholder.
  return s
    .split(FIXTUREGEN_DIR).join('/app')
    .split(REPO_ROOT).join('/repo')
    .replace(/sk-[A-Za-z0-9_-]{6,}/g, 'sk-REDACTED');
}

function scrub(value) {
  if (typeof value === 'string') return scrubString(value);
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrub(v);
    return out;
  }
  return value;
}

function toOtlpJson(spans) {
  const bytes = JsonTraceSerializer.serializeRequest(spans);
  const req = JSON.parse(Buffer.from(bytes).toString('utf8'));
  for (const rs of req.resourceSpans || []) {
    if (rs.resource && Array.isArray(rs.resource.attributes)) {
      rs.resource.attributes = rs.resource.attributes.filter((a) => keepResourceAttr(a.key));
    }
  }
  return scrub(req);
}

function writeFixture(convention, scenario, spans) {
  if (!spans.length) throw new Error(`${convention}/${scenario}: no spans recorded`);
  const dir = path.join(FIXTURES_DIR, convention);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${scenario}.json`);
  const body = toOtlpJson(spans);
  fs.writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
  const n = (body.resourceSpans || []).reduce((a, rs) => a + rs.scopeSpans.reduce((b, ss) => b + ss.spans.length, 0), 0);
  console.log(`wrote ${path.relative(REPO_ROOT, file)} (${n} spans)`);
  return body;
}

module.exports = { toOtlpJson, writeFixture, FIXTURES_DIR };
