import {
  DataPointType,
  MeterProvider,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { ClusterDecoder, ClusterEncoder, type Payload } from '../../src/cluster/codec.js';
import { ClusterMerger, type WorkerData } from '../../src/cluster/merge.js';
import { resolveConfig } from '../../src/config.js';
import { EXEMPLARS } from '../../src/exemplars.js';
import { instrumentsFor } from '../../src/instruments/instruments.js';
import { InstrumentRegistry } from '../../src/instruments/registry.js';
import { PrometheusReader } from '../../src/prometheus/reader.js';
import { PrometheusSerializer } from '../../src/prometheus/serializer.js';
import { promtoolCheck, referenceParse } from '../helpers.js';

/** One process's worth of data: a counter, an up-down counter, a gauge, a histogram and a summary. */
async function processData(requests: number, heap: number): Promise<ResourceMetrics> {
  const config = resolveConfig({});
  const registry = new InstrumentRegistry(config.views, config.cardinalityLimit);
  const reader = new PrometheusReader({ cardinalityLimit: 2000, metricProducers: [registry.producer()] });
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('app', '1.0.0');
  const counter = meter.createCounter('jobs.done', { description: 'Jobs "done"\nwith a newline' });
  counter.add(requests, { queue: 'a\nb' });
  counter.add(1, { queue: 'other', tags: ['x', 'y'] });
  meter.createUpDownCounter('jobs.active').add(2);
  meter.createGauge('heap.used', { unit: 'By' }).record(heap);
  const h = meter.createHistogram('job.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.1, 1] },
  });
  h.record(0.05);
  h.record(0.5, { queue: 'a' });
  const instruments = instrumentsFor(registry, config.instruments);
  instruments.summary('payload.size', { unit: 'By' }).observe(512);
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics;
}

const serializer = new PrometheusSerializer({ targetInfo: false });

/** What the cluster channel does to a message: JSON. */
function wire(payload: Payload): Payload {
  return JSON.parse(JSON.stringify(payload)) as Payload;
}

function roundTrip(rm: ResourceMetrics, worker: string): WorkerData {
  const decoder = new ClusterDecoder({ worker });
  return { worker, metrics: decoder.decode(wire(new ClusterEncoder().encode(rm, decoder.have())))! };
}

/** A hand-made collection of one stream, for data the SDK does not produce on demand. */
function collection(rm: ResourceMetrics, metric: { dataPointType?: DataPointType; dataPoints: object[] }) {
  const { scope, metrics } = rm.scopeMetrics[0]!;
  return {
    resource: rm.resource,
    scopeMetrics: [{ scope, metrics: [{ ...metrics[0]!, ...metric } as MetricData] }],
  } satisfies ResourceMetrics;
}

function exposition(rm: ResourceMetrics, merger: ClusterMerger, sources: WorkerData[]): string {
  return serializer.serialize({ resource: rm.resource, scopeMetrics: merger.merge(sources) });
}

