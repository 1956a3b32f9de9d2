// Event-loop delay while a 100k-series scrape is served over HTTP (gzip): perf_hooks.monitorEventLoopDelay
// at 1 ms resolution, recording only during scrapes; ours vs the upstream exporter's server. Our endpoint
// serializes in slices of at most 8 ms and compresses on the thread pool; what remains is the SDK's collect(),
// which runs as one synchronous block (reported separately).
import { request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ourEndpoint, upstreamEndpoint } from './fixture.js';
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

const ours = await ourEndpoint(N);
let collectMs = Number.POSITIVE_INFINITY;
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  await ours.reader.collect();
  collectMs = Math.min(collectMs, performance.now() - t);
}
console.log(`SDK collect() alone (one synchronous block): ${fmt(collectMs)} ms`);
await delays('ours', ours.url);
await ours.close();
gc();

const upstream = await upstreamEndpoint(N);
await delays('upstream', upstream.url);
await upstream.close();
