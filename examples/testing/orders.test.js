// A service's own metrics tests, written with otel-metrics-bootstrap/testing and node:test.
// Run: npm run build && node --test examples/testing/orders.test.js
import assert from 'node:assert/strict';
import { after, beforeEach, test } from 'node:test';
import {
  assertCounter,
  assertHistogram,
  assertNoMetric,
  createTestClock,
  createTestMeter,
  exactly,
  expectExposition,
} from 'otel-metrics-bootstrap/testing';
import { start } from './app.js';
import { metricsConfig } from './metrics-config.js';
import { OrderService } from './orders.js';

// The same configuration as production; one test meter for the file, emptied before each test.
const metrics = createTestMeter(metricsConfig);
const clock = createTestClock();
const declined = Object.assign(new Error('card declined'), { code: 'card_declined' });
const payments = {
  fail: false,
  async charge() {
    clock.advance(120); // the payment provider "takes" 120 ms
    if (this.fail) throw declined;
  },
};
const service = new OrderService({ meter: metrics.meter, payments, clock });

beforeEach(async () => {
  payments.fail = false;
  await metrics.reset();
});
after(() => metrics.shutdown());

test('a placed order is counted by payment method, without the customer id', async () => {
  await service.checkout({ paymentMethod: 'card', customerId: 'c-1' });
  await service.checkout({ paymentMethod: 'card', customerId: 'c-2' });
  await service.checkout({ paymentMethod: 'paypal', customerId: 'c-1' });

  const snap = await metrics.collect();
  assertCounter(snap, 'orders.placed', { 'payment.method': 'card' }, 2);
  assertCounter(snap, 'orders.placed', exactly({ 'payment.method': 'paypal' }), 1);
  assert.equal(snap.counter('orders.placed'), 3);
  assertNoMetric(snap, 'orders.failed');
});

test('checkout time is recorded exactly, in seconds, in the configured buckets', async () => {
  await service.checkout({ paymentMethod: 'card', customerId: 'c-1' });

  const snap = await metrics.collect();
  assertHistogram(snap, 'orders.checkout.duration', { outcome: 'ok' }, { count: 1, sum: 0.12 });
  const duration = snap.histogram('orders.checkout.duration');
  assert.deepEqual(duration.boundaries, [0.05, 0.1, 0.25, 0.5, 1, 2.5]);
  // One observation in (0.1, 0.25]: the median is interpolated inside that bucket, as Prometheus would.
  assert.equal(duration.quantile(0.5), 0.175);
});

test('a declined payment is counted by error type and timed as an error', async () => {
  payments.fail = true;
  await assert.rejects(service.checkout({ paymentMethod: 'card', customerId: 'c-1' }), declined);

  const snap = await metrics.collect();
  assertCounter(snap, 'orders.failed', { 'error.type': 'card_declined' }, 1);
  assertHistogram(snap, 'orders.checkout.duration', { outcome: 'error' }, { count: 1 });
  assertNoMetric(snap, 'orders.placed');
});

test('Prometheus sees the names and labels the dashboards use', async () => {
  await service.checkout({ paymentMethod: 'card', customerId: 'c-1' });

  expectExposition(await metrics.exposition())
    .toHaveFamily('orders_placed_total', { type: 'counter', help: 'Orders placed' })
    .toHaveSample('orders_placed_total', { payment_method: 'card' }, 1)
    .toHaveSample('orders_checkout_duration_seconds_bucket', { outcome: 'ok', le: '0.25' }, 1);
});

test('the running service serves the same metrics on its endpoint, apart from the test meter', async () => {
  const { telemetry, service: live } = await start({ port: 0 });
  try {
    await live.checkout({ paymentMethod: 'paypal', customerId: 'c-9' });
    const body = await (await fetch(telemetry.metricsUrl)).text();
    expectExposition(body).toHaveSample('orders_placed_total', { payment_method: 'paypal' }, 1);
    // The test meter never sees what the global provider recorded.
    assertNoMetric(await metrics.collect(), 'orders.placed');
  } finally {
    await telemetry.shutdown();
  }
});
