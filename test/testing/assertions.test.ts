import { AssertionError } from 'node:assert';
import { expect as jestExpect } from 'expect';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  assertCounter,
  assertGauge,
  assertHistogram,
  assertMetric,
  assertNoMetric,
  createTestMeter,
  exactly,
  type MetricsMatchers,
  type MetricsSnapshot,
  metricsMatchers,
} from '../../src/testing/index.js';

// The augmentation the README tells jest users to add, checked here by the type checker.
declare module 'expect' {
  interface Matchers<R extends void | Promise<void>, T = unknown> extends MetricsMatchers<R> {}
}

let snap: MetricsSnapshot;
let empty: MetricsSnapshot;

beforeAll(async () => {
  const tm = createTestMeter({ histograms: { 'checkout.duration': [0.1, 0.5, 1] } });
  const orders = tm.meter.createCounter('orders.placed', { unit: '{order}' });
  orders.add(2, { 'payment.method': 'card', region: 'eu' });
  orders.add(1, { 'payment.method': 'card', region: 'us' });
  orders.add(1, { 'payment.method': 'paypal', region: 'eu' });
  tm.meter.createCounter('orders.failed').add(1);
  tm.meter.createUpDownCounter('queue.depth').add(3, { queue: 'emails' });
  tm.meter.createGauge('pool.usage', { unit: '1' }).record(0.25);
  const duration = tm.meter.createHistogram('checkout.duration', { unit: 's' });
  duration.record(0.05, { outcome: 'ok' });
  duration.record(0.3, { outcome: 'ok' });
  duration.record(2, { outcome: 'error' });
  snap = await tm.collect();
  await tm.reset();
  empty = await tm.collect();
  await tm.shutdown();
});

