// Heap per series after a scrape: the plain SDK (reader collected once, nothing cached) vs the SDK plus our
// serializer after a full scrape (its caches filled and kept) vs the SDK plus the upstream serializer.
// Each variant runs in a fresh child process; heapUsed + arrayBuffers after two forced GCs, minus the same
// process's figure before the series were created, divided by N.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { environment } from './util.js';

const N = Number(process.env.BENCH_HEAP_SERIES ?? 100_000);
const variant = process.argv[2];

if (variant === undefined) {
  console.log(environment());
  console.log(`${N} series; bytes per series (heapUsed + arrayBuffers)`);
  const results = {};
  for (const v of ['sdk', 'ours', 'upstream']) {
    const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), v], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    results[v] = Number(r.stdout.trim());
    console.log(`${v.padEnd(9)} ${results[v].toFixed(0)} B/series`);
  }
  const extra = (results.ours - results.sdk) / results.sdk;
  console.log(`ours adds ${(100 * extra).toFixed(1)}% to the plain SDK (target: at most 20%)`);
  console.log(`upstream adds ${(100 * ((results.upstream - results.sdk) / results.sdk)).toFixed(1)}%`);
} else {
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
  const { PrometheusReader } = await import('../dist/prometheus/reader.js');
  const { PrometheusSerializer } = await import('../dist/prometheus/serializer.js');
  const { PrometheusSerializer: Upstream } = await import('@opentelemetry/exporter-prometheus');
  const { populateOtel } = await import('./fixture.js');
  const used = () => {
    globalThis.gc();
    globalThis.gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const reader = new PrometheusReader({ cardinalityLimit: 2000 });
  const provider = new MeterProvider({ readers: [reader] });
  const serializer = variant === 'ours' ? new PrometheusSerializer() : new Upstream();
  const before = used();
  populateOtel(provider.getMeter('bench'), N);
  // Two scrapes: the steady state, as a scraped process lives in.
  for (let i = 0; i < 2; i++) {
    const { resourceMetrics } = await reader.collect();
    if (variant === 'ours') for (const chunk of serializer.chunks(resourceMetrics)) void chunk;
    if (variant === 'upstream') serializer.serialize(resourceMetrics);
  }
  const after = used();
  // Keep everything reachable until measured.
  if (!provider || !serializer) throw new Error('unreachable');
  console.log(((after - before) / N).toFixed(1));
}
