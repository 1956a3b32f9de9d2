// Start-up cost of `node --import otel-metrics-bootstrap/register`: wall time from spawning the process to the
// end of the first successful scrape of its endpoint. Side by side, interleaved run by run so a busy machine
// disturbs all rows alike:
//   - baseline: the same child without the register entry, serving a plain node:http "hello" on port 0;
//   - register: `--import otel-metrics-bootstrap/register` with the endpoint on port 0;
//   - `--import <lib>` rows for schema libraries (and their import time measured inside the process), when installed (`--schema-dir` is a folder whose
//     node_modules holds them; they are not dependencies of this package): what importing one adds at start-up.
// The child prints the URL to scrape; the parent fetches it as soon as the line appears.
//
//   - with `--compare DIR`: the register entry of another build of this package (DIR/dist/register.js, e.g. a
//     checkout of an older commit), in the same interleaved rounds, so a before/after holds on a busy machine.
//
//   node bench/startup.js [--runs 40] [--schema-dir /tmp/schema-libs] [--compare /tmp/older-checkout]
//
// Runs on the built dist/ (`npm run build`), resolved through the package's own exports, as users load it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { environment, fmt } from './util.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    'schema-dir': { type: 'string' },
    compare: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const root = fileURLToPath(new URL('..', import.meta.url));

// Keeps the child alive; under the register entry the endpoint's server is unref()'d and would not.
const IDLE_APP = 'setInterval(() => {}, 1000)';
// The baseline's own "endpoint": the least a process must do to answer one HTTP request.
const PLAIN_APP = `
  const s = require('node:http').createServer((q, r) => r.end('hello\\n'));
  s.listen(0, 'localhost', () => console.log('serving metrics at http://localhost:' + s.address().port + '/'));`;

const rows = [
  { name: 'baseline: node + plain node:http server', args: ['-e', PLAIN_APP] },
  {
    name: '--import otel-metrics-bootstrap/register',
    args: ['--import', 'otel-metrics-bootstrap/register', '-e', IDLE_APP],
  },
];
if (values.compare) {
  const entry = pathToFileURL(join(values.compare, 'dist', 'register.js')).href;
  rows.push({
    name: `--import ${values.compare}/dist/register.js`,
    args: ['--import', entry, '-e', IDLE_APP],
  });
}
const schemaDir = values['schema-dir'];
const SCHEMA_LIBS = [
  ['zod 4', 'zod/v4'],
  ['valibot', 'valibot'],
];
if (schemaDir) {
  for (const [label, spec] of SCHEMA_LIBS) {
    const pkg = join(schemaDir, 'node_modules', spec.split('/')[0]);
    if (!existsSync(pkg)) {
      console.log(`(${label} not installed under ${schemaDir}: row skipped)`);
      continue;
    }
    // Run from the schema folder so the bare name resolves there; the import is all that differs from the baseline.
    rows.push({
      name: `baseline + --import ${label}`,
      args: ['--import', spec, '-e', PLAIN_APP],
      cwd: schemaDir,
    });
  }
}

/** Milliseconds from spawn to the end of the first 200 from the URL the child prints. */
function once({ args, cwd = root }) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, OTEL_EXPORTER_PROMETHEUS_PORT: '0', OTEL_SERVICE_NAME: 'startup-bench' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let asked = false;
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!asked) reject(new Error(`child exited (${code}) before serving:\n${out}`));
    });
    child.stdout.on('data', async (d) => {
      out += d;
      const url = /serving metrics at (\S+)/.exec(out)?.[1];
      if (!url || asked) return;
      asked = true;
      try {
        const res = await fetch(url);
        await res.text();
        if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
        resolve(performance.now() - start);
      } catch (err) {
        reject(err);
      } finally {
        child.kill('SIGKILL');
      }
    });
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

console.log(environment());
console.log(`${RUNS} runs per row, interleaved; two warm-up rounds not counted`);
const times = rows.map(() => []);
for (let round = -2; round < RUNS; round++) {
  for (const [i, row] of rows.entries()) {
    const ms = await once(row);
    if (round >= 0) times[i].push(ms);
  }
}
const base = times[0].toSorted((a, b) => a - b);
for (const [i, row] of rows.entries()) {
  const sorted = times[i].toSorted((a, b) => a - b);
  const median = pct(sorted, 0.5);
  const extra = i === 0 ? '' : `  (+${fmt(median - pct(base, 0.5))} ms median over baseline)`;
  console.log(`${row.name.padEnd(44)} median ${fmt(median)} ms  p90 ${fmt(pct(sorted, 0.9))} ms${extra}`);
}

// The same libraries' import time measured inside the child (no process start-up noise around it): the least
// adopting one would add to `--import` start-up, before a single schema is built.
if (schemaDir) {
  const timeImport = (spec) =>
    `const t = performance.now(); await import('${spec}'); console.log(performance.now() - t);`;
  for (const [label, spec] of SCHEMA_LIBS) {
    if (!existsSync(join(schemaDir, 'node_modules', spec.split('/')[0]))) continue;
    const ms = [];
    for (let i = 0; i < RUNS; i++) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', timeImport(spec)], {
        cwd: schemaDir,
        encoding: 'utf8',
      });
      ms.push(Number(r.stdout.trim()));
    }
    ms.sort((a, b) => a - b);
    console.log(
      `${label}: import() inside the process`.padEnd(44),
      `median ${fmt(pct(ms, 0.5))} ms  p90 ${fmt(pct(ms, 0.9))} ms`,
    );
  }
}
