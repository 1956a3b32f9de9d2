import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import type { ExpositionStats } from '../../src/prometheus/exposition-stats.js';
import { PrometheusSerializer } from '../../src/prometheus/serializer.js';
import { expectExposition } from '../../src/testing/index.js';
import { promtoolCheck, referenceParse } from '../helpers.js';
import { TestReader } from './support.js';

const AWKWARD_VALUES = [
  'say "hi"',
  'C:\\path\\to',
  'line one\nline two',
  'emoji 😀🚀 and ünïcödé',
  '',
  'all of it: \\"\n😀',
  'literal backslash-n: \\n',
];

async function collect(setup: (provider: MeterProvider) => void, cardinalityLimit?: number) {
  const reader = new TestReader(cardinalityLimit ? { cardinalitySelector: () => cardinalityLimit } : {});
  const provider = new MeterProvider({ readers: [reader] });
  setup(provider);
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics;
}

describe('PrometheusSerializer', () => {
  it('keeps quotes, backslashes, newlines, emoji and empty strings intact through promtool and both reference parsers', async () => {
    const rm = await collect((p) => {
      const counter = p
        .getMeter('escapes')
        .createCounter('escaped', { description: 'Help with \\ and\nnewline' });
      AWKWARD_VALUES.forEach((value, i) => {
        counter.add(i + 1, { value, index: String(i) });
      });
    });
    const serializer = new PrometheusSerializer({ targetInfo: false });
    const text = serializer.serialize(rm, 'text');
    await promtoolCheck(text);
    const om = serializer.serialize(rm, 'openmetrics');
    for (const [body, format] of [
      [text, 'text'],
      [om, 'openmetrics'],
    ] as const) {
      const families = await referenceParse(body, format);
      // Both parsers name a counter family without `_total`.
      const family = families.find((f) => f.name === 'escaped');
      expect(family?.type).toBe('counter');
      // OpenMetrics adds a `_created` sample per series; the values are on `_total`.
      const totals = family?.samples.filter((s) => s.name === 'escaped_total');
      const byIndex = new Map(totals?.map((s) => [s.labels['index'], s]));
      AWKWARD_VALUES.forEach((value, i) => {
        const sample = byIndex.get(String(i));
        expect(sample?.labels['value'], `${format} value ${JSON.stringify(value)}`).toBe(value);
        expect(sample?.value).toBe(i + 1);
      });
    }
  });

  it('writes the same bytes however small the chunks, never splitting a series', async () => {
    const rm = await collect((p) => {
      const m = p.getMeter('chunks');
      const h = m.createHistogram('latency', {
        description: 'Latency',
        unit: 's',
        advice: { explicitBucketBoundaries: [0.1, 1, 10] },
      });
      const c = m.createCounter('hits', { description: 'Hits' });
      for (let i = 0; i < 300; i++) {
        h.record(i / 100, { route: `/r/${i}`, emoji: '😀'.repeat(i % 5) });
        c.add(i, { route: `/r/${i}` });
      }
    });
    const whole = new PrometheusSerializer({ chunkSize: 1 << 20 }).serialize(rm);
    const small = [...new PrometheusSerializer({ chunkSize: 1024 }).chunks(rm)];
    expect(small.length).toBeGreaterThan(10);
    expect(Buffer.concat(small).toString()).toBe(whole);
    for (const chunk of small) expect(chunk.toString().endsWith('\n')).toBe(true);
    await promtoolCheck(whole);
  });

  it('serializes histograms without labels or boundaries, negative sums and special floats validly', async () => {
    const rm = await collect((p) => {
      const m = p.getMeter('edge');
      const description = 'Edge case';
      m.createHistogram('only.inf', { description, advice: { explicitBucketBoundaries: [] } }).record(3);
      m.createHistogram('signed', { description }).record(-2, { k: 'v' });
      m.createGauge('special', { description }).record(Number.NaN, { kind: 'nan' });
      m.createGauge('special', { description }).record(Number.POSITIVE_INFINITY, { kind: 'inf' });
      m.createUpDownCounter('tiny', { description, unit: 'By' }).add(-2.5e-9);
    });
    const serializer = new PrometheusSerializer({ scopeInfo: false, targetInfo: false });
    const text = serializer.serialize(rm);
    expect(text).toContain('only_inf_bucket{le="+Inf"} 1\nonly_inf_sum 3\nonly_inf_count 1\n');
    expect(text).toContain('special{kind="nan"} NaN');
    expect(text).toContain('special{kind="inf"} +Inf');
    expect(text).toContain('tiny_bytes -2.5e-9');
    await promtoolCheck(text);
    await referenceParse(serializer.serialize(rm, 'openmetrics'), 'openmetrics');
  });

  it('reports samples and overflow series, with exact overflowed measurements for histograms', async () => {
    const rm = await collect((p) => {
      const m = p.getMeter('overflow');
      const h = m.createHistogram('capped.latency');
      const c = m.createCounter('capped.count');
      for (let i = 0; i < 10; i++) {
        h.record(1, { id: String(i) });
        c.add(1, { id: String(i) });
      }
    }, 4);
    const stats: ExpositionStats = { series: 0, overflow: new Map() };
    const text = Buffer.concat([
      ...new PrometheusSerializer({ targetInfo: false }).chunks(rm, 'text', stats),
    ]).toString();
    expect(text).toContain('otel_metric_overflow="true"');
    // A limit of 4 keeps 3 series and folds the other 7 measurements into the overflow series.
    expect(stats.overflow.get('capped.latency')).toEqual({ series: 1, measurements: 7 });
    expect(stats.overflow.get('capped.count')).toEqual({ series: 1, measurements: 0 });
    const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(stats.series).toBe(lines.length);
  });

  it('gives one HELP/TYPE per family across scopes and drops a type conflict', async () => {
    const rm = await collect((p) => {
      p.getMeter('a').createCounter('jobs', { description: 'Jobs' }).add(1);
      p.getMeter('b').createCounter('jobs', { description: 'Jobs' }).add(2);
      p.getMeter('c').createGauge('jobs_total', { description: 'Jobs' }).record(5);
    });
    const text = new PrometheusSerializer({ targetInfo: false }).serialize(rm);
    expect(text.match(/# TYPE jobs_total/g)).toHaveLength(1);
    expectExposition(text)
      .toHaveSample('jobs_total', { otel_scope_name: 'a' }, 1)
      .toHaveSample('jobs_total', { otel_scope_name: 'b' }, 2)
      .not.toHaveSample('jobs_total', { otel_scope_name: 'c' });
    expect(text).not.toContain(' 5\n');
    await promtoolCheck(text);
  });
});

describe('PrometheusSerializer with data that bypassed the record-time checks', () => {
  it('never serves a NaN or negative counter, nor a histogram with a NaN sum, and counts what it left out', async () => {
    // A plain SDK provider: no MeasurementGuard in front of it, as for data from other sources.
    const rm = await collect((p) => {
      const m = p.getMeter('raw');
      const counter = m.createCounter('raw.count');
      counter.add(Number.NaN, { series: 'nan' });
      counter.add(1, { series: 'ok' });
      m.createCounter('raw.negative').add(1);
      m.createHistogram('raw.latency').record(1);
    });
    // The SDK itself refuses negative counts and NaN in histograms; a metric producer can still hand them over.
    for (const metric of rm.scopeMetrics[0]!.metrics) {
      const point = metric.dataPoints[0] as { value: unknown };
      if (metric.descriptor.name === 'raw.negative') point.value = -3;
      if (metric.descriptor.name === 'raw.latency') (point.value as { sum: number }).sum = Number.NaN;
    }
    const serializer = new PrometheusSerializer({ targetInfo: false });
    const stats: ExpositionStats = { series: 0, overflow: new Map() };
    const text = Buffer.concat([...serializer.chunks(rm, 'text', stats)]).toString();
    expectExposition(text).toHaveSample('raw_count_total', { series: 'ok' }, 1);
    expect(text).not.toMatch(/NaN|-3/);
    expect([...(stats.dropped?.values() ?? [])]).toEqual([
      { instrument: 'raw.count', reason: 'invalid_value', series: 1 },
      { instrument: 'raw.negative', reason: 'invalid_value', series: 1 },
      { instrument: 'raw.latency', reason: 'invalid_value', series: 1 },
    ]);
    await referenceParse(serializer.serialize(rm, 'openmetrics'), 'openmetrics');
  });
});
