// Issue 10, finding 8 (part): a user attribute `otel.metric.overflow=true` was reported as a cardinality overflow
// (omb_cardinality_overflow_series), and merged by the SDK with its real overflow series.
import { afterEach, describe, expect, it } from 'vitest';
import { initMeter, type MetricsHandle } from '../../src/index.js';
import { expectExposition } from '../../src/testing/index.js';
import { captureDiag } from '../helpers.js';

let handle: MetricsHandle | undefined;
let restore = () => {};
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  restore();
});

describe('a user attribute named otel.metric.overflow', () => {
  it('is left out with one warning, and no overflow is reported for an instrument far below its limit', async () => {
    handle = initMeter({ serviceName: 'overflow-spoof', prometheus: { port: 0 } });
    await handle.ready;
    // After initMeter(), which installs its own diag logger.
    const log = captureDiag();
    restore = log.restore;
    const counter = handle.meter.createCounter('orders');
    const histogram = handle.meter.createHistogram('latency', { unit: 's' });
    for (let i = 0; i < 3; i++) {
      counter.add(1, { 'otel.metric.overflow': true });
      histogram.record(0.1, { 'otel.metric.overflow': true, route: '/x' });
    }
    await fetch(handle.metricsUrl!);
    const text = await (await fetch(handle.metricsUrl!)).text();
    expect(text).not.toContain('otel_metric_overflow');
    expect(text).not.toMatch(/^omb_cardinality_overflow/m);
    expectExposition(text)
      .toHaveSample('orders_total', { otel_scope_name: 'overflow-spoof' }, 3)
      .toHaveSample('latency_seconds_count', { route: '/x' }, 3)
      .toHaveSample(
        'omb_record_invalid_total',
        { omb_instrument: 'orders', error_type: 'invalid_attribute' },
        3,
      );
    expect(log.messages.filter((m) => m.includes('otel.metric.overflow'))).toHaveLength(2);
  });
});
