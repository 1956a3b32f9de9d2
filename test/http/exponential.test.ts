import { ValueType } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type ExponentialHistogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { bucketIndex, ExponentialHistogramSeries, lowerBound } from '../../src/http/exponential.js';
import { HistogramStream, SeriesProducer } from '../../src/http/series.js';

const descriptor = {
  name: 'test.duration',
  description: 'd',
  unit: 's',
  valueType: ValueType.DOUBLE,
  cardinalityLimit: 2000,
  allowedKeys: undefined,
};

const series = (maxSize = 160, maxScale = 20) =>
  new ExponentialHistogramSeries({ maxSize, maxScale }, {}, [0, 0]);

/** The data model's definition, evaluated slowly but exactly enough for the values used here. */
function referenceIndex(v: number, scale: number): number {
  return Math.ceil(Math.log2(v) * 2 ** scale) - 1;
}

async function collectOne(producer: SeriesProducer): Promise<MetricData | undefined> {
  const { resourceMetrics } = await producer.collect();
  return resourceMetrics.scopeMetrics[0]?.metrics[0];
}

describe('exponential bucket index', () => {
  it('puts a power of two in the bucket it closes, at every scale', () => {
    for (const scale of [-10, -3, -1, 0, 1, 3, 8, 20]) {
      for (const k of [-1074, -1022, -20, -1, 0, 1, 2, 10, 1023]) {
        const v = 2 ** k;
        // (base^i, base^(i+1)] with base = 2^(2^−scale): 2^k is the upper bound of bucket k·2^scale − 1.
        const expected = scale >= 0 ? k * 2 ** scale - 1 : Math.ceil(k / 2 ** -scale) - 1;
        expect(bucketIndex(v, scale), `2^${k} at scale ${scale}`).toBe(expected);
      }
    }
  });

  it('puts the neighbours of a power of two on either side of it', () => {
    for (const scale of [0, 4, 20]) {
      for (const k of [-30, 0, 1, 7, 40]) {
        const v = 2 ** k;
        const up = v * (1 + Number.EPSILON);
        const down = v * (1 - Number.EPSILON / 2);
        expect(bucketIndex(up, scale), `just above 2^${k}`).toBe(bucketIndex(v, scale) + 1);
        expect(bucketIndex(down, scale), `just below 2^${k}`).toBe(bucketIndex(v, scale));
      }
    }
  });

  it('matches ceil(log2(v)·2^scale) − 1 away from bucket bounds, subnormals included', () => {
    for (const scale of [-2, 0, 2, 5, 10]) {
      for (const v of [3, 5, 0.3, 1.5, 123.456, 1e-3, 7e200, 5e-320]) {
        expect(bucketIndex(v, scale), `${v} at scale ${scale}`).toBe(referenceIndex(v, scale));
      }
    }
  });

  it('gives bucket bounds that hold the values placed in the bucket', () => {
    for (const scale of [-1, 0, 3, 20]) {
      for (const v of [0.001, 0.25, 1, 3, 1000]) {
        const i = bucketIndex(v, scale);
        expect(v).toBeGreaterThan(lowerBound(i, scale) * (1 - 1e-12));
        expect(v).toBeLessThanOrEqual(lowerBound(i + 1, scale) * (1 + 1e-12));
      }
    }
  });
});