describe('the cluster IPC codec', () => {
  it('carries every kind of metric through unchanged', async () => {
    const rm = await processData(3, 100);
    const decoder = new ClusterDecoder({});
    const decoded = decoder.decode(wire(new ClusterEncoder().encode(rm, decoder.have())))!;
    const back = serializer.serialize({
      resource: rm.resource,
      scopeMetrics: new ClusterMerger(false, 'worker').merge([{ worker: '1', metrics: decoded }]),
    });
    expect(back).toBe(serializer.serialize(rm));
    expect(back).toContain('payload_size_bytes_count');
    expect(back).toContain(
      'job_duration_seconds_bucket{otel_scope_name="app",otel_scope_version="1.0.0",le="0.1"} 1',
    );
  });

  it('sends the dictionary once, then only the numbers, and hands back the same attribute objects', async () => {
    const rm = await processData(3, 100);
    const encoder = new ClusterEncoder();
    const decoder = new ClusterDecoder({ worker: '1' });
    const firstPayload = wire(encoder.encode(rm, decoder.have()));
    const first = decoder.decode(firstPayload)!;
    const secondPayload = wire(encoder.encode(rm, decoder.have()));
    expect(firstPayload.d.length).toBeGreaterThan(0);
    expect(secondPayload.d).toEqual([]);
    const second = decoder.decode(secondPayload)!;
    expect(second[0]!.metric.dataPoints[0]!.attributes).toBe(first[0]!.metric.dataPoints[0]!.attributes);
    expect(second[0]!.metric.dataPoints[0]!.attributes).toMatchObject({ worker: '1' });
  });

  it('sends only the entries a primary lacks, and everything to a primary that holds none', async () => {
    const rm = await processData(3, 100);
    const encoder = new ClusterEncoder();
    const decoder = new ClusterDecoder({});
    decoder.decode(wire(encoder.encode(rm, decoder.have())));
    const held = decoder.have()[1];
    const more = collection(rm, {
      dataPoints: [{ ...rm.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!, attributes: { queue: 'new' } }],
    });
    const delta = wire(encoder.encode(more, decoder.have()));
    expect([delta.b, delta.d.length]).toEqual([held, 1]);
    expect(decoder.decode(delta)![0]!.metric.dataPoints[0]!.attributes).toEqual({ queue: 'new' });
    // A primary that lost track (or a new one) gets the whole dictionary.
    const full = wire(encoder.encode(more, new ClusterDecoder({}).have()));
    expect([full.b, full.d.length]).toEqual([0, held + 1]);
    // An answer that does not continue what the primary holds is refused, not misread.
    expect(new ClusterDecoder({}).decode(delta)).toBeUndefined();
  });

  it('reads two answers that carry the same new entries (two scrapes in flight) without doubling them', async () => {
    const rm = await processData(3, 100);
    const encoder = new ClusterEncoder();
    const decoder = new ClusterDecoder({});
    const have = decoder.have();
    const [a, b] = [wire(encoder.encode(rm, have)), wire(encoder.encode(rm, have))];
    decoder.decode(a);
    const again = decoder.decode(b)!;
    expect(decoder.have()[1]).toBe(a.d.length);
    expect(
      serializer.serialize({
        resource: rm.resource,
        scopeMetrics: new ClusterMerger(false, 'worker').merge([{ worker: '1', metrics: again }]),
      }),
    ).toBe(serializer.serialize(rm));
  });

  it('starts a new dictionary when most of its series have left', async () => {
    const rm = await processData(3, 100);
    const point = rm.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!;
    const many = collection(rm, {
      dataPoints: Array.from({ length: 3000 }, (_, i) => ({ ...point, attributes: { n: i } })),
    });
    const few = collection(rm, { dataPoints: [{ ...point, attributes: { n: 'last' } }] });
    const encoder = new ClusterEncoder();
    const decoder = new ClusterDecoder({});
    const first = wire(encoder.encode(many, decoder.have()));
    decoder.decode(first);
    decoder.decode(wire(encoder.encode(few, decoder.have())));
    const next = wire(encoder.encode(few, decoder.have()));
    expect(next.e).not.toBe(first.e);
    expect(next.d.length).toBe(2);
    expect(decoder.decode(next)![0]!.metric.dataPoints.map((p) => p.attributes)).toEqual([{ n: 'last' }]);
  });

  it('carries NaN and infinities, exemplars, and point types it does not know, exactly', async () => {
    const rm = await processData(3, 100);
    const point = rm.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!;
    const exemplar = { value: 2, timestamp: 1.5, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) };
    const exponential = {
      count: 3,
      sum: Number.POSITIVE_INFINITY,
      scale: 3,
      zeroCount: 1,
      positive: { offset: -2, bucketCounts: [1, 0, 1] },
      negative: { offset: 0, bucketCounts: [] },
      min: 0,
      max: Number.POSITIVE_INFINITY,
    };
    const gauge = collection(rm, {
      dataPointType: DataPointType.GAUGE,
      dataPoints: [
        { ...point, attributes: { a: Number.NaN }, value: Number.NaN, [EXEMPLARS]: [exemplar] },
        { ...point, attributes: { a: 1 }, value: Number.NEGATIVE_INFINITY },
      ],
    });
    const exp = collection(rm, {
      dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
      dataPoints: [{ ...point, value: exponential }],
    });
    for (const [data, values] of [
      [gauge, [Number.NaN, Number.NEGATIVE_INFINITY]],
      [exp, [exponential]],
    ] as const) {
      const decoder = new ClusterDecoder({});
      const [metric] = decoder.decode(wire(new ClusterEncoder().encode(data, decoder.have())))!;
      expect(metric!.metric.dataPointType).toBe(data.scopeMetrics[0]!.metrics[0]!.dataPointType);
      expect(metric!.metric.dataPoints.map((p) => p.value)).toEqual(values);
      expect(metric!.metric.dataPoints[0]!.startTime).toEqual(point.startTime);
    }
    const decoder = new ClusterDecoder({});
    const [metric] = decoder.decode(wire(new ClusterEncoder().encode(gauge, decoder.have())))!;
    expect(metric!.metric.dataPoints[0]!.attributes).toEqual({ a: Number.NaN });
    expect((metric!.metric.dataPoints[0] as { [EXEMPLARS]?: unknown })[EXEMPLARS]).toEqual([exemplar]);
  });
});

