import http from 'node:http';
import {
  type DataPoint,
  DataPointType,
  type ExponentialHistogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { type MetricsConfig, resolveConfig } from '../src/config.js';
import { MetricsError } from '../src/errors.js';
import { createTestMeter } from '../src/testing/index.js';
import { InMemoryMetricReader } from '../src/testing/reader.js';
import { BucketAdvisingMeterProvider, buildViews } from '../src/views.js';
import { messageOf } from './helpers.js';
import { close, collect, eventually, listen, startMeter } from './http/helpers.js';

/** SDK histograms made on a provider set up as initMeter() sets it up; returns each metric by name. */
async function sdkHistograms(
  config: MetricsConfig,
  instruments: { name: string; unit?: string; values?: number[]; attributes?: Record<string, string> }[],
): Promise<MetricData[]> {
  const resolved = resolveConfig(config, {});
  const reader = new InMemoryMetricReader({ cardinalityLimit: 2000 });
  const provider = new BucketAdvisingMeterProvider(
    { views: buildViews(resolved.views), readers: [reader] },
    resolved.views,
  );
  const meter = provider.getMeter('test');
  for (const { name, unit, values = [0.5, 3], attributes } of instruments) {
    const h = meter.createHistogram(name, unit === undefined ? {} : { unit });
    for (const v of values) h.record(v, attributes);
  }
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
}

const typeOf = (metrics: MetricData[], name: string) =>
  metrics.filter((m) => m.descriptor.name === name).map((m) => m.dataPointType);

const EXPONENTIAL = DataPointType.EXPONENTIAL_HISTOGRAM;
const EXPLICIT = DataPointType.HISTOGRAM;

describe('histogramAggregation on SDK instruments', () => {
  it('stays explicit by default', async () => {
    const metrics = await sdkHistograms({}, [{ name: 'a', unit: 's' }]);
    expect(typeOf(metrics, 'a')).toEqual([EXPLICIT]);
  });

  it('makes every histogram exponential globally, except those with their own boundaries', async () => {
    const metrics = await sdkHistograms(
      { histogramAggregation: 'exponential', histograms: { fixed: [1, 2] } },
      [{ name: 'plain' }, { name: 'timed', unit: 's' }, { name: 'fixed' }],
    );
    expect(typeOf(metrics, 'plain')).toEqual([EXPONENTIAL]);
    expect(typeOf(metrics, 'timed')).toEqual([EXPONENTIAL]);
    expect(typeOf(metrics, 'fixed')).toEqual([EXPLICIT]);
  });

  it('picks per unit, keeping one stream for an instrument that also has a per-name view', async () => {
    const metrics = await sdkHistograms(
      {
        unitHistogramAggregation: { s: 'exponential' },
        attributes: { filtered: ['keep'] },
      },
      [
        { name: 'latency', unit: 's' },
        { name: 'size', unit: 'By' },
        { name: 'filtered', unit: 's', attributes: { keep: 'x', drop: 'y' } },
      ],
    );
    expect(typeOf(metrics, 'latency')).toEqual([EXPONENTIAL]);
    expect(typeOf(metrics, 'size')).toEqual([EXPLICIT]);
    expect(typeOf(metrics, 'filtered')).toEqual([EXPONENTIAL]);
    const filtered = metrics.find((m) => m.descriptor.name === 'filtered')!;
    expect(filtered.dataPoints.map((p) => p.attributes)).toEqual([{ keep: 'x' }]);
  });

  it('lets a per-instrument setting win over the unit and global ones, with its max size', async () => {
    const metrics = await sdkHistograms(
      {
        histogramAggregation: 'exponential',
        unitHistogramAggregation: { s: 'exponential' },
        histogramAggregations: {
          classic: 'explicit',
          small: { type: 'exponential', maxSize: 4 },
          fixed: 'exponential',
        },
        histograms: { fixed: [1, 2] },
      },
      [
        { name: 'classic', unit: 's' },
        { name: 'small', values: [0.001, 0.1, 10, 1000, 1e5] },
        { name: 'fixed' },
      ],
    );
    expect(typeOf(metrics, 'classic')).toEqual([EXPLICIT]);
    expect(typeOf(metrics, 'fixed')).toEqual([EXPONENTIAL]);
    const small = metrics.find((m) => m.descriptor.name === 'small')!;
    const value = (small.dataPoints[0] as DataPoint<ExponentialHistogram>).value;
    expect(value.count).toBe(5);
    expect(value.positive.bucketCounts.length).toBeLessThanOrEqual(4);
  });
});

describe('histogramAggregation options', () => {
  it('reads OMB_HISTOGRAM_AGGREGATION and the object form', () => {
    expect(
      resolveConfig({}, { OMB_HISTOGRAM_AGGREGATION: 'exponential' }).views.histogramAggregation,
    ).toEqual({
      maxSize: 160,
      maxScale: 20,
    });
    const resolved = resolveConfig({
      unitHistogramAggregation: { s: { type: 'exponential', maxScale: 3 } },
      histogramAggregations: { x: 'explicit' },
    });
    expect(resolved.views.unitHistogramAggregation).toEqual({ s: { maxSize: 160, maxScale: 3 } });
    expect(resolved.views.histogramAggregations).toEqual({ x: 'explicit' });
    expect(resolved.views.histogramAggregation).toBe('explicit');
  });

  it('rejects wrong settings with ERR_INVALID_HISTOGRAM_AGGREGATION, naming the option and the fix', () => {
    const attempt = (config: MetricsConfig, env = {}) => {
      try {
        resolveConfig(config, env);
      } catch (err) {
        expect(err).toBeInstanceOf(MetricsError);
        return (err as MetricsError).problems.map((p) => `${p.source}: ${p.message} (${p.code})`);
      }
      throw new Error('expected a MetricsError');
    };
    expect(attempt({}, { OMB_HISTOGRAM_AGGREGATION: 'native' })[0]).toMatch(
      /^OMB_HISTOGRAM_AGGREGATION: "native" is not valid; use 'explicit', 'exponential' or .*ERR_INVALID_HISTOGRAM_AGGREGATION/,
    );
    const problems = attempt({
      histogramAggregation: { type: 'exponential', maxSize: 1 },
      unitHistogramAggregation: { s: { type: 'exponential', maxScale: 21 } },
      histogramAggregations: { x: { type: 'exponential', size: 10 } as never, y: 'linear' as never },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^histogramAggregation: maxSize 1 is not valid; .*maxSize an integer 2…16384/),
      expect.stringMatching(/^unitHistogramAggregation\["s"\]: maxScale 21 is not valid; .*-10…20/),
      expect.stringMatching(/^histogramAggregations\["x"\]: unknown key "size" is not valid/),
      expect.stringMatching(/^histogramAggregations\["y"\]: "linear" is not valid/),
    ]);
    expect(messageOf(() => resolveConfig({ unitHistogramAggregation: 'exponential' as never }))).toMatch(
      /unitHistogramAggregation: must be an object keyed by unit/,
    );
  });
});

