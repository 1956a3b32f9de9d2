// What recording into a histogram costs per aggregation and with exemplars, side by side in one run:
//   - the series alone: explicit buckets (the 14 seconds boundaries) against base-2 exponential buckets (max size
//     160, max scale 20), on the same values spread over four decades (1 ms … 10 s);
//   - the instruments API's bound histogram observe and bound counter inc, in this build and (with
//     BASELINE_DIST=<another build's dist/ folder>) in that one: a before/after of a change in one run;
//   - the same bound observe with a context manager registered: no span active (an untraced request), and a
//     sampled span active (an exemplar kept on every call).
// Each variant runs `--iterations` times per round, interleaved; medians of `--rounds` rounds in ns/op, thread
// CPU time then wall time.
//
//   [BASELINE_DIST=/tmp/main/dist] node bench/histogram-record.js [--iterations 2000000] [--rounds 7]
//
// Runs on the built dist/ (`npm run build`).

import { parseArgs } from 'node:util';
import { context } from '@opentelemetry/api';
import { AlwaysOnSampler, StackContextManager, TracerProvider } from '@opentelemetry/sdk-trace';
import { refreshTracing } from '../dist/http/exemplar-capture.js';
import { ExponentialHistogramSeries } from '../dist/http/exponential.js';
import { HistogramSeries } from '../dist/http/series.js';
import { createInstruments } from '../dist/index.js';
import { SECONDS_BUCKETS } from '../dist/views.js';
import { environment, middle as median, timePerOp } from './util.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '2000000' },
    rounds: { type: 'string', default: '7' },
  },
});
const N = Number(values.iterations);
const ROUNDS = Number(values.rounds);

// 1024 values from 1 ms to 10 s, log-spaced, as latencies are.
const VALUES = Array.from({ length: 1024 }, (_, i) => 0.001 * 10 ** ((4 * i) / 1023));
const value = (i) => VALUES[i & 1023];

const explicit = new HistogramSeries([...SECONDS_BUCKETS], {}, [0, 0]);
const exponential = new ExponentialHistogramSeries({ maxSize: 160, maxScale: 20 }, {}, [0, 0]);

const ours = createInstruments();
const oHist = ours.histogram('bench.histogram', { unit: 's' }).bind();
const oCounter = ours.counter('bench.counter').bind();
let before;
if (process.env.BASELINE_DIST) {
  const dist = new URL('index.js', `file://${process.env.BASELINE_DIST.replace(/\/?$/, '/')}`).href;
  const api = (await import(dist)).createInstruments();
  before = {
    hist: api.histogram('bench.histogram', { unit: 's' }).bind(),
    counter: api.counter('bench.counter').bind(),
  };
}

const tracer = new TracerProvider({ sampler: new AlwaysOnSampler() }).getTracer('bench');
const manager = new StackContextManager();
// The recorders notice a context manager at the next new series or collection; the bench tells them at once.
const withTracing = (fn) => () => {
  context.setGlobalContextManager(manager);
  refreshTracing();
  try {
    fn();
  } finally {
    context.disable();
    refreshTracing();
  }
};

const rows = [
  {
    name: 'series record',
    variants: {
      explicit: () => {
        for (let i = 0; i < N; i++) explicit.record(value(i));
      },
      exponential: () => {
        for (let i = 0; i < N; i++) exponential.record(value(i));
      },
    },
  },
  {
    name: 'bound histogram observe',
    variants: {
      'this build': () => {
        for (let i = 0; i < N; i++) oHist.observe(value(i));
      },
      ...(before && {
        baseline: () => {
          for (let i = 0; i < N; i++) before.hist.observe(value(i));
        },
      }),
      'tracing, no span': withTracing(() => {
        for (let i = 0; i < N; i++) oHist.observe(value(i));
      }),
      'sampled span': withTracing(() =>
        tracer.startActiveSpan('bench', (span) => {
          for (let i = 0; i < N; i++) oHist.observe(value(i));
          span.end();
        }),
      ),
    },
  },
  {
    name: 'bound counter inc',
    variants: {
      'this build': () => {
        for (let i = 0; i < N; i++) oCounter.inc();
      },
      ...(before && {
        baseline: () => {
          for (let i = 0; i < N; i++) before.counter.inc();
        },
      }),
    },
  },
];

const timeNs = (fn) => timePerOp(fn, N);

console.log(environment());
console.log(`${N} operations × ${ROUNDS} rounds, medians in ns/op (lower is better)`);
for (const row of rows) {
  const names = Object.keys(row.variants);
  for (const k of names) row.variants[k](); // warm up every variant before any is timed
  const times = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) for (const k of names) times[k].push(timeNs(row.variants[k]));
  console.log(`\n${row.name}`);
  for (const k of names) {
    const cpu = median(times[k].map((t) => t.cpu));
    const wall = median(times[k].map((t) => t.wall));
    console.log(
      `  ${k.padEnd(20)} ${cpu.toFixed(1).padStart(7)} thread CPU ${wall.toFixed(1).padStart(7)} wall`,
    );
  }
}

// Every recording must have landed: (1 warm-up + rounds) × N per variant.
const runs = (1 + ROUNDS) * N;
const counts = [explicit.count, exponential.count, oHist.snapshot().count, oCounter.value()];
const expected = [runs, runs, 3 * runs, runs];
if (counts.some((n, i) => n !== expected[i]))
  throw new Error(`recorded ${counts.join(', ')} instead of ${expected.join(', ')}`);
