import {
  AggregationType,
  type DataPoint,
  type ExponentialHistogram,
  type MeterProvider,
  type MetricProducer,
  type ResourceMetrics,
  MeterProvider as SdkMeterProvider,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { EXEMPLARS, type Exemplar } from '../../src/exemplars.js';
import { createInstruments } from '../../src/instruments/instruments.js';
import type { ExpositionStats } from '../../src/prometheus/exposition-stats.js';
import { negotiate, PROTOBUF_CONTENT_TYPE, SERVED_OFFERS } from '../../src/prometheus/negotiation.js';
import { ProtobufSerializer } from '../../src/prometheus/protobuf.js';
import { referenceParse } from '../helpers.js';
import { lognormal } from './lognormal.js';
import {
  decodeFamilies,
  labelsOf,
  nativeBuckets,
  type PbFamily,
  type PbHistogram,
} from './protobuf-decode.js';
import { serveMeter, TestReader } from './support.js';

/** The format the endpoint serves for an `Accept` header. */
const negotiateFormat = (accept: string | undefined) => negotiate(accept, SERVED_OFFERS).format;

/** Prometheus 2.42 with `--enable-feature=native-histograms` (scrape/scrape.go, scrapeAcceptHeaderWithProtobuf). */
const PROMETHEUS_2_42_PROTOBUF =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,' +
  'application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,' +
  'text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
/** Prometheus 2.42 without it. */
const PROMETHEUS_2_42 =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,' +
  'text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

const EXPONENTIAL = { type: AggregationType.EXPONENTIAL_HISTOGRAM } as const;

async function collect(
  setup: (provider: MeterProvider) => void,
  views: ViewOptions[] = [],
  producers: MetricProducer[] = [],
) {
  const reader = new TestReader({ metricProducers: producers });
  const provider = new SdkMeterProvider({ readers: [reader], views });
  setup(provider);
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics;
}

function protobufOf(serializer: ProtobufSerializer, rm: ResourceMetrics, stats?: ExpositionStats) {
  return decodeFamilies(Buffer.concat([...serializer.chunks(rm, 'protobuf', stats)]));
}

/** The points of the first metric named `name` (the data is plain objects: tests may attach exemplars). */
function pointsOf<T>(rm: ResourceMetrics, name: string): DataPoint<T>[] {
  for (const { metrics } of rm.scopeMetrics) {
    for (const m of metrics) if (m.descriptor.name === name) return m.dataPoints as DataPoint<T>[];
  }
  throw new Error(`no metric ${name}`);
}

/** Protobuf families as the samples a text parser would read from them, `name{labels} value`, sorted. */
function samplesOf(families: PbFamily[]): string[] {
  const out: string[] = [];
  const add = (name: string, labels: Record<string, string>, value: number) => {
    const l = Object.entries(labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',');
    out.push(`${name}{${l}} ${value}`);
  };
  for (const f of families) {
    for (const m of f.metric) {
      const labels = labelsOf(m);
      if (f.type === 'COUNTER') add(f.name, labels, m.counter!.value);
      else if (f.type === 'GAUGE') add(f.name, labels, m.gauge!.value);
      else if (f.type === 'SUMMARY') {
        for (const q of m.summary!.quantile)
          add(f.name, { ...labels, quantile: String(q.quantile) }, q.value);
        add(`${f.name}_sum`, labels, m.summary!.sample_sum);
        add(`${f.name}_count`, labels, m.summary!.sample_count);
      } else {
        const h = m.histogram!;
        for (const b of h.bucket) {
          if (b.upper_bound !== Number.POSITIVE_INFINITY) {
            add(`${f.name}_bucket`, { ...labels, le: String(b.upper_bound) }, b.cumulative_count);
          }
        }
        add(`${f.name}_bucket`, { ...labels, le: '+Inf' }, h.sample_count);
        add(`${f.name}_sum`, labels, h.sample_sum);
        add(`${f.name}_count`, labels, h.sample_count);
      }
    }
  }
  return out.sort();
}

/** Prometheus bucket index of a positive magnitude at a schema: base^(k-1) < v ≤ base^k. */
function bucketIndex(v: number, schema: number): number {
  return Math.ceil(Math.log2(v) * 2 ** schema);
}

/** Counts per Prometheus bucket index of the values' magnitudes (`sign` picks which values). */
function expectedBuckets(values: number[], schema: number, sign: 1 | -1): Map<number, number> {
  const out = new Map<number, number>();
  for (const v of values) {
    if (Math.sign(v) !== sign) continue;
    const k = bucketIndex(Math.abs(v), schema);
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

function exemplar(value: number, i: number, timestamp = 1_764_000_000_000 + i * 1000.5): Exemplar {
  return {
    value,
    timestamp,
    traceId: i.toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
  };
}

function histogramOf(families: PbFamily[], name: string): PbHistogram {
  const h = families.find((f) => f.name === name)?.metric[0]?.histogram;
  if (h === undefined) throw new Error(`no histogram ${name}`);
  return h;
}

describe('ProtobufSerializer', () => {
  it('serves counters, gauges, histograms, summaries and target_info as the same samples as the text format', async () => {
    const api = createInstruments({ namespace: 'app' });
    api.summary('payload.size', { unit: 'By', quantiles: [0.5, 0.9] }).observe(512);
    const rm = await collect(
      (p) => {
        const m = p.getMeter('shop', '1.2.0');
        m.createCounter('orders', { unit: '{order}', description: 'Orders "placed"\nper region' }).add(3, {
          region: 'eu',
          note: 'say "hi" \\ 😀\nbye',
        });
        m.createUpDownCounter('queue.depth').add(-2);
        m.createGauge('temperature', { unit: 'Cel' }).record(21.5, { room: 'a' });
        const h = m.createHistogram('latency', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1] } });
        for (const v of [0.05, 0.5, 0.7, 3]) h.record(v, { route: '/a' });
        p.getMeter('other').createCounter('orders', { unit: '{order}' }).add(1);
      },
      [],
      [api.producer()],
    );
    const serializer = new ProtobufSerializer();
    const families = protobufOf(serializer, rm);
    const text = serializer.serialize(rm, 'text');
    const reference = await referenceParse(text);
    const textSamples = reference
      .flatMap((f) => f.samples)
      .map((s) => {
        const l = Object.entries(s.labels)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',');
        return `${s.name}{${l}} ${s.value}`;
      })
      .sort();
    expect(samplesOf(families)).toEqual(textSamples);

    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('orders_total')?.type).toBe('COUNTER');
    expect(byName.get('orders_total')?.help).toBe('Orders "placed"\nper region');
    expect(byName.get('orders_total')?.metric).toHaveLength(2);
    expect(byName.get('queue_depth')?.type).toBe('GAUGE');
    expect(byName.get('temperature_celsius')).toMatchObject({ type: 'GAUGE', unit: 'celsius' });
    expect(byName.get('latency_seconds')).toMatchObject({ type: 'HISTOGRAM', unit: 'seconds' });
    expect(byName.get('app_payload_size_bytes')?.type).toBe('SUMMARY');
    expect(byName.get('target_info')?.type).toBe('GAUGE');
    expect(labelsOf(byName.get('target_info')!.metric[0]!)).toMatchObject({
      service_name: expect.any(String),
    });
    expect(labelsOf(byName.get('orders_total')!.metric[0]!)).toMatchObject({
      otel_scope_name: 'shop',
      otel_scope_version: '1.2.0',
      note: 'say "hi" \\ 😀\nbye',
    });
  });

  it('writes the start time of counters, histograms and summaries as created_timestamp, and none on gauges', async () => {
    const api = createInstruments();
    api.summary('s').observe(1);
    const rm = await collect(
      (p) => {
        const m = p.getMeter('m');
        m.createCounter('c').add(1);
        m.createHistogram('h').record(1);
        m.createGauge('g').record(1);
      },
      [],
      [api.producer()],
    );
    const start = pointsOf<number>(rm, 'c')[0]!.startTime;
    const families = protobufOf(new ProtobufSerializer({ targetInfo: false }), rm);
    const created = (name: string) => {
      const m = families.find((f) => f.name === name)!.metric[0]!;
      return m.counter?.created_timestamp ?? m.histogram?.created_timestamp ?? m.summary?.created_timestamp;
    };
    expect(created('c_total')).toEqual({ seconds: start[0], nanos: start[1] });
    expect(created('h')).toEqual({
      seconds: pointsOf<number>(rm, 'h')[0]!.startTime[0],
      nanos: pointsOf<number>(rm, 'h')[0]!.startTime[1],
    });
    expect(created('s')).toBeDefined();
    expect(families.find((f) => f.name === 'g')!.metric[0]!.gauge).toEqual({ value: 1 });
  });

  it('serves an exponential histogram as a native histogram with the recorded buckets, zeros, sum and count', async () => {
    const values = [...lognormal(2000, 7), 0, 0, 0];
    const rm = await collect(
      (p) => {
        const h = p.getMeter('m').createHistogram('latency', { unit: 's' });
        for (const v of values) h.record(v, { route: '/a' });
      },
      [{ instrumentName: 'latency', aggregation: EXPONENTIAL }],
    );
    const point = pointsOf<ExponentialHistogram>(rm, 'latency')[0]!;
    const families = protobufOf(new ProtobufSerializer(), rm);
    const family = families.find((f) => f.name === 'latency_seconds')!;
    expect(family.type).toBe('HISTOGRAM');
    const h = family.metric[0]!.histogram!;
    expect(labelsOf(family.metric[0]!)).toMatchObject({ route: '/a', otel_scope_name: 'm' });
    expect(h.schema).toBe(point.value.scale);
    expect(h.schema).toBeLessThanOrEqual(8);
    expect(h.sample_count).toBe(values.length);
    expect(h.sample_sum).toBe(point.value.sum);
    expect(h.sample_sum).toBeCloseTo(
      values.reduce((a, b) => a + b, 0),
      9,
    );
    expect(h.zero_count).toBe(3);
    expect(h.zero_threshold ?? 0).toBe(0);
    expect(nativeBuckets(h.positive_span, h.positive_delta)).toEqual(expectedBuckets(values, h.schema!, 1));
    expect(h.negative_span).toEqual([]);
    // No exemplars, no classic buckets wanted: nothing classic at all.
    expect(h.bucket).toEqual([]);
  });

  it('maps OTel buckets to Prometheus buckets one index up, negative side and zero bucket included', async () => {
    // The OTel JS SDK's Histogram drops negative values, but exponential points from other sources have them.
    const rm = await collect(
      (p) => p.getMeter('m').createHistogram('signed').record(1),
      [{ instrumentName: 'signed', aggregation: EXPONENTIAL }],
    );
    const point = pointsOf<ExponentialHistogram>(rm, 'signed')[0]!;
    (point as { value: ExponentialHistogram }).value = {
      count: 14,
      sum: -1.5,
      scale: 3,
      zeroCount: 2,
      // OTel bucket i at scale 3 holds (2^(i/8), 2^((i+1)/8)]: Prometheus bucket i + 1.
      positive: { offset: -2, bucketCounts: [1, 0, 0, 4, 0, 0, 0, 0, 2] },
      negative: { offset: 5, bucketCounts: [3, 0, 2] },
    };
    const h = histogramOf(protobufOf(new ProtobufSerializer(), rm), 'signed');
    expect(h).toMatchObject({ schema: 3, sample_count: 14, sample_sum: -1.5, zero_count: 2 });
    // Positive: indexes -1, 2 (gap of two: one span with zeros), 7 (gap of four: a new span).
    expect(h.positive_span).toEqual([
      { offset: -1, length: 4 },
      { offset: 4, length: 1 },
    ]);
    expect(h.positive_delta).toEqual([1, -1, 0, 4, -2]);
    expect(h.negative_span).toEqual([{ offset: 6, length: 3 }]);
    expect(h.negative_delta).toEqual([3, -3, 2]);
    expect(nativeBuckets(h.negative_span, h.negative_delta)).toEqual(
      new Map([
        [6, 3],
        [8, 2],
      ]),
    );
  });

  it('downscales a scale above 8 to schema 8 by merging buckets', async () => {
    // A narrow range keeps the SDK at a fine scale (up to 20).
    const values = Array.from({ length: 500 }, (_, i) => 1.001 + i * 0.0000173);
    const rm = await collect(
      (p) => {
        const h = p.getMeter('m').createHistogram('narrow');
        for (const v of values) h.record(v);
      },
      [{ instrumentName: 'narrow', aggregation: EXPONENTIAL }],
    );
    expect(pointsOf<ExponentialHistogram>(rm, 'narrow')[0]!.value.scale).toBeGreaterThan(8);
    const h = histogramOf(protobufOf(new ProtobufSerializer(), rm), 'narrow');
    expect(h.schema).toBe(8);
    expect(nativeBuckets(h.positive_span, h.positive_delta)).toEqual(expectedBuckets(values, 8, 1));
    expect(h.sample_count).toBe(values.length);
  });

  it('keeps spans apart over long gaps and joins them over short ones, with zero counts inside', async () => {
    // Schema 0 buckets: 1 → index 0, 3 → 2 (gap of one), 1000 → 10 (gap of seven).
    const rm = await collect(
      (p) => {
        const h = p.getMeter('m').createHistogram('gaps');
        for (const v of [1, 3, 3, 1000]) h.record(v);
      },
      [
        {
          instrumentName: 'gaps',
          aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 8 } },
        },
      ],
    );
    const h = histogramOf(protobufOf(new ProtobufSerializer(), rm), 'gaps');
    expect(nativeBuckets(h.positive_span, h.positive_delta)).toEqual(
      expectedBuckets([1, 3, 3, 1000], h.schema!, 1),
    );
    expect(h.positive_span.length).toBeGreaterThanOrEqual(1);
    expect(h.positive_delta.length).toBe(h.positive_span.reduce((n, s) => n + s.length, 0));
  });

  it('marks an empty native histogram with a zero threshold so Prometheus 2.x reads it as native', async () => {
    const rm = await collect(
      (p) => p.getMeter('m').createHistogram('empty').record(1),
      [{ instrumentName: 'empty', aggregation: EXPONENTIAL }],
    );
    const point = pointsOf<ExponentialHistogram>(rm, 'empty')[0]!;
    (point as { value: ExponentialHistogram }).value = {
      ...point.value,
      count: 0,
      sum: 0,
      positive: { offset: 0, bucketCounts: [] },
    };
    const h = histogramOf(protobufOf(new ProtobufSerializer(), rm), 'empty');
    expect(h.zero_threshold).toBe(2 ** -128);
    expect(h.sample_count).toBe(0);
    expect(h.positive_span).toEqual([]);
  });

  it('leaves out a native histogram whose scale is below -4, once warned and counted', async () => {
    const rm = await collect(
      (p) => p.getMeter('m').createHistogram('coarse').record(1),
      [{ instrumentName: 'coarse', aggregation: EXPONENTIAL }],
    );
    const point = pointsOf<ExponentialHistogram>(rm, 'coarse')[0]!;
    (point as { value: ExponentialHistogram }).value = { ...point.value, scale: -5 };
    const stats: ExpositionStats = { series: 0, overflow: new Map() };
    const families = protobufOf(new ProtobufSerializer({ targetInfo: false }), rm, stats);
    expect(families.find((f) => f.name === 'coarse')?.metric ?? []).toEqual([]);
    expect([...(stats.dropped?.values() ?? [])]).toEqual([
      { instrument: 'coarse', reason: 'unsupported_type', series: 1 },
    ]);
  });

  it('serves exemplars on counters and classic buckets, placed by value, the latest per bucket', async () => {
    const rm = await collect((p) => {
      const m = p.getMeter('m');
      m.createCounter('requests').add(5);
      const h = m.createHistogram('duration', { advice: { explicitBucketBoundaries: [0.1, 1] } });
      for (const v of [0.05, 0.5, 5]) h.record(v);
    });
    const counter = pointsOf<number>(rm, 'requests')[0]! as DataPoint<number> & { [EXEMPLARS]?: Exemplar[] };
    counter[EXEMPLARS] = [exemplar(1, 1), exemplar(2, 2)];
    const histogram = pointsOf<unknown>(rm, 'duration')[0]! as DataPoint<unknown> & {
      [EXEMPLARS]?: Exemplar[];
    };
    // Two older ones land in the first bucket too, one before and one after the newest: the newest is kept.
    histogram[EXEMPLARS] = [
      exemplar(0.07, 8, 1_700_000_000_000),
      exemplar(0.05, 3),
      exemplar(0.5, 4),
      exemplar(5, 5),
      exemplar(0.08, 9, 1_600_000_000_000),
    ];
    const families = protobufOf(new ProtobufSerializer(), rm);
    const c = families.find((f) => f.name === 'requests_total')!.metric[0]!.counter!;
    expect(c.exemplar).toEqual({
      label: [
        { name: 'trace_id', value: '2'.padStart(32, '0') },
        { name: 'span_id', value: '3'.padStart(16, '0') },
      ],
      value: 2,
      timestamp: { seconds: 1_764_000_002, nanos: 1_000_000 },
    });
    const h = histogramOf(families, 'duration');
    expect(h.bucket.map((b) => [b.upper_bound, b.cumulative_count, b.exemplar?.value])).toEqual([
      [0.1, 1, 0.05],
      [1, 2, 0.5],
      [Number.POSITIVE_INFINITY, 3, 5],
    ]);
  });

  it('serves native-histogram exemplars in the exemplars field and the latest on a +Inf bucket for Prometheus 2.4x', async () => {
    const values = [0.2, 0.4, 3];
    const rm = await collect(
      (p) => {
        const h = p.getMeter('m').createHistogram('lat');
        for (const v of values) h.record(v);
      },
      [{ instrumentName: 'lat', aggregation: EXPONENTIAL }],
    );
    const point = pointsOf<unknown>(rm, 'lat')[0]! as DataPoint<unknown> & { [EXEMPLARS]?: Exemplar[] };
    point[EXEMPLARS] = [exemplar(0.2, 1), exemplar(3, 3), exemplar(0.4, 2, 1_764_000_009_000)];
    const h = histogramOf(protobufOf(new ProtobufSerializer(), rm), 'lat');
    expect(h.exemplars.map((e) => e.value)).toEqual([0.2, 3, 0.4]);
    expect(h.exemplars.every((e) => e.timestamp !== undefined)).toBe(true);
    expect(h.bucket).toHaveLength(1);
    expect(h.bucket[0]).toMatchObject({ upper_bound: Number.POSITIVE_INFINITY, cumulative_count: 3 });
    expect(h.bucket[0]!.exemplar?.value).toBe(0.4);
  });

  it('with nativeWithClassic, sends classic buckets derived from the native ones, carrying the exemplars', async () => {
    const values = [...lognormal(300, 7), 0];
    const rm = await collect(
      (p) => {
        const h = p.getMeter('m').createHistogram('both');
        for (const v of values) h.record(v);
      },
      [{ instrumentName: 'both', aggregation: EXPONENTIAL }],
    );
    const point = pointsOf<unknown>(rm, 'both')[0]! as DataPoint<unknown> & { [EXEMPLARS]?: Exemplar[] };
    point[EXEMPLARS] = [exemplar(0, 1), exemplar(values[0]!, 2)];
    const h = histogramOf(protobufOf(new ProtobufSerializer({ nativeWithClassic: true }), rm), 'both');
    expect(h.schema).toBeDefined();
    expect(h.bucket.length).toBeGreaterThan(3);
    const bounds = h.bucket.map((b) => b.upper_bound);
    expect([...bounds].sort((a, b) => a - b)).toEqual(bounds);
    for (const b of h.bucket) {
      // Boundaries are inclusive upper bounds; allow for the last digit of base^k.
      const expected = values.filter((v) => v <= b.upper_bound * (1 + 1e-12) + 1e-300).length;
      expect(b.cumulative_count, `le=${b.upper_bound}`).toBe(expected);
    }
    expect(h.bucket.at(-1)!.cumulative_count).toBe(values.length);
    const carriers = h.bucket.filter((b) => b.exemplar !== undefined);
    expect(carriers.map((b) => b.exemplar!.value)).toEqual([0, values[0]]);
    for (const b of carriers) expect(b.exemplar!.value).toBeLessThanOrEqual(b.upper_bound);
  });

  it('writes the same bytes whatever the chunk size, pausing inside a large family', async () => {
    const rm = await collect((p) => {
      const c = p.getMeter('m').createCounter('wide');
      for (let i = 0; i < 1900; i++) c.add(i, { id: `series-${i}`, pad: 'x'.repeat(i % 50) });
      const h = p.getMeter('m').createHistogram('h');
      for (let i = 0; i < 300; i++) h.record(i, { id: String(i) });
    });
    const small = [...new ProtobufSerializer({ chunkSize: 1024 }).chunks(rm, 'protobuf')];
    const large = [...new ProtobufSerializer().chunks(rm, 'protobuf')];
    expect(Buffer.concat(small).equals(Buffer.concat(large))).toBe(true);
    expect(small.some((c) => c.length === 0)).toBe(true);
    const families = decodeFamilies(Buffer.concat(small));
    const wide = families.find((f) => f.name === 'wide_total')!;
    expect(wide.metric).toHaveLength(1900);
    expect(wide.metric.map((m) => m.counter!.value)).toEqual(Array.from({ length: 1900 }, (_, i) => i));
  });

  it('keeps native and classic histograms of one name apart, the first one served', async () => {
    const rm = await collect(
      (p) => {
        p.getMeter('a').createHistogram('dup').record(1);
        p.getMeter('b').createHistogram('dup').record(1);
      },
      [{ instrumentName: 'dup', meterName: 'b', aggregation: EXPONENTIAL }],
    );
    const stats: ExpositionStats = { series: 0, overflow: new Map() };
    const families = protobufOf(new ProtobufSerializer({ targetInfo: false }), rm, stats);
    const dup = families.filter((f) => f.name === 'dup');
    expect(dup).toHaveLength(1);
    expect(dup[0]!.metric).toHaveLength(1);
    expect(dup[0]!.metric[0]!.histogram!.schema).toBeUndefined();
    expect([...(stats.dropped?.values() ?? [])]).toEqual([
      { instrument: 'dup', reason: 'name_conflict', series: 1 },
    ]);
  });

  it('counts samples as Prometheus does: one per native histogram', async () => {
    const rm = await collect(
      (p) => {
        p.getMeter('m').createHistogram('n').record(1);
        p.getMeter('m').createCounter('c').add(1);
      },
      [{ instrumentName: 'n', aggregation: EXPONENTIAL }],
    );
    const stats: ExpositionStats = { series: 0, overflow: new Map() };
    protobufOf(new ProtobufSerializer(), rm, stats);
    // target_info, the counter, the native histogram.
    expect(stats.series).toBe(3);
  });
});

