'use strict';
// Prints a compact tree of an OTLP/JSON fixture: node summarize.cjs <file...>
const fs = require('node:fs');
function val(v) {
  if ('stringValue' in v) return JSON.stringify(v.stringValue.length > 80 ? v.stringValue.slice(0, 77) + '...' : v.stringValue);
  if ('intValue' in v) return String(v.intValue) + (typeof v.intValue === 'string' ? 's' : '');
  if ('doubleValue' in v) return String(v.doubleValue) + 'd';
  if ('boolValue' in v) return String(v.boolValue);
  if ('arrayValue' in v) return '[' + (v.arrayValue.values || []).map(val).join(',') + ']';
  return JSON.stringify(v);
}
for (const f of process.argv.slice(2)) {
  const req = JSON.parse(fs.readFileSync(f, 'utf8'));
  const spans = [];
  for (const rs of req.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, scope: `${ss.scope.name}@${ss.scope.version || ''}`, res: rs.resource.attributes.map((a) => `${a.key}=${val(a.value)}`).join(' ') });
  console.log(`# ${f}  (${spans.length} spans)`);
  const byParent = new Map();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const s of spans) { const p = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : ''; if (!byParent.has(p)) byParent.set(p, []); byParent.get(p).push(s); }
  for (const l of byParent.values()) l.sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
  const walk = (p, d) => { for (const s of byParent.get(p) || []) {
    console.log(`${'  '.repeat(d)}- ${s.name} kind=${s.kind} status=${s.status.code}${s.status.message ? `(${s.status.message})` : ''} scope=${s.scope} trace=${s.traceId.slice(0, 6)}${s.events && s.events.length ? ` events=${s.events.map((e) => e.name).join(',')}` : ''}`);
    for (const a of s.attributes) console.log(`${'  '.repeat(d)}    ${a.key}=${val(a.value)}`);
    walk(s.spanId, d + 1);
  } };
  console.log(`resource: ${spans[0].res}`);
  walk('', 0);
}