describe('histogramAggregation on the instruments API', () => {
  it('records exponential histograms and timers whose snapshot and quantiles work', async () => {
    const metrics = createTestMeter({ unitHistogramAggregation: { s: 'exponential' } });
    const timer = metrics.instruments.timer('job_seconds');
    const values = Array.from({ length: 1000 }, (_, i) => (i + 1) / 1000); // 1 ms … 1 s, evenly
    for (const v of values) timer.record(v);
    timer.record(0);
    const snap = timer.snapshot();
    expect(snap.count).toBe(1001);
    expect(snap.sum).toBeCloseTo(500.5, 6);
    expect(snap.buckets[0]).toEqual({ le: 0, count: 1 });
    expect(snap.buckets.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 1001 });
    // Relative bucket width at the scale 160 buckets allow for 10 octaves is 2^(2^−4) − 1 ≈ 4.4 %.
    expect(snap.quantile(0.9)).toBeGreaterThan(0.9 * 0.95);
    expect(snap.quantile(0.9)).toBeLessThan(0.9 * 1.05);
    expect(snap.quantile(0.5)).toBeGreaterThan(0.5 * 0.95);
    expect(snap.quantile(0.5)).toBeLessThan(0.5 * 1.05);
    const { resourceMetrics } = await metrics.instruments.producer().collect();
    expect(resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPointType).toBe(EXPONENTIAL);
    await metrics.shutdown();
  });

  it('keeps an instrument with its own buckets explicit', async () => {
    const metrics = createTestMeter({ histogramAggregation: 'exponential' });
    const fixed = metrics.instruments.histogram('fixed_seconds', { unit: 's', buckets: [1, 2] });
    const free = metrics.instruments.histogram('free_bytes', { unit: 'By' });
    fixed.observe(1.5);
    free.observe(100);
    expect(fixed.boundaries()).toEqual([1, 2]);
    expect(free.snapshot().count).toBe(1);
    const { resourceMetrics } = await metrics.instruments.producer().collect();
    const types = Object.fromEntries(
      resourceMetrics.scopeMetrics[0]!.metrics.map((m) => [m.descriptor.name, m.dataPointType]),
    );
    expect(types).toEqual({ fixed_seconds: EXPLICIT, free_bytes: EXPONENTIAL });
    await metrics.shutdown();
  });
});

describe('histogramAggregation on the HTTP metrics', () => {
  it('records the durations exponential per unit and leaves the body sizes explicit', async () => {
    const handle = await startMeter({
      unitHistogramAggregation: { s: { type: 'exponential', maxSize: 20, maxScale: 5 } },
    });
    const server = http.createServer((_req, res) => res.end('hello'));
    const base = await listen(server);
    try {
      for (let i = 0; i < 3; i++) await (await fetch(base)).text();
      await eventually(async () => {
        const metrics = await collect();
        const server = metrics.get('http.server.request.duration')!;
        expect(server.dataPointType).toBe(EXPONENTIAL);
        const value = (server.dataPoints[0] as DataPoint<ExponentialHistogram>).value;
        expect(value.count).toBe(3);
        expect(value.scale).toBeLessThanOrEqual(5);
        expect(value.positive.bucketCounts.reduce((a, b) => a + b, 0)).toBe(3);
        expect(metrics.get('http.client.request.duration')?.dataPointType).toBe(EXPONENTIAL);
        expect(metrics.get('http.server.response.body.size')?.dataPointType).toBe(EXPLICIT);
      });
    } finally {
      await close(server);
      await handle.shutdown();
    }
  });
});
