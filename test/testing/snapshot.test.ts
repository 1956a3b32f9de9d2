import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  createTestMeter,
  exactly,
  HistogramSummary,
  matchesAttributes,
  toSnapshot,
} from '../../src/testing/index.js';

describe('a snapshot', () => {
  it('reads an exponential histogram as explicit buckets with exact bounds, so the histogram matchers work on it', async () => {
    const tm = createTestMeter({ histogramAggregations: { 'job.size': 'exponential' } });
    const sizes = tm.meter.createHistogram('job.size', { unit: 'By' });
    const values = [0, 1, 2, 3, 100, 100, 1000];
    for (const v of values) sizes.record(v, { queue: 'mail' });
    const snap = await tm.collect();
    await tm.shutdown();

    expect(snap).toHaveHistogram('job.size', { queue: 'mail' }, { count: 7, sum: 1206, min: 0, max: 1000 });
    const h = snap.histogram('job.size')!;
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    // Bounds increase; the zero bucket (…, 0] holds the 0; every other value lies in its bucket (lower, upper].
    expect(h.boundaries).toEqual([...h.boundaries].sort((a, b) => a - b));
    expect(h.boundaries[0]).toBe(0);
    expect(h.counts[0]).toBe(1);
    for (const v of values.filter((x) => x > 0)) {
      const i = h.boundaries.findIndex((b) => v <= b);
      expect(i).toBeGreaterThan(0);
      expect(h.boundaries[i - 1]!).toBeLessThan(v);
      expect(h.counts[i]!).toBeGreaterThan(0);
    }
    // The 0.5 quantile is 3 within the width of one bucket at the SDK's scale.
    expect(h.quantile(0.5)).toBeGreaterThan(2);
    expect(h.quantile(0.5)).toBeLessThanOrEqual(3.01);
  });

  it('is plain data, ordered by name then scope and attributes, without timestamps', async () => {
    const tm = createTestMeter({ histograms: { 'checkout.duration': [0.1, 1] } });
    tm.getMeter('z-scope').createCounter('orders.placed').add(1, { region: 'us' });
    tm.meter
      .createCounter('orders.placed', { unit: '{order}', description: 'Orders' })
      .add(2, { region: 'eu' });
    tm.meter.createHistogram('checkout.duration', { unit: 's' }).record(0.5, { tags: ['a', 'b'] });
    const snap = await tm.collect();
    await tm.shutdown();

    expect(JSON.parse(JSON.stringify(snap))).toEqual({ metrics: snap.metrics, errors: [] });
    expect(structuredClone(snap.metrics)).toEqual(snap.metrics);
    expect(snap.metrics).toMatchInlineSnapshot(`
      {
        "checkout.duration": {
          "description": "",
          "kind": "histogram",
          "name": "checkout.duration",
          "points": [
            {
              "attributes": {
                "tags": [
                  "a",
                  "b",
                ],
              },
              "boundaries": [
                0.1,
                1,
              ],
              "count": 1,
              "counts": [
                0,
                1,
                0,
              ],
              "max": 0.5,
              "min": 0.5,
              "scope": "otel-metrics-bootstrap",
              "sum": 0.5,
            },
          ],
          "prometheusName": "checkout_duration_seconds",
          "unit": "s",
        },
        "orders.placed": {
          "description": "",
          "kind": "counter",
          "name": "orders.placed",
          "points": [
            {
              "attributes": {
                "region": "eu",
              },
              "scope": "otel-metrics-bootstrap",
              "value": 2,
            },
            {
              "attributes": {
                "region": "us",
              },
              "scope": "z-scope",
              "value": 1,
            },
          ],
          "prometheusName": "orders_placed_total",
          "unit": "",
        },
      }
    `);
  });

  it('finds metrics by OTel name, Prometheus family name, and OpenMetrics counter name', async () => {
    const tm = createTestMeter();
    tm.meter.createCounter('http.client.requests', { unit: '{request}' }).add(1);
    tm.meter.createHistogram('db.wait', { unit: 'ms' }).record(3);
    const snap = await tm.collect();
    await tm.shutdown();
    expect(snap.metric('http.client.requests')?.prometheusName).toBe('http_client_requests_total');
    expect(snap.counter('http_client_requests_total')).toBe(1);
    expect(snap.counter('http_client_requests')).toBe(1);
    expect(snap.histogram('db_wait_milliseconds')?.count).toBe(1);
    expect(snap.counter('db.wait')).toBeUndefined();
    expect(snap.metric('nope')).toBeUndefined();
    expect(snap.metric('constructor')).toBeUndefined();
  });

  it('sums counters and gauges over the matching series and merges histograms', async () => {
    const tm = createTestMeter({ histograms: { 'job.duration': [1, 2, 5] } });
    const jobs = tm.meter.createCounter('jobs.done');
    jobs.add(2, { queue: 'mail', outcome: 'ok' });
    jobs.add(3, { queue: 'mail', outcome: 'error' });
    jobs.add(4, { queue: 'sms', outcome: 'ok' });
    const duration = tm.meter.createHistogram('job.duration', { unit: 's' });
    for (const [v, queue] of [
      [0.5, 'mail'],
      [1.5, 'mail'],
      [1.5, 'sms'],
      [3, 'sms'],
    ] as const) {
      duration.record(v, { queue });
    }
    const snap = await tm.collect();
    await tm.shutdown();

    expect(snap.counter('jobs.done')).toBe(9);
    expect(snap.counter('jobs.done', { queue: 'mail' })).toBe(5);
    expect(snap.counter('jobs.done', { outcome: 'ok', queue: 'sms' })).toBe(4);
    expect(snap.counter('jobs.done', exactly({ queue: 'mail' }))).toBeUndefined();
    expect(snap.counter('jobs.done', { queue: 'push' })).toBeUndefined();

    const all = snap.histogram('job.duration')!;
    expect(all).toMatchObject({ count: 4, sum: 6.5, min: 0.5, max: 3, series: 2, counts: [1, 2, 1, 0] });
    expect(all.quantile(0.5)).toBe(1.5);
    expect(all.bucket(2)).toBe(3);
    expect(all.bucket(Number.POSITIVE_INFINITY)).toBe(4);
    expect(snap.histogram('job.duration', { queue: 'sms' })?.quantile(1)).toBe(5);
  });

  it('refuses to merge histogram series whose buckets differ', () => {
    const base = { scope: 's', attributes: {}, count: 1, sum: 1 };
    expect(
      () =>
        new HistogramSummary([
          { ...base, boundaries: [1], counts: [1, 0] },
          { ...base, boundaries: [2], counts: [1, 0] },
        ]),
    ).toThrow('cannot merge histogram series with different buckets ([1] and [2])');
  });

  it('matches attributes as a subset, or exactly, comparing arrays element by element', () => {
    const attrs = { a: 'x', n: 1, tags: ['p', 'q'] };
    expect(matchesAttributes(attrs)).toBe(true);
    expect(matchesAttributes(attrs, {})).toBe(true);
    expect(matchesAttributes(attrs, { n: 1, tags: ['p', 'q'] })).toBe(true);
    expect(matchesAttributes(attrs, { n: '1' })).toBe(false);
    expect(matchesAttributes(attrs, { tags: ['p'] })).toBe(false);
    expect(matchesAttributes(attrs, exactly({ a: 'x', n: 1 }))).toBe(false);
    expect(matchesAttributes(attrs, exactly(attrs))).toBe(true);
    expect(matchesAttributes({}, exactly())).toBe(true);
  });

  it('can be built from any SDK collection, such as an InMemoryMetricExporter’s', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    provider.getMeter('lib').createCounter('cache.hits').add(7, { cache: 'users' });
    await reader.forceFlush();
    const exported = exporter.getMetrics().at(-1)!;
    await provider.shutdown();
    expect(toSnapshot(exported)).toHaveCounter('cache.hits', { cache: 'users' }, 7);
  });

  it('keeps the first kind when two scopes use one name for different kinds, as the endpoint does', async () => {
    const tm = createTestMeter();
    tm.getMeter('a').createCounter('things').add(1);
    tm.getMeter('b').createGauge('things').record(5);
    const snap = await tm.collect();
    await tm.shutdown();
    expect(snap.metric('things')?.kind).toBe('counter');
    expect(snap.points('things')).toHaveLength(1);
  });
});