describe('merging the workers of a cluster', () => {
  it('keeps every worker apart under its worker label by default, valid for promtool', async () => {
    const [a, b] = [await processData(3, 100), await processData(4, 300)];
    const text = exposition(a, new ClusterMerger(false, 'worker'), [roundTrip(a, '1'), roundTrip(b, '2')]);
    await promtoolCheck(text);
    const jobs = (await referenceParse(text)).find((f) => f.name === 'jobs_done')!;
    expect(
      jobs.samples
        .filter((s) => s.name === 'jobs_done_total' && s.labels['queue'] !== 'other')
        .map((s) => [s.labels['worker'], s.value]),
    ).toEqual([
      ['1', 3],
      ['2', 4],
    ]);
  });

  it('adds counters and histograms exactly, and applies the gauge policy, in aggregated output', async () => {
    const [a, b] = [await processData(3, 100), await processData(4, 300)];
    const merger = new ClusterMerger(true, 'max');
    const text = exposition(a, merger, [roundTrip(a, '1'), roundTrip(b, '2')]);
    await promtoolCheck(text);
    expect(text).toContain(
      'jobs_done_total{otel_scope_name="app",otel_scope_version="1.0.0",queue="a\\nb"} 7',
    );
    expect(text).toContain('jobs_active{otel_scope_name="app",otel_scope_version="1.0.0"} 4');
    expect(text).toContain('heap_used_bytes{otel_scope_name="app",otel_scope_version="1.0.0"} 300');
    expect(text).toContain('job_duration_seconds_count{otel_scope_name="app",otel_scope_version="1.0.0"} 2');
    // Summaries cannot be merged: they stay per worker.
    expect(text).toContain('worker="2"');
    expect(text).not.toMatch(/jobs_done_total\{[^}]*worker=/);
  });

  it('keeps per-worker gauges with the `worker` policy in aggregated output', async () => {
    const [a, b] = [await processData(3, 100), await processData(4, 300)];
    const text = exposition(a, new ClusterMerger(true, 'worker'), [roundTrip(a, '1'), roundTrip(b, '2')]);
    expect(text).toMatch(/heap_used_bytes\{[^}]*worker="1"\} 100/);
    expect(text).toMatch(/heap_used_bytes\{[^}]*worker="2"\} 300/);
  });

  it('never lets an aggregated counter go backwards when a worker is replaced', async () => {
    const merger = new ClusterMerger(true, 'sum');
    const [a, b] = [await processData(3, 100), await processData(4, 300)];
    const before = exposition(a, merger, [roundTrip(a, '1'), roundTrip(b, '2')]);
    expect(before).toContain('queue="a\\nb"} 7');
    // Worker 2 dies with 4 counted; its replacement starts from 1.
    merger.retire(roundTrip(b, '2'));
    const fresh = await processData(1, 50);
    const after = exposition(a, merger, [roundTrip(a, '1'), roundTrip(fresh, '2')]);
    expect(after).toContain('queue="a\\nb"} 8');
    expect(after).toContain('job_duration_seconds_count{otel_scope_name="app",otel_scope_version="1.0.0"} 3');
    // Gauges and up-down counters are live values: the dead worker's are gone.
    expect(after).toContain('heap_used_bytes{otel_scope_name="app",otel_scope_version="1.0.0"} 150');
    expect(after).toContain('jobs_active{otel_scope_name="app",otel_scope_version="1.0.0"} 4');
  });

  it('serves exemplars with per-worker series only: a summed series has none', async () => {
    const rm = await processData(3, 100);
    const counter = rm.scopeMetrics[0]!.metrics.find((m) => m.descriptor.name === 'jobs.done')!;
    const exemplar = { value: 2, timestamp: 1.5, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) };
    const withExemplar = collection(rm, {
      dataPoints: [{ ...counter.dataPoints[0]!, [EXEMPLARS]: [exemplar] }],
    });
    const [one] = new ClusterMerger(true, 'sum').merge([roundTrip(withExemplar, '1')])[0]!.metrics;
    expect(one!.dataPoints[0]!.value).toBe(counter.dataPoints[0]!.value);
    expect((one!.dataPoints[0] as { [EXEMPLARS]?: unknown })[EXEMPLARS]).toBeUndefined();
  });

  it('gives the same exposition whatever order the answers arrive in, in both outputs', async () => {
    const data = [await processData(3, 100), await processData(4, 300), await processData(9, 50)];
    for (const aggregated of [false, true]) {
      const merger = new ClusterMerger(aggregated, 'max');
      const texts = [
        [0, 1, 2],
        [2, 0, 1],
        [1, 2, 0],
      ].map((order) => {
        const run = merger.start();
        for (const i of order) run.add(roundTrip(data[i]!, String(i + 1)), i + 1);
        return serializer.serialize({ resource: data[0]!.resource, scopeMetrics: run.finish() });
      });
      expect(texts[1]).toBe(texts[0]);
      expect(texts[2]).toBe(texts[0]);
      if (aggregated) expect(texts[0]).toContain('queue="a\\nb"} 16');
      else expect(texts[0]!.indexOf('worker="1"')).toBeLessThan(texts[0]!.indexOf('worker="3"'));
    }
  });
});
