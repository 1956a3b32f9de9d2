import { afterEach, describe, expect, it } from 'vitest';
import { initMeter, type MetricsHandle } from '../../src/init.js';
import { createInstruments } from '../../src/instruments/instruments.js';
import { promtoolCheck, referenceParse } from '../helpers.js';

let handle: MetricsHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

describe('telemetry.instruments on the /metrics endpoint', () => {
  it('serves every kind on a real scrape that promtool and the reference parser accept', async () => {
    handle = initMeter({
      prometheus: { port: 0 },
      namespace: 'shop',
      runtime: false,
      host: false,
      http: false,
    });
    await handle.ready;
    const m = handle.instruments;
    const orders = m.counter('orders.placed', { unit: '{order}', labels: ['payment.method'] });
    orders.bind({ 'payment.method': 'card' }).inc();
    orders.add(2, { 'payment.method': 'cash' });
    m.gauge('queue.depth').set(4);
    m.histogram('checkout.duration', { unit: 's', buckets: [0.1, 0.5, 1] }).observe(0.2);
    m.summary('payload.size', { unit: 'By' }).observe(512);
    m.timer('db.query.duration').record(0.03);
    // A second API on the same provider shares the registry: same name, same object.
    expect(createInstruments({ meter: handle.meter, namespace: 'shop' }).get('shop.orders.placed')).toBe(
      orders,
    );

    const text = await (await fetch(handle.metricsUrl!)).text();
    await promtoolCheck(text);
    const families = await referenceParse(text);
    const value = (family: string, sample: string, labels: Record<string, string> = {}) =>
      families
        .find((f) => f.name === family)
        ?.samples.find(
          (s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
        )?.value;
    expect(value('shop_orders_placed', 'shop_orders_placed_total', { payment_method: 'cash' })).toBe(2);
    expect(value('shop_queue_depth', 'shop_queue_depth')).toBe(4);
    expect(
      value('shop_checkout_duration_seconds', 'shop_checkout_duration_seconds_bucket', { le: '0.5' }),
    ).toBe(1);
    expect(value('shop_payload_size_bytes', 'shop_payload_size_bytes_count')).toBe(1);
    expect(value('shop_db_query_duration_seconds', 'shop_db_query_duration_seconds_sum')).toBe(0.03);
  });
});
