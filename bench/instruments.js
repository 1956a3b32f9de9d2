// What one recording costs with the instruments API, side by side in one run with prom-client 15 and the raw
// OTel SDK (a MeterProvider with a reader attached, as in production: without a reader the SDK records
// nothing). Rows: bound counter inc, counter inc with 3 labels, bound histogram observe, histogram observe
// with 3 labels, summary observe, timer (a stopwatch started and stopped). Each variant runs `--iterations`
// times per round; the median of `--rounds` rounds is printed in ns/op, with prom-client / ours and SDK / ours.
//
//   node bench/instruments.js [--iterations 2000000] [--rounds 7]
//
// Runs on the built dist/ (`npm run build`).
import { parseArgs } from 'node:util';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import client from 'prom-client';
import { createInstruments } from '../dist/index.js';
import { InMemoryMetricReader } from '../dist/testing/reader.js';
import { environment } from './util.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '2000000' },
    rounds: { type: 'string', default: '7' },
  },
});
const N = Number(values.iterations);
const ROUNDS = Number(values.rounds);

// Three labels whose values vary a little, as a real call site's would (method × route × status).
const LABELS = ['method', 'route', 'status'];
const COMBOS = [
  { method: 'GET', route: '/users/:id', status: '200' },
  { method: 'POST', route: '/orders', status: '201' },
  { method: 'GET', route: '/health', status: '200' },
  { method: 'DELETE', route: '/users/:id', status: '404' },
];
// Fresh object literals per call (as application code writes them), not reused objects.
const labelsOf = (i) => {
  const c = COMBOS[i & 3];
  return { method: c.method, route: c.route, status: c.status };
};
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const value = (i) => (i & 1023) / 1000;

// Ours, standalone (exported by whatever reader takes instruments.producer(); the recording cost is the same).
const ours = createInstruments();
const oCounter = ours.counter('bench.counter');
const oCounterL = ours.counter('bench.counter.labels', { labels: LABELS });
const oHist = ours.histogram('bench.histogram', { buckets: BUCKETS });
const oHistL = ours.histogram('bench.histogram.labels', { buckets: BUCKETS, labels: LABELS });
const oSummary = ours.summary('bench.summary');
const oTimer = ours.timer('bench.timer', { buckets: BUCKETS });
const oBoundCounter = oCounter.bind();
const oBoundHist = oHist.bind();

// prom-client.
const registry = new client.Registry();
const pCounter = new client.Counter({ name: 'bench_counter', help: 'h', registers: [registry] });
const pCounterL = new client.Counter({
  name: 'bench_counter_l',
  help: 'h',
  labelNames: LABELS,
  registers: [registry],
});
const pHist = new client.Histogram({
  name: 'bench_hist',
  help: 'h',
  buckets: BUCKETS,
  registers: [registry],
});
const pHistL = new client.Histogram({
  name: 'bench_hist_l',
  help: 'h',
  buckets: BUCKETS,
  labelNames: LABELS,
  registers: [registry],
});
const pSummary = new client.Summary({
  name: 'bench_summary',
  help: 'h',
  percentiles: [0.5, 0.9, 0.99],
  maxAgeSeconds: 600,
  ageBuckets: 5,
  registers: [registry],
});
const pTimer = new client.Histogram({
  name: 'bench_timer',
  help: 'h',
  buckets: BUCKETS,
  registers: [registry],
});

// Raw OTel SDK with a reader.
const provider = new MeterProvider({ readers: [new InMemoryMetricReader({})] });
const meter = provider.getMeter('bench');
const sCounter = meter.createCounter('bench.counter');
const sHist = meter.createHistogram('bench.histogram', { advice: { explicitBucketBoundaries: BUCKETS } });
const sTimer = meter.createHistogram('bench.timer', {
  unit: 's',
  advice: { explicitBucketBoundaries: BUCKETS },
});

const rows = [
  {
    name: 'bound counter inc',
    ours: () => {
      for (let i = 0; i < N; i++) oBoundCounter.inc();
    },
    prom: () => {
      for (let i = 0; i < N; i++) pCounter.inc();
    },
    sdk: () => {
      for (let i = 0; i < N; i++) sCounter.add(1);
    },
  },
  {
    name: 'counter inc, 3 labels',
    ours: () => {
      for (let i = 0; i < N; i++) oCounterL.inc(labelsOf(i));
    },
    prom: () => {
      for (let i = 0; i < N; i++) pCounterL.inc(labelsOf(i));
    },
    sdk: () => {
      for (let i = 0; i < N; i++) sCounter.add(1, labelsOf(i));
    },
  },
  {
    name: 'bound histogram observe',
    ours: () => {
      for (let i = 0; i < N; i++) oBoundHist.observe(value(i));
    },
    prom: () => {
      for (let i = 0; i < N; i++) pHist.observe(value(i));
    },
    sdk: () => {
      for (let i = 0; i < N; i++) sHist.record(value(i));
    },
  },
  {
    name: 'histogram observe, 3 labels',
    ours: () => {
      for (let i = 0; i < N; i++) oHistL.observe(value(i), labelsOf(i));
    },
    prom: () => {
      for (let i = 0; i < N; i++) pHistL.observe(labelsOf(i), value(i));
    },
    sdk: () => {
      for (let i = 0; i < N; i++) sHist.record(value(i), labelsOf(i));
    },
  },
  {
    name: 'summary observe',
    ours: () => {
      for (let i = 0; i < N; i++) oSummary.observe(value(i));
    },
    prom: () => {
      for (let i = 0; i < N; i++) pSummary.observe(value(i));
    },
    // The SDK has no summary instrument.
    sdk: undefined,
  },
  {
    name: 'timer start + stop',
    ours: () => {
      for (let i = 0; i < N; i++) oTimer.startStopwatch().stop();
    },
    prom: () => {
      for (let i = 0; i < N; i++) pTimer.startTimer()();
    },
    sdk: () => {
      for (let i = 0; i < N; i++) {
        const start = performance.now();
        sTimer.record((performance.now() - start) / 1000);
      }
    },
  },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timeNs = (fn) => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / N;
};

console.log(environment());
console.log(`${N} operations × ${ROUNDS} rounds, medians in ns/op (lower is better)`);
console.log(
  `${'row'.padEnd(30)}${'ours'.padStart(9)}${'prom-client'.padStart(13)}${'OTel SDK'.padStart(10)}${'prom/ours'.padStart(11)}${'SDK/ours'.padStart(10)}`,
);
for (const row of rows) {
  const variants = ['ours', 'prom', 'sdk'].filter((k) => row[k]);
  // Warm up every variant first so each is optimised before any is timed.
  for (const k of variants) row[k]();
  const times = { ours: [], prom: [], sdk: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved, so machine load affects all variants alike.
    for (const k of variants) times[k].push(timeNs(row[k]));
  }
  const m = Object.fromEntries(variants.map((k) => [k, median(times[k])]));
  const f = (x) => (x === undefined ? '—' : x.toFixed(1));
  const ratio = (x) => (x === undefined ? '—' : `${(x / m.ours).toFixed(1)}×`);
  console.log(
    `${row.name.padEnd(30)}${f(m.ours).padStart(9)}${f(m.prom).padStart(13)}${f(m.sdk).padStart(10)}${ratio(m.prom).padStart(11)}${ratio(m.sdk).padStart(10)}`,
  );
}
await provider.shutdown();
