import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { MetricsError } from '../../src/errors.js';
import { createTestMeter, exactly, type TestMeter } from '../../src/testing/index.js';
import { InMemoryMetricReader } from '../../src/testing/reader.js';
import { BYTES_BUCKETS, SECONDS_BUCKETS } from '../../src/views.js';
import { promtoolCheck, referenceParse } from '../helpers.js';

const open: TestMeter[] = [];
function testMeter(...args: Parameters<typeof createTestMeter>): TestMeter {
  const tm = createTestMeter(...args);
  open.push(tm);
  return tm;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((tm) => tm.shutdown()));
});

describe('createTestMeter', () => {
  it('gives seconds and bytes histograms the bucket defaults initMeter gives them', async () => {
    const tm = testMeter();
    tm.meter.createHistogram('job.duration', { unit: 's' }).record(0.2);
    tm.meter.createHistogram('upload.size', { unit: 'By' }).record(2000);
    tm.meter
      .createHistogram('own.advice', { unit: 's', advice: { explicitBucketBoundaries: [1, 2] } })
      .record(1);
    const snap = await tm.collect();
    expect(snap.histogram('job.duration')?.boundaries).toEqual(SECONDS_BUCKETS);
    expect(snap.histogram('upload.size')?.boundaries).toEqual(BYTES_BUCKETS);
    expect(snap.histogram('own.advice')?.boundaries).toEqual([1, 2]);
  });

  it('applies per-instrument buckets, attribute allow-lists and cardinality limits from the config', async () => {
    const tm = testMeter({
      histograms: { 'checkout.duration': [0.1, 0.5, 1] },
      attributes: { 'orders.placed': ['payment.method'] },
      cardinalityLimits: { 'cart.items': 2 },
    });
    tm.meter.createHistogram('checkout.duration', { unit: 's' }).record(0.3);
    tm.meter.createCounter('orders.placed').add(1, { 'payment.method': 'card', 'user.id': 'u1' });
    const items = tm.meter.createCounter('cart.items');
    for (const sku of ['a', 'b', 'c', 'd']) items.add(1, { sku });
    const snap = await tm.collect();
    expect(snap.histogram('checkout.duration')?.boundaries).toEqual([0.1, 0.5, 1]);
    expect(snap).toHaveCounter('orders.placed', exactly({ 'payment.method': 'card' }), 1);
    // Limit 2 = one ordinary series plus the spec's overflow series, which takes the other three.
    expect(snap.points('cart.items')).toHaveLength(2);
    expect(snap).toHaveCounter('cart.items', { 'otel.metric.overflow': true }, 3);
  });

  it('names each metric with the Prometheus family name the endpoint serves', async () => {
    const tm = testMeter();
    tm.meter.createCounter('orders.placed', { unit: '{order}' }).add(1);
    tm.meter.createUpDownCounter('queue.depth', { unit: '{job}' }).add(3);
    tm.meter.createHistogram('checkout.duration', { unit: 's' }).record(0.2);
    tm.meter.createGauge('pool.usage', { unit: '1' }).record(0.5);
    const snap = await tm.collect();
    expect(Object.values(snap.metrics).map((m) => [m.name, m.kind, m.prometheusName])).toEqual([
      ['checkout.duration', 'histogram', 'checkout_duration_seconds'],
      ['orders.placed', 'counter', 'orders_placed_total'],
      ['pool.usage', 'gauge', 'pool_usage_ratio'],
      ['queue.depth', 'updowncounter', 'queue_depth'],
    ]);
    const text = await tm.exposition();
    for (const m of Object.values(snap.metrics)) expect(text).toContain(`# TYPE ${m.prometheusName} `);
  });

  it('serializes exactly as the endpoint does, with a target_info made only of the configured resource', async () => {
    const tm = testMeter({
      serviceName: 'checkout',
      serviceVersion: '1.2.3',
      resourceAttributes: { team: 'pay' },
    });
    tm.meter
      .createCounter('orders.placed', { description: 'Orders placed' })
      .add(2, { 'payment.method': 'card' });
    const text = await tm.exposition();
    expect(text).toMatchInlineSnapshot(`
      "# HELP target_info Target metadata
      # TYPE target_info gauge
      target_info{service_name="checkout",service_version="1.2.3",team="pay"} 1
      # HELP orders_placed_total Orders placed
      # TYPE orders_placed_total counter
      orders_placed_total{otel_scope_name="checkout",otel_scope_version="1.2.3",payment_method="card"} 2
      "
    `);
    await promtoolCheck(text);
    const om = await referenceParse(await tm.exposition('openmetrics'), 'openmetrics');
    expect(om.map((f) => f.name)).toEqual(['target', 'orders_placed']);
  });

  it('never touches the global MeterProvider', async () => {
    const before = metrics.getMeterProvider();
    const tm = testMeter();
    expect(metrics.getMeterProvider()).toBe(before);
    metrics.getMeter('app').createCounter('global.only').add(1);
    tm.meter.createCounter('test.only').add(1);
    const snap = await tm.collect();
    expect(snap.names()).toEqual(['test.only']);
  });

  it('resolves the configuration without the environment unless given one', async () => {
    const saved = process.env['OMB_SECONDS_BUCKETS'];
    process.env['OMB_SECONDS_BUCKETS'] = '1,2,3';
    try {
      const hermetic = testMeter();
      const likeProduction = testMeter({ env: process.env });
      for (const tm of [hermetic, likeProduction]) tm.meter.createHistogram('d', { unit: 's' }).record(1);
      expect((await hermetic.collect()).histogram('d')?.boundaries).toEqual(SECONDS_BUCKETS);
      expect((await likeProduction.collect()).histogram('d')?.boundaries).toEqual([1, 2, 3]);
    } finally {
      if (saved === undefined) delete process.env['OMB_SECONDS_BUCKETS'];
      else process.env['OMB_SECONDS_BUCKETS'] = saved;
    }
  });

  it.each([
    [{ histograms: { 'a.b': [2, 1] } }, 'ERR_INVALID_BUCKETS', 'histograms["a.b"]'],
    [{ cardinalityLimit: 0 }, 'ERR_INVALID_CARDINALITY_LIMIT', 'cardinalityLimit'],
  ])(
    'rejects a configuration that initMeter would reject, with the same error (%j)',
    (config, code, source) => {
      let thrown: unknown;
      try {
        createTestMeter(config);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(MetricsError);
      expect((thrown as MetricsError).code).toBe(code);
      expect((thrown as MetricsError).problems).toEqual([expect.objectContaining({ code, source })]);
      expect(() => resolveConfig(config, {})).toThrow((thrown as MetricsError).message);
    },
  );

  it('puts errors the collection reported into the snapshot', async () => {
    const tm = testMeter();
    tm.meter.createObservableGauge('broken').addCallback(() => {
      throw new Error('sensor unplugged');
    });
    const snap = await tm.collect();
    expect(snap.errors).toEqual(['sensor unplugged']);
  });

  it('shuts down once, harmlessly twice, and then refuses to collect', async () => {
    const tm = createTestMeter();
    await tm.shutdown();
    await tm.shutdown();
    await expect(tm.collect()).rejects.toThrow('TestMeter.collect(): the test meter is shut down');
    await expect(tm.reset()).rejects.toThrow('shut down');
  });
});

describe('TestMeter.reset', () => {
  it('forgets everything recorded before it, even on instruments created before it', async () => {
    const tm = testMeter();
    const counter = tm.meter.createCounter('orders.placed');
    const histogram = tm.meter.createHistogram('checkout.duration', { unit: 's' });
    const gauge = tm.meter.createGauge('pool.usage');
    const upDown = tm.meter.createUpDownCounter('queue.depth');
    counter.add(5, { m: 'card' });
    histogram.record(2);
    gauge.record(0.9);
    upDown.add(4);
    await tm.reset();
    expect((await tm.collect()).names()).toEqual([]);

    counter.add(1, { m: 'cash' });
    histogram.record(0.1);
    upDown.add(-1);
    const snap = await tm.collect();
    expect(snap.counter('orders.placed')).toBe(1);
    expect(snap.counter('orders.placed', { m: 'card' })).toBeUndefined();
    expect(snap).toHaveHistogram('checkout.duration', {}, { count: 1, sum: 0.1, max: 0.1 });
    expect(snap.gauge('queue.depth')).toBe(-1);
    expect(snap.metric('pool.usage')).toBeUndefined();
  });

  it('keeps meters from meterProvider and getMeter working across resets', async () => {
    const tm = testMeter();
    const meter = tm.meterProvider.getMeter('payments', '2.0.0');
    expect(tm.getMeter('payments', '2.0.0')).toBe(meter);
    await tm.reset();
    meter.createCounter('payments.refunds').add(2);
    await tm.reset();
    const counter = meter.createCounter('payments.captures');
    await tm.reset();
    counter.add(3);
    const snap = await tm.collect();
    expect(snap.names()).toEqual(['payments.captures']);
    expect(snap.points('payments.captures')).toEqual([{ scope: 'payments', attributes: {}, value: 3 }]);
  });

  it('keeps observable callbacks registered and reports them after each reset', async () => {
    const tm = testMeter();
    const queue = ['a', 'b'];
    tm.meter.createObservableGauge('queue.length').addCallback((r) => r.observe(queue.length));
    const jobs = tm.meter.createObservableCounter('jobs.done');
    const workers = tm.meter.createObservableUpDownCounter('workers.busy');
    tm.meter.addBatchObservableCallback(
      (r) => {
        r.observe(jobs, 10);
        r.observe(workers, 2, { pool: 'io' });
      },
      [jobs, workers],
    );
    await tm.reset();
    await tm.reset();
    queue.push('c');
    const snap = await tm.collect();
    expect(snap.gauge('queue.length')).toBe(3);
    expect(snap.counter('jobs.done')).toBe(10);
    expect(snap.gauge('workers.busy', { pool: 'io' })).toBe(2);
  });

  it('stops reporting callbacks removed after a reset', async () => {
    const tm = testMeter();
    const gauge = tm.meter.createObservableGauge('temperature');
    const read = (r: { observe(v: number): void }) => r.observe(21);
    gauge.addCallback(read);
    const batch = () => {};
    tm.meter.addBatchObservableCallback(batch, [gauge]);
    await tm.reset();
    gauge.removeCallback(read);
    tm.meter.removeBatchObservableCallback(batch, [gauge]);
    expect((await tm.collect()).metric('temperature')).toBeUndefined();
  });

  it('rebases metric producers: sums and histograms count from the reset, gauges stay', async () => {
    // A real SDK provider behind a reader acts as an external producer with cumulative data.
    const reader = new InMemoryMetricReader({ cardinalityLimit: 2000 });
    const source = new MeterProvider({ readers: [reader] });
    const external = source.getMeter('http');
    const requests = external.createCounter('http.requests');
    const duration = external.createHistogram('http.duration', {
      advice: { explicitBucketBoundaries: [1, 2] },
    });
    const active = external.createGauge('http.active');
    requests.add(5, { route: '/a' });
    requests.add(2, { route: '/b' });
    duration.record(1.5);
    active.record(4);

    const tm = testMeter({ metricProducers: [{ collect: () => reader.collect() }] });
    const before = await tm.collect();
    expect(before.counter('http.requests')).toBe(7);
    expect(before.points('http.requests', { route: '/a' })[0]).toMatchObject({ scope: 'http', value: 5 });

    await tm.reset();
    const empty = await tm.collect();
    expect(empty.names()).toEqual(['http.active']);

    requests.add(1, { route: '/a' });
    duration.record(0.5);
    const after = await tm.collect();
    expect(after.points('http.requests')).toEqual([{ scope: 'http', attributes: { route: '/a' }, value: 1 }]);
    expect(after.histogram('http.duration')).toMatchObject({ count: 1, sum: 0.5, counts: [1, 0, 0] });
    // The series had data before the reset, so its extremes since the reset are unknown.
    expect(after.histogram('http.duration')?.min).toBeUndefined();
    expect(after.gauge('http.active')).toBe(4);
    await source.shutdown();
  });
});
