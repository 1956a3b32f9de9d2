#!/usr/bin/env node
// Benchmark runner: `npm run bench` runs every benchmark, `node bench/run.js <name> [...]` runs some.
// Each runs in its own Node process (with --expose-gc) so one's heap does not disturb the next.
// The benchmarks import the built package from dist/: run `npm run build` first (`npm run bench` does).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** name → script, in the order `npm run bench` runs them. */
export const BENCHMARKS = {
  'prometheus-serialize': 'prometheus-serialize.js',
  'prometheus-serialize-ab': 'prometheus-serialize-ab.js',
  'prometheus-protobuf': 'prometheus-protobuf.js',
  'prometheus-http': 'prometheus-http.js',
  'prometheus-heap': 'prometheus-heap.js',
  'prometheus-allocations': 'prometheus-allocations.js',
  'prometheus-eventloop': 'prometheus-eventloop.js',
  'prometheus-gzip-levels': 'prometheus-gzip-levels.js',
  'prometheus-burst': 'prometheus-burst.js',
  'runtime-overhead': 'runtime-overhead.js',
  'http-overhead': 'http-overhead.js',
  'http-handlers': 'http-handlers.js',
  'endpoint-connections': 'endpoint-connections.js',
  export: 'export.js',
  instruments: 'instruments.js',
  'histogram-record': 'histogram-record.js',
  business: 'business.js',
  startup: 'startup.js',
  'startup-cpu': 'startup-cpu.js',
  'record-guard': 'record-guard.js',
  cluster: 'cluster.js',
  'cluster-phases': 'cluster-phases.js',
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !(n in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}
let failed = false;
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHMARKS)) {
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, BENCHMARKS[name])], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
