import { ValueType } from '@opentelemetry/api';
import { AggregationTemporality, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { type HistogramSeries, HistogramStream, SeriesProducer, SumStream } from '../../src/http/series.js';

const descriptor = (limit = 2000, allowedKeys?: string[]) => ({
  name: 'test.duration',
  description: 'd',
  unit: 's',
  valueType: ValueType.DOUBLE,
  cardinalityLimit: limit,
  allowedKeys,
});

async function histogramPoints(producer: SeriesProducer): Promise<DataPoint<Histogram>[]> {
  const { resourceMetrics } = await producer.collect();
  return (resourceMetrics.scopeMetrics[0]?.metrics[0]?.dataPoints ?? []) as DataPoint<Histogram>[];
}

describe('pre-bound series', () => {
  it('puts a value equal to a boundary in that boundary’s bucket, as the SDK does', () => {
    const s = new HistogramStream(descriptor(), [1, 2]).resolve({}) as HistogramSeries;
    for (const v of [0.5, 1, 1.5, 2, 3]) s.record(v);
    expect(Array.from(s.counts)).toEqual([2, 2, 1]);
    expect([s.count, s.sum, s.min, s.max]).toEqual([5, 8, 0.5, 3]);
  });

  it('returns the same series for the same attributes in any key order, after the allow-list', () => {
    const stream = new HistogramStream(descriptor(2000, ['a']), [1]);
    const x = stream.resolve({ a: 1, b: 2 });
    expect(stream.resolve({ b: 3, a: 1 })).toBe(x);
    expect(x.attributes).toEqual({ a: 1 });
  });

  it('keeps limit − 1 series and folds the rest into the overflow series', () => {
    const stream = new SumStream(descriptor(3));
    const series = [1, 2, 3, 4].map((i) => stream.resolve({ i }));
    expect(series[2]).toBe(series[3]);
    expect(series[2]!.attributes).toEqual({ 'otel.metric.overflow': true });
    expect(stream.size).toBe(3);
  });

  it('exports deltas to a delta producer and running totals to a cumulative one', async () => {
    const stream = new HistogramStream(descriptor(), [1]);
    const source = () => ({ histograms: [stream], sums: [] });
    const cumulative = new SeriesProducer(source);
    const delta = new SeriesProducer(source, AggregationTemporality.DELTA);
    const s = stream.resolve({ k: 'v' });
    s.record(0.5);
    s.record(2);
    expect((await histogramPoints(delta))[0]!.value).toMatchObject({ count: 2, sum: 2.5 });
    s.record(0.25);
    const [d] = await histogramPoints(delta);
    expect(d!.value).toMatchObject({ count: 1, sum: 0.25, buckets: { counts: [1, 0] } });
    expect(await histogramPoints(delta)).toEqual([]); // nothing new
    const [c] = await histogramPoints(cumulative);
    expect(c!.value).toMatchObject({ count: 3, sum: 2.75, min: 0.25, max: 2, buckets: { counts: [2, 1] } });
  });
});
