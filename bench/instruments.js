// What one recording costs with the instruments API, side by side in one run with prom-client 15 and the raw
// OTel SDK (a MeterProvider with a reader attached, as in production: without a reader the SDK records
// nothing). Rows: bound counter inc, counter inc with 3 labels, bound histogram observe, histogram observe
// with 3 labels, summary observe, timer (a stopwatch started and stopped). Each variant runs `--iterations`
// times per round; the median of `--rounds` rounds is printed in ns/op, with prom-client / ours and SDK / ours.
//
//   node bench/instruments.js [--iterations 2000000] [--rounds 7] [--variants ours,prom,sdk] [--rows text]
//
// Runs on the built dist/ (`npm run build`).
import { parseArgs } from 'node:util';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import client from 'prom-client';
import { createInstruments } from '../dist/index.js';
import { InMemoryMetricReader } from '../dist/testing/reader.js';
import { environment, middle as median, timePerOp } from './util.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '2000000' },
    rounds: { type: 'string', default: '7' },
    // Comma-separated subset of ours,prom,sdk (e.g. `--variants ours` under --cpu-prof).
    variants: { type: 'string', default: 'ours,prom,sdk' },
    // Only the rows whose name contains this text.
    rows: { type: 'string', default: '' },
  },
});
const N = Number(values.iterations);
const ROUNDS = Number(values.rounds);
const VARIANTS = values.variants.split(',');

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
      for (let i = 0; i < N; i++) oTimer.startTimer()();
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

const timeNs = (fn) => timePerOp(fn, N);

console.log(environment());
console.log(
  `${N} operations × ${ROUNDS} rounds, medians in ns/op (lower is better): thread CPU time, then wall time`,
);
const header = (clock) =>
  `${clock.padEnd(30)}${'ours'.padStart(9)}${'prom-client'.padStart(13)}${'OTel SDK'.padStart(10)}${'prom/ours'.padStart(11)}${'SDK/ours'.padStart(10)}`;
const lines = { cpu: [header('thread CPU')], wall: [header('wall')] };
for (const row of rows.filter((r) => r.name.includes(values.rows))) {
  const variants = ['ours', 'prom', 'sdk'].filter((k) => row[k] && VARIANTS.includes(k));
  // Warm up every variant first so each is optimised before any is timed.
  for (const k of variants) row[k]();
  const times = { ours: [], prom: [], sdk: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved, so machine load affects all variants alike.
    for (const k of variants) times[k].push(timeNs(row[k]));
  }
  for (const clock of ['cpu', 'wall']) {
    const m = Object.fromEntries(variants.map((k) => [k, median(times[k].map((t) => t[clock]))]));
    const f = (x) => (x === undefined ? '—' : x.toFixed(1));
    const ratio = (x) => (x === undefined || m.ours === undefined ? '—' : `${(x / m.ours).toFixed(1)}×`);
    lines[clock].push(
      `${row.name.padEnd(30)}${f(m.ours).padStart(9)}${f(m.prom).padStart(13)}${f(m.sdk).padStart(10)}${ratio(m.prom).padStart(11)}${ratio(m.sdk).padStart(10)}`,
    );
  }
}
console.log([...lines.cpu, '', ...lines.wall].join('\n'));

// Every recording must have landed (it also keeps the loops' work observable): (1 warm-up + rounds) × N each.
const expected = (1 + ROUNDS) * N;
const recorded = {
  ours: [oCounter.value(), oHist.snapshot().count, oTimer.snapshot().count],
  prom: [
    (await pCounter.get()).values[0].value,
    (await pHist.get()).values.find((v) => v.metricName === 'bench_hist_count').value,
    (await pTimer.get()).values.find((v) => v.metricName === 'bench_timer_count').value,
  ],
};
for (const k of ['ours', 'prom']) {
  if (values.rows === '' && VARIANTS.includes(k) && recorded[k].some((n) => n !== expected))
    throw new Error(`${k} recorded ${recorded[k].join(', ')} instead of ${expected} each`);
}
await provider.shutdown();
