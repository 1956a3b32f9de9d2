// What one scrape of N series allocates on the V8 heap, by function: the SDK's collect() against our
// serialization. V8's sampling heap profiler, keeping the samples of objects already collected, so short-lived
// garbage counts too. Array buffers (the body's chunks) are outside the V8 heap and not in these figures.
//   node bench/run.js prometheus-allocations            (this build)
//   BENCH_DIST=/tmp/main/dist node bench/prometheus-allocations.js   (another build)
// BENCH_SERIES (default 100000), BENCH_SCRAPES (default 5).
import { Session } from 'node:inspector/promises';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { populateOtel } from './fixture.js';
import { environment } from './util.js';

const dist = process.env.BENCH_DIST ?? '../dist';
const SERIES = Number(process.env.BENCH_SERIES ?? 100_000);
const SCRAPES = Number(process.env.BENCH_SCRAPES ?? 5);
const { PrometheusReader } = await import(`${dist}/prometheus/reader.js`);
const { ScrapeProducer } = await import(`${dist}/prometheus/scrape.js`);
const { ProtobufSerializer } = await import(`${dist}/prometheus/protobuf.js`);

const reader = new PrometheusReader({ cardinalityLimit: 2000 });
populateOtel(new MeterProvider({ readers: [reader] }).getMeter('bench'), SERIES);
// As the endpoint makes bodies, with no coalescing or caching: each scrape is a collection.
const producer = new ScrapeProducer(reader, new ProtobufSerializer({}), {
  compressionThreshold: 1024,
  cacheTtl: 0,
  coalesceWindow: 0,
  scrapeTimeout: 60_000,
  maxResponseBytes: 2 ** 31,
});
const scrape = async () => {
  const body = await producer.body('text', undefined);
  body.lease?.release(); // a build with reusable chunk buffers: the body is sent
  await new Promise((r) => setTimeout(r, 5));
};
for (let i = 0; i < 3; i++) await scrape();

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 4096,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
for (let i = 0; i < SCRAPES; i++) await scrape();
const { profile } = await session.post('HeapProfiler.stopSampling');

const byFunction = new Map();
let ours = 0;
let sdk = 0;
const walk = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.includes('/sdk-metrics/') ? 'sdk' : url.includes('/dist/') ? 'ours' : 'other';
  const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
  if (where === 'sdk') sdk += node.selfSize;
  if (where === 'ours') ours += node.selfSize;
  for (const child of node.children) walk(child);
};
walk(profile.head);
const total = [...byFunction.values()].reduce((a, b) => a + b, 0);
const mb = (b) => (b / SCRAPES / 1048576).toFixed(2);
console.log(environment());
console.log(
  `${SERIES} series, text format, ${SCRAPES} scrapes: V8 heap allocated per scrape ${mb(total)} MB; in ` +
    `@opentelemetry/sdk-metrics code ${mb(sdk)} MB, in ours ${mb(ours)} MB, the rest in builtins called from either`,
);
for (const [key, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${mb(bytes).padStart(7)} MB  ${key}`);
}
process.exit(0);
