// Regenerates every fixture under testdata/fixtures/ (npm run record).
// Each convention runs in its own Node process so instrumentations never stack by accident.
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const runs = [
  ['scenarios/otel-genai.cjs'],
  ['scenarios/openinference.cjs'],
  ['scenarios/vercel-ai.cjs', 'v4'],
  ['scenarios/vercel-ai.cjs', 'v5'],
  ['scenarios/vercel-ai.cjs', 'v6'],
  ['scenarios/traceloop.cjs'],
  ['scenarios/langfuse.cjs'],
  ['scenarios/anthropic.cjs', 'native'],
  ['scenarios/anthropic.cjs', 'openinference'],
  ['scenarios/anthropic.cjs', 'stacked'],
  ['scenarios/openlit.cjs'],
];
// Keep the recording independent of the caller's OTel/vendor environment.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OTEL_|TRACELOOP_|LANGFUSE_|ANTHROPIC_|OPENAI_|OPENINFERENCE_)/.test(k)));
let failed = 0;
for (const args of runs) {
  console.log(`== node ${args.join(' ')}`);
  const r = spawnSync(process.execPath, args, { cwd: here, env, stdio: 'inherit', timeout: 120000 });
  if (r.status !== 0) { failed += 1; console.error(`FAILED: ${args.join(' ')} (status ${r.status})`); }
}
process.exit(failed ? 1 : 0);
