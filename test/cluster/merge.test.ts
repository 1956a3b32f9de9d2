import { MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { decodeMetrics, encodeMetrics } from '../../src/cluster/codec.js';
import { ClusterMerger, type WorkerData } from '../../src/cluster/merge.js';
import { resolveConfig } from '../../src/config.js';
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

function roundTrip(rm: ResourceMetrics, worker: string): WorkerData {
  return { worker, metrics: decodeMetrics(encodeMetrics(rm), new Map(), { worker }).metrics };
}

function exposition(rm: ResourceMetrics, merger: ClusterMerger, sources: WorkerData[]): string {
  return serializer.serialize({ resource: rm.resource, scopeMetrics: merger.merge(sources) });
}

describe('the cluster IPC codec', () => {
  it('carries every kind of metric through unchanged', async () => {
    const rm = await processData(3, 100);
    const decoded = decodeMetrics(encodeMetrics(rm), new Map(), {});
    const back = serializer.serialize({
      resource: rm.resource,
      scopeMetrics: new ClusterMerger(false, 'worker').merge([{ worker: '1', metrics: decoded.metrics }]),
    });
    expect(back).toBe(serializer.serialize(rm));
    expect(back).toContain('payload_size_bytes_count');
    expect(back).toContain(
      'job_duration_seconds_bucket{otel_scope_name="app",otel_scope_version="1.0.0",le="0.1"} 1',
    );
  });

  it('hands back the same attribute objects for series it decoded before', async () => {
    const payload = encodeMetrics(await processData(3, 100));
    const first = decodeMetrics(payload, new Map(), { worker: '1' });
    const second = decodeMetrics(payload, first.intern, { worker: '1' });
    expect(second.metrics[0]!.metric.dataPoints[0]!.attributes).toBe(
      first.metrics[0]!.metric.dataPoints[0]!.attributes,
    );
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
});
