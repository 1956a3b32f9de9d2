// Serialization of one collection, in process, for N = 1k and 10k series (BENCH_SIZES): our text 0.0.4 writer
// vs our protobuf writer (src/prometheus/protobuf.ts) vs protobufjs encoding the same families (the library
// route: build MetricFamily objects from the collection, then encodeDelimited). The collection is taken once
// and serialized repeatedly, so only serialization is timed. A fourth column serves the same data with the
// histograms as exponential (native) histograms in protobuf. Also the import time of our module and of
// protobufjs, in fresh processes.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { AggregationType, DataPointType, MeterProvider } from '@opentelemetry/sdk-metrics';
import protobuf from 'protobufjs';
import { ProtobufSerializer } from '../dist/prometheus/protobuf.js';
import { PrometheusReader } from '../dist/prometheus/reader.js';
import { populateOtel } from './fixture.js';
import { environment, fmt, gc } from './util.js';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
// Enough untimed runs for V8 to optimize each writer (measured: the protobuf writer's first ~20 runs over
// exponential histograms are 10× its steady state on a busy 2-core VM).
const WARMUP = 25;
const root = protobuf.parse(
  readFileSync(new URL('../test/fixtures/prometheus-metrics.proto', import.meta.url), 'utf8'),
  { keepCase: true },
).root;
const MetricFamily = root.lookupType('io.prometheus.client.MetricFamily');

async function collection(n, exponential) {
  const reader = new PrometheusReader({ cardinalityLimit: 2000 });
  const views = exponential
    ? [{ instrumentName: 'bench.latency.*', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }]
    : [];
  const provider = new MeterProvider({ readers: [reader], views });
  populateOtel(provider.getMeter('bench'), n);
  const { resourceMetrics } = await reader.collect();
  return { resourceMetrics, provider };
}

function drain(serializer, rm, format) {
  let bytes = 0;
  for (const chunk of serializer.chunks(rm, format)) bytes += chunk.length;
  return bytes;
}

const labels = (attributes) =>
  Object.entries(attributes).map(([name, value]) => ({ name, value: String(value) }));
const created = ([seconds, nanos]) => ({ seconds, nanos });

/** What a library-based encoder does: MetricFamily objects from the collection, then encodeDelimited. */
function protobufjs(rm) {
  const writer = protobuf.Writer.create();
  for (const { metrics } of rm.scopeMetrics) {
    for (const metric of metrics) {
      const name = metric.descriptor.name.replaceAll('.', '_');
      let family;
      if (metric.dataPointType === DataPointType.GAUGE) {
        family = {
          name,
          help: metric.descriptor.description,
          type: 1,
          metric: metric.dataPoints.map((p) => ({ label: labels(p.attributes), gauge: { value: p.value } })),
        };
      } else if (metric.dataPointType === DataPointType.SUM) {
        family = {
          name: `${name}_total`,
          help: metric.descriptor.description,
          type: 0,
          metric: metric.dataPoints.map((p) => ({
            label: labels(p.attributes),
            counter: { value: p.value, created_timestamp: created(p.startTime) },
          })),
        };
      } else {
        family = {
          name,
          help: metric.descriptor.description,
          type: 4,
          metric: metric.dataPoints.map((p) => {
            let cumulative = 0;
            const { boundaries, counts } = p.value.buckets;
            return {
              label: labels(p.attributes),
              histogram: {
                sample_count: p.value.count,
                sample_sum: p.value.sum,
                bucket: boundaries.map((upper_bound, i) => {
                  cumulative += counts[i];
                  return { cumulative_count: cumulative, upper_bound };
                }),
                created_timestamp: created(p.startTime),
              },
            };
          }),
        };
      }
      MetricFamily.encodeDelimited(family, writer);
    }
  }
  return writer.finish().length;
}

/**
 * Milliseconds `import(specifier)` takes in a fresh Node process once `base` is loaded (timed inside the
 * process, so process start-up noise stays out); median of 7.
 */
function importMs(specifier, base) {
  const code =
    `${base === undefined ? '' : `await import(${JSON.stringify(base)});`}` +
    `const t = performance.now(); await import(${JSON.stringify(specifier)}); ` +
    'console.log(performance.now() - t);';
  const times = [];
  for (let i = 0; i < 7; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
    });
    times.push(Number(r.stdout.trim()));
  }
  return times.sort((a, b) => a - b)[3];
}

/**
 * Median ms of each contender, timed in interleaved rounds (one run of each per round, after `WARMUP` rounds)
 * so that load spikes on a shared machine hit all of them alike.
 */
function interleaved(contenders, runs) {
  for (let i = 0; i < WARMUP; i++) for (const fn of contenders) fn();
  const times = contenders.map(() => []);
  for (let r = 0; r < runs; r++) {
    contenders.forEach((fn, i) => {
      const t = performance.now();
      fn();
      times[i].push(performance.now() - t);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

console.log(environment());
console.log(
  'series | text ms | protobuf ms | protobufjs ms | protobuf, native ms | text/protobuf | protobufjs/protobuf | ' +
    'text MB | protobuf MB | native MB',
);
for (const n of SIZES) {
  const classic = await collection(n, false);
  const native = await collection(n, true);
  const serializer = new ProtobufSerializer();
  const bytes = { text: 0, protobuf: 0, native: 0 };
  const [textMs, protoMs, pbjsMs, nativeMs] = interleaved(
    [
      () => {
        bytes.text = drain(serializer, classic.resourceMetrics, 'text');
      },
      () => {
        bytes.protobuf = drain(serializer, classic.resourceMetrics, 'protobuf');
      },
      () => protobufjs(classic.resourceMetrics),
      () => {
        bytes.native = drain(serializer, native.resourceMetrics, 'protobuf');
      },
    ],
    20,
  );
  console.log(
    `${String(n).padStart(6)} | ${fmt(textMs).padStart(7)} | ${fmt(protoMs).padStart(11)} | ` +
      `${fmt(pbjsMs).padStart(13)} | ${fmt(nativeMs).padStart(19)} | ${(textMs / protoMs).toFixed(2).padStart(12)}x | ` +
      `${(pbjsMs / protoMs).toFixed(1).padStart(18)}x | ${(bytes.text / 1e6).toFixed(2).padStart(7)} | ` +
      `${(bytes.protobuf / 1e6).toFixed(2).padStart(11)} | ${(bytes.native / 1e6).toFixed(2)}`,
  );
  await classic.provider.shutdown();
  await native.provider.shutdown();
  gc();
}
console.log(
  'import time, median of 7 fresh processes: our protobuf writer over the text serializer it extends ' +
    `${fmt(importMs('./dist/prometheus/protobuf.js', './dist/prometheus/serializer.js'))} ms; ` +
    `protobufjs over an empty process ${fmt(importMs('protobufjs'))} ms`,
);
