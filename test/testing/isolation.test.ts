import { metrics } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { initMeter } from '../../src/init.js';
import { createTestMeter, expectExposition } from '../../src/testing/index.js';

describe('a test meter next to initMeter()', () => {
  it('sees only its own recordings, and the global endpoint sees only the global ones', async () => {
    const handle = initMeter({
      serviceName: 'app',
      prometheus: { port: 0, host: '127.0.0.1' },
      logLevel: 'none',
    });
    const tm = createTestMeter({ serviceName: 'app' });
    try {
      await handle.ready;
      expect(metrics.getMeterProvider()).toBe(handle.meterProvider);

      metrics.getMeter('app').createCounter('global.orders').add(3);
      handle.meter.createHistogram('global.duration', { unit: 's' }).record(0.2);
      tm.meter.createCounter('test.orders').add(2);
      // The same instrument name on both providers stays separate too.
      handle.meter.createCounter('shared.orders').add(10);
      tm.meter.createCounter('shared.orders').add(1);

      const snap = await tm.collect();
      expect(snap.names()).toEqual(['shared.orders', 'test.orders']);
      expect(snap).toHaveCounter('shared.orders', {}, 1);
      expect(snap).not.toHaveMetric('global.orders');

      const body = await (await fetch(handle.metricsUrl!)).text();
      expectExposition(body)
        .toHaveSample('global_orders_total', {}, 3)
        .toHaveSample('global_duration_seconds_count', {}, 1)
        .toHaveSample('shared_orders_total', {}, 10)
        .not.toHaveFamily('test_orders_total');

      // Resetting the test meter leaves the global provider's data alone.
      await tm.reset();
      const again = await (await fetch(handle.metricsUrl!)).text();
      expectExposition(again).toHaveSample('global_orders_total', {}, 3);
    } finally {
      await tm.shutdown();
      await handle.shutdown();
    }
    expect(metrics.getMeterProvider()).not.toBe(handle.meterProvider);
  });
});
