// Event-loop delay while a 100k-series scrape is served over HTTP (gzip): perf_hooks.monitorEventLoopDelay
// at 1 ms resolution, recording only during scrapes; ours vs the upstream exporter's server. Our endpoint
// serializes in slices of at most 8 ms and compresses on the thread pool; what remains is the SDK's collect(),
// which runs as one synchronous block (reported separately).
import { request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { DEFAULTS } from '../dist/config.js';
import { MetricsEndpoint } from '../dist/prometheus/handler.js';
import { PrometheusReader } from '../dist/prometheus/reader.js';
import { listen } from '../dist/prometheus/server.js';
import { populateOtel } from './fixture.js';
import { environment, fmt, gc } from './util.js';

const N = Number(process.env.BENCH_EVENTLOOP_SERIES ?? 100_000);
const SCRAPES = 3;

function scrape(url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => {
      res.on('data', () => {});
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

async function delays(label, url) {
  await scrape(url); // warm caches
  const h = monitorEventLoopDelay({ resolution: 1 });
  const t = performance.now();
  h.enable();
  for (let i = 0; i < SCRAPES; i++) await scrape(url);
  h.disable();
  const ms = (ns) => ns / 1e6;
  console.log(
    `${label.padEnd(9)} scrape ${fmt((performance.now() - t) / SCRAPES).padStart(6)} ms | delay p50 ${fmt(ms(h.percentile(50)))} ms, ` +
      `p99 ${fmt(ms(h.percentile(99)))} ms, max ${fmt(ms(h.max))} ms`,
  );
}

console.log(environment());
console.log(`${N} series, ${SCRAPES} scrapes each`);

const reader = new PrometheusReader({ cardinalityLimit: 2000 });
const ours = new MeterProvider({ readers: [reader] });
populateOtel(ours.getMeter('bench'), N);
let collectMs = Number.POSITIVE_INFINITY;
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  await reader.collect();
  collectMs = Math.min(collectMs, performance.now() - t);
}
console.log(`SDK collect() alone (one synchronous block): ${fmt(collectMs)} ms`);
const endpoint = new MetricsEndpoint(reader, {
  ...DEFAULTS.prometheus,
  authToken: undefined,
  basicAuth: undefined,
});
const server = await listen(endpoint.handle, { host: '127.0.0.1', port: 0, path: '/metrics' });
await delays('ours', server.url);
await server.close();
await ours.shutdown();
gc();

const exporter = new PrometheusExporter({ port: 0, host: '127.0.0.1' });
const upstream = new MeterProvider({ readers: [exporter] });
populateOtel(upstream.getMeter('bench'), N);
await exporter.startServer();
await delays('upstream', `http://127.0.0.1:${exporter._server.address().port}/metrics`);
await upstream.shutdown();