describe('the protobuf format on the endpoint', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it.each([
    [PROMETHEUS_2_42_PROTOBUF, 'protobuf'],
    [PROMETHEUS_2_42, 'openmetrics'],
    [
      'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3',
      'protobuf',
    ],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text', 'text'],
    [
      'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5,text/plain;q=0.5',
      'text',
    ],
    ['*/*', 'text'],
  ] as const)('negotiates %s → %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });

  it('answers Prometheus 2.42 with native histograms on in protobuf, with its Content-Type', async () => {
    const served = await serveMeter();
    close = served.close;
    const res = await fetch(served.url, { headers: { Accept: PROMETHEUS_2_42_PROTOBUF } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROTOBUF_CONTENT_TYPE);
    const families = decodeFamilies(new Uint8Array(await res.arrayBuffer()));
    const orders = families.find((f) => f.name === 'orders_total')!;
    expect(orders.help).toBe('Orders placed');
    expect(orders.metric[0]!.counter!.value).toBe(3);
    expect(labelsOf(orders.metric[0]!)).toMatchObject({ region: 'eu' });
  });

  it('serves a family larger than a pause interval whole, plain and gzipped', async () => {
    const served = await serveMeter({ coalesceWindow: 0, compressionThreshold: 0 });
    close = served.close;
    const wide = served.meter.createCounter('wide');
    for (let i = 0; i < 1500; i++) wide.add(i, { id: String(i) });
    for (const encoding of ['identity', 'gzip']) {
      const res = await fetch(served.url, {
        headers: { Accept: PROMETHEUS_2_42_PROTOBUF, 'Accept-Encoding': encoding },
      });
      const family = decodeFamilies(new Uint8Array(await res.arrayBuffer())).find(
        (f) => f.name === 'wide_total',
      );
      expect(
        family?.metric.map((m) => m.counter!.value),
        encoding,
      ).toEqual(Array.from({ length: 1500 }, (_, i) => i));
    }
  });

  it('compresses protobuf like the text formats when asked', async () => {
    const served = await serveMeter({ compressionThreshold: 0 });
    close = served.close;
    const res = await fetch(served.url, {
      headers: { Accept: PROMETHEUS_2_42_PROTOBUF, 'Accept-Encoding': 'gzip' },
    });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const families = decodeFamilies(new Uint8Array(await res.arrayBuffer()));
    expect(families.map((f) => f.name)).toContain('orders_total');
  });
});