describe('exponential histogram series', () => {
  it('counts zeros apart and negative values in their own buckets, with count, sum, min and max', () => {
    const s = series();
    for (const v of [0, 0, 1, -1, -4, 2]) s.record(v);
    const p = s.snapshot();
    // The negative side spans two octaves (1 … 4): 2^(scale+1) + 1 buckets must fit in 160, so scale 6.
    expect(p).toMatchObject({ count: 6, sum: -2, min: -4, max: 2, zeroCount: 2, scale: 6 });
    const positive = p.positive.bucketCounts.reduce((a, b) => a + b, 0);
    const negative = p.negative.bucketCounts.reduce((a, b) => a + b, 0);
    expect([positive, negative]).toEqual([2, 2]);
    expect(p.negative.offset).toBe(bucketIndex(1, 6));
  });

  it('leaves NaN and infinities out', () => {
    const s = series();
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1]) s.record(v);
    expect(s.snapshot()).toMatchObject({ count: 1, sum: 1 });
  });

  it('downscales until the values fit in maxSize buckets, merging counts', () => {
    const s = series(4, 20);
    s.record(1); // index −1 at every scale ≥ 0
    expect(s.scale).toBe(20);
    s.record(1.5); // index ⌊log2(1.5)·2^scale⌋: scale 2 gives −1 … 2, four buckets; scale 3 would need six
    expect(s.scale).toBe(2);
    s.record(16); // four octaves: scale 0 gives −1 … 3, five buckets; scale −1 gives −1 … 1
    const p = s.snapshot();
    expect(p.scale).toBe(-1);
    expect(p.positive).toEqual({ offset: -1, bucketCounts: [1, 1, 1] });
    // Every value is still inside the bucket it is counted in.
    for (const v of [1, 1.5, 16]) {
      const i = bucketIndex(v, p.scale) - p.positive.offset;
      expect(p.positive.bucketCounts[i]).toBeGreaterThan(0);
    }
  });

  it('starts at maxScale and never exceeds maxSize buckets per sign', () => {
    const s = series(10, 3);
    expect(s.scale).toBe(3);
    for (let v = 0.001; v < 1e6; v *= 1.07) s.record(v);
    const p = s.snapshot();
    expect(p.positive.bucketCounts.length).toBeLessThanOrEqual(10);
    expect(p.positive.bucketCounts.reduce((a, b) => a + b, 0)).toBe(p.count);
  });

  it('exports EXPONENTIAL_HISTOGRAM points, cumulative and delta, delta rescaling the earlier counts', async () => {
    const stream = new HistogramStream(descriptor, [], { maxSize: 4, maxScale: 2 });
    const source = () => ({ histograms: [stream], sums: [] });
    const cumulative = new SeriesProducer(source);
    const delta = new SeriesProducer(source, AggregationTemporality.DELTA);
    const s = stream.resolve({ k: 'v' });
    s.record(3); // scale 2: indexes 6 and 7
    s.record(3.5);
    const first = await collectOne(delta);
    expect(first?.dataPointType).toBe(DataPointType.EXPONENTIAL_HISTOGRAM);
    expect(first?.dataPoints[0]?.value).toMatchObject({ count: 2, min: 3, max: 3.5, scale: 2 });
    s.record(100); // index 26 at scale 2: down to scale −1, where the earlier buckets merge into index 0
    const d = (await collectOne(delta))?.dataPoints[0] as DataPoint<ExponentialHistogram>;
    expect(d.value.count).toBe(1);
    expect(d.value.min).toBeUndefined();
    expect(d.value.positive.bucketCounts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(d.value.positive.bucketCounts.every((c) => c >= 0)).toBe(true);
    expect(await collectOne(delta)).toBeUndefined(); // nothing new
    const c = (await collectOne(cumulative))?.dataPoints[0] as DataPoint<ExponentialHistogram>;
    expect(c.value).toMatchObject({ count: 3, sum: 106.5, min: 3, max: 100, scale: -1 });
    expect(d.value.scale).toBe(-1);
    expect(c.value.positive.bucketCounts.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('hands out copies: later records do not change an exported point', async () => {
    const stream = new HistogramStream(descriptor, [], { maxSize: 160, maxScale: 20 });
    const producer = new SeriesProducer(() => ({ histograms: [stream], sums: [] }));
    const s = stream.resolve({});
    s.record(1);
    const p = (await collectOne(producer))?.dataPoints[0] as DataPoint<ExponentialHistogram>;
    s.record(1);
    expect(p.value.count).toBe(1);
    expect(p.value.positive.bucketCounts).toEqual([1]);
  });
});