/** The message an assertion fails with. */
function failure(assertion: () => void): string {
  try {
    assertion();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the assertion passed');
}

describe('toHaveCounter', () => {
  it('passes on the total, on a subset of attributes, on exact attributes and on Prometheus names', () => {
    expect(snap).toHaveCounter('orders.placed');
    expect(snap).toHaveCounter('orders.placed', {}, 4);
    expect(snap).toHaveCounter('orders.placed', { 'payment.method': 'card' }, 3);
    expect(snap).toHaveCounter('orders.placed', exactly({ 'payment.method': 'paypal', region: 'eu' }), 1);
    expect(snap).toHaveCounter('orders_placed_total', { region: 'eu' }, 3);
    expect(snap).toHaveCounter('orders_placed', { region: 'us' }, 1);
    expect(snap).not.toHaveCounter('orders.placed', { 'payment.method': 'cash' });
    expect(snap).not.toHaveCounter('orders.placed', {}, 5);
  });

  it('names the nearest metrics when the name is wrong', () => {
    expect(failure(() => expect(snap).toHaveCounter('orders.placd', {}, 1))).toMatchInlineSnapshot(`
      "expected a counter named "orders.placd", but there is none.
      Nearest metrics:
        orders.placed (counter, orders_placed_total)
        orders.failed (counter, orders_failed_total)
        pool.usage (gauge, pool_usage_ratio)
        queue.depth (updowncounter, queue_depth)
        checkout.duration (histogram, checkout_duration_seconds)"
    `);
  });

  it('says so when nothing was recorded at all', () => {
    expect(failure(() => expect(empty).toHaveCounter('orders.placed'))).toMatchInlineSnapshot(
      `"expected a counter named "orders.placed", but the snapshot holds no metrics at all (was it recorded through this test meter's meter or meterProvider, before collect()?)."`,
    );
  });

  it('says which matcher fits when the metric is of another kind', () => {
    expect(failure(() => expect(snap).toHaveCounter('queue.depth'))).toMatchInlineSnapshot(
      `"expected "queue.depth" to be a counter, but it is an updowncounter (use toHaveGauge)."`,
    );
    expect(failure(() => expect(snap).toHaveGauge('checkout.duration'))).toMatchInlineSnapshot(
      `"expected "checkout.duration" to be a gauge, but it is a histogram (use toHaveHistogram)."`,
    );
  });

  it('lists the series present when no series matches the attributes', () => {
    expect(
      failure(() => expect(snap).toHaveCounter('orders.placed', { 'payment.method': 'cash' }, 1)),
    ).toMatchInlineSnapshot(`
      "expected counter "orders.placed" to have a series matching {payment.method="cash"}, but none of its 3 series does.
      Series present:
        {payment.method="card", region="eu"} 2
        {payment.method="card", region="us"} 1
        {payment.method="paypal", region="eu"} 1"
    `);
    expect(
      failure(() => expect(snap).toHaveCounter('orders.placed', exactly({ 'payment.method': 'paypal' }))),
    ).toMatchInlineSnapshot(`
      "expected counter "orders.placed" to have a series matching exactly {payment.method="paypal"}, but none of its 3 series does.
      Series present:
        {payment.method="card", region="eu"} 2
        {payment.method="card", region="us"} 1
        {payment.method="paypal", region="eu"} 1"
    `);
  });

  it('shows the actual value and how many series it sums when the value differs', () => {
    expect(
      failure(() => expect(snap).toHaveCounter('orders.placed', { 'payment.method': 'card' }, 2)),
    ).toMatchInlineSnapshot(`
      "expected counter "orders.placed" matching {payment.method="card"} to be 2, but it is 3 (the sum of 2 matching series).
      Series present:
        {payment.method="card", region="eu"} 2
        {payment.method="card", region="us"} 1
        {payment.method="paypal", region="eu"} 1"
    `);
    expect(failure(() => expect(snap).toHaveCounter('orders.failed', {}, 2))).toMatchInlineSnapshot(`
      "expected counter "orders.failed" to be 2, but it is 1.
      Series present:
        {} 1"
    `);
  });

  it('explains a failed negation', () => {
    expect(
      failure(() => expect(snap).not.toHaveCounter('orders.placed', { region: 'us' })),
    ).toMatchInlineSnapshot(`
      "expected no counter "orders.placed" matching {region="us"}, but found 1 series:
        {payment.method="card", region="us"} 1"
    `);
    expect(failure(() => expect(snap).not.toHaveCounter('orders.placed', {}, 4))).toMatchInlineSnapshot(
      `"expected counter "orders.placed" not to be 4, but it is (the sum of 3 matching series)."`,
    );
  });
});

describe('toHaveGauge', () => {
  it('reads gauges and up-down counters', () => {
    expect(snap).toHaveGauge('pool.usage', {}, 0.25);
    expect(snap).toHaveGauge('pool_usage_ratio', {}, 0.25);
    expect(snap).toHaveGauge('queue.depth', { queue: 'emails' }, 3);
    expect(
      failure(() => expect(snap).toHaveGauge('queue.depth', { queue: 'emails' }, 4)),
    ).toMatchInlineSnapshot(`
      "expected gauge "queue.depth" matching {queue="emails"} to be 4, but it is 3.
      Series present:
        {queue="emails"} 3"
    `);
  });
});

describe('toHaveHistogram', () => {
  it('compares count, sum, min and max of the matching series merged', () => {
    expect(snap).toHaveHistogram('checkout.duration');
    expect(snap).toHaveHistogram('checkout.duration', {}, { count: 3, sum: 2.35, min: 0.05, max: 2 });
    expect(snap).toHaveHistogram('checkout_duration_seconds', { outcome: 'ok' }, { count: 2, sum: 0.35 });
    expect(snap).not.toHaveHistogram('checkout.duration', { outcome: 'ok' }, { count: 3 });
  });

  it('shows both sides and every series when they differ', () => {
    expect(
      failure(() =>
        expect(snap).toHaveHistogram('checkout.duration', { outcome: 'ok' }, { count: 3, sum: 1 }),
      ),
    ).toMatchInlineSnapshot(`
      "expected histogram "checkout.duration" matching {outcome="ok"} to have count=3 sum=1, but it has count=2 sum=0.35.
      Series present:
        {outcome="error"} count=1 sum=2
        {outcome="ok"} count=2 sum=0.35"
    `);
    expect(
      failure(() => expect(snap).not.toHaveHistogram('checkout.duration', {}, { count: 3 })),
    ).toMatchInlineSnapshot(
      `"expected histogram "checkout.duration" not to have count=3, but it does (2 matching series merged)."`,
    );
  });
});

describe('toHaveMetric', () => {
  it('passes for any kind by OTel or Prometheus name and explains both failures', () => {
    expect(snap).toHaveMetric('pool.usage');
    expect(snap).toHaveMetric('checkout_duration_seconds');
    expect(snap).not.toHaveMetric('orders.cancelled');
    expect(failure(() => expect(snap).toHaveMetric('checkout.durations'))).toMatchInlineSnapshot(`
      "expected a metric named "checkout.durations", but there is none.
      Nearest metrics:
        checkout.duration (histogram, checkout_duration_seconds)
        pool.usage (gauge, pool_usage_ratio)
        queue.depth (updowncounter, queue_depth)
        orders.failed (counter, orders_failed_total)
        orders.placed (counter, orders_placed_total)"
    `);
    expect(failure(() => expect(snap).not.toHaveMetric('orders.failed'))).toMatchInlineSnapshot(`
      "expected no metric named "orders.failed", but there is a counter "orders.failed" with 1 series:
        {} 1"
    `);
  });
});

describe('the matchers', () => {
  it('accept a plain-data copy of a snapshot', () => {
    const copy = JSON.parse(JSON.stringify(snap));
    expect(copy).toHaveCounter('orders.placed', { region: 'eu' }, 3);
    expect(structuredClone(snap)).toHaveHistogram('checkout.duration', {}, { count: 3 });
  });

  it('throw on something that is not a snapshot, even under .not', () => {
    const pending = Promise.resolve(snap);
    expect(() => expect(pending).not.toHaveMetric('x')).toThrowErrorMatchingInlineSnapshot(
      `[TypeError: toHaveMetric: expected a metrics snapshot (the result of await testMeter.collect()), got a Promise (did you forget \`await\` before collect()?)]`,
    );
    expect(() => expect({ collect() {} }).toHaveMetric('x')).toThrow('a test meter');
    expect(() => expect(snap).toHaveCounter('orders.placed', 'card' as never)).toThrow(TypeError);
    expect(() => expect(snap).toHaveHistogram('checkout.duration', {}, { p99: 1 } as never)).toThrow(
      TypeError,
    );
  });

  it('mention errors the collection reported', async () => {
    const tm = createTestMeter();
    tm.meter.createObservableGauge('sensor.temperature').addCallback(() => {
      throw new Error('sensor unplugged');
    });
    const broken = await tm.collect();
    await tm.shutdown();
    expect(failure(() => expect(broken).toHaveGauge('sensor.temperature'))).toMatchInlineSnapshot(`
      "expected a gauge named "sensor.temperature", but the snapshot holds no metrics at all (was it recorded through this test meter's meter or meterProvider, before collect()?).
      The collection reported errors:
        - sensor unplugged"
    `);
  });

  it('work with jest’s expect through expect.extend', () => {
    jestExpect.extend(metricsMatchers);
    jestExpect(snap).toHaveCounter('orders.placed', { region: 'eu' }, 3);
    jestExpect(snap).not.toHaveCounter('orders.placed', { region: 'eu' }, 4);
    jestExpect(snap).toHaveHistogram('checkout.duration', {}, { count: 3 });
    expect(failure(() => jestExpect(snap).toHaveCounter('orders.placed', { region: 'eu' }, 4))).toContain(
      'expected counter "orders.placed" matching {region="eu"} to be 4, but it is 3',
    );
  });
});

describe('the plain assertion functions', () => {
  it('pass silently and throw AssertionError with the matcher’s message', () => {
    assertMetric(snap, 'orders.placed');
    assertNoMetric(snap, 'orders.cancelled');
    assertCounter(snap, 'orders.placed', { region: 'eu' }, 3);
    assertGauge(snap, 'queue.depth', {}, 3);
    assertHistogram(snap, 'checkout.duration', { outcome: 'error' }, { count: 1, sum: 2 });

    expect(() => assertCounter(snap, 'orders.placed', { region: 'eu' }, 4)).toThrow(AssertionError);
    expect(failure(() => assertCounter(snap, 'orders.placed', { region: 'eu' }, 4))).toBe(
      failure(() => expect(snap).toHaveCounter('orders.placed', { region: 'eu' }, 4)),
    );
    expect(failure(() => assertNoMetric(snap, 'orders.failed'))).toMatch(/^expected no metric named/);
    expect(() => assertHistogram(snap, 'checkout.duration', {}, { count: 4 })).toThrow(AssertionError);
    expect(() => assertMetric(snap, 'nope')).toThrow(AssertionError);
  });
});
