import type { Attributes, BatchObservableResult, ObservableResult } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { initMeter, type MetricsHandle } from '../src/index.js';
import { createTestMeter, expectExposition } from '../src/testing/index.js';
import { captureDiag } from './helpers.js';

let restore = () => {};
afterEach(() => restore());

describe('MeasurementGuard, on every instrument of our provider', () => {
  it('drops values by instrument kind: counts only count up, up-down counters stay finite, gauges take NaN', async () => {
    const metrics = createTestMeter();
    const m = metrics.meter;
    m.createUpDownCounter('queue').add(Number.NaN);
    m.createUpDownCounter('queue').add(-2);
    m.createGauge('reading').record(Number.NaN);
    m.createHistogram('size').record(-1);
    m.createHistogram('size').record(Number.POSITIVE_INFINITY);
    m.createHistogram('size').record(3);
    const text = await metrics.exposition();
    expectExposition(text)
      .toHaveSample('queue', {}, -2)
      .toHaveSample('size_count', {}, 1)
      .toHaveSample('size_sum', {}, 3);
    expect(text).toMatch(/^reading\{.*\} NaN$/m);
    await metrics.shutdown();
  });

  it('records { a: undefined } and {} as one series', async () => {
    const metrics = createTestMeter();
    const counter = metrics.meter.createCounter('hits');
    counter.add(1, { route: undefined });
    counter.add(1, {});
    expect((await metrics.exposition()).match(/^hits_total/gm)).toHaveLength(1);
    await metrics.shutdown();
  });

  it('guards batch callbacks and keeps removeCallback working through the wrappers', async () => {
    const metrics = createTestMeter();
    const m = metrics.meter;
    const gauge = m.createObservableGauge('pool.size');
    const counter = m.createObservableCounter('pool.checkouts');
    let calls = 0;
    const batch = (result: BatchObservableResult) => {
      calls++;
      result.observe(gauge, 3, { pool: { name: 'main' } } as unknown as Attributes);
      result.observe(counter, Number.NaN);
      result.observe(counter, 5, { pool: 'main' });
    };
    const single = (result: ObservableResult) => {
      calls++;
      result.observe(7);
    };
    m.addBatchObservableCallback(batch, [gauge, counter]);
    const other = m.createObservableGauge('other');
    other.addCallback(single);
    const text = await metrics.exposition();
    expectExposition(text)
      .toHaveSample('pool_size', {}, 3)
      .toHaveSample('pool_checkouts_total', { pool: 'main' }, 5)
      .toHaveSample('other', {}, 7);
    expect(calls).toBe(2);
    m.removeBatchObservableCallback(batch, [gauge, counter]);
    other.removeCallback(single);
    await metrics.exposition();
    expect(calls).toBe(2);
    await metrics.shutdown();
  });
});

describe('the self-metrics for bad input', () => {
  let handle: MetricsHandle | undefined;
  afterEach(async () => {
    await handle?.shutdown();
    handle = undefined;
  });

  it('count invalid measurements per instrument and what each scrape left out', async () => {
    // coalesceWindow 0: the second scrape runs its own collection and reports what the first one left out.
    handle = initMeter({ serviceName: 'bad-input', prometheus: { port: 0, coalesceWindow: 0 } });
    await handle.ready;
    const log = captureDiag();
    restore = log.restore;
    const counter = handle.meter.createCounter('orders');
    counter.add(Number.NaN);
    counter.add(1, { tier: 10n as unknown as string });
    counter.add(1, { tier: 10n as unknown as string });
    handle.meter.createCounter('').add(1);
    handle.meter.createCounter('x').add(1);
    handle.meter.createCounter('x_total').add(1);
    await fetch(handle.metricsUrl!);
    const text = await (await fetch(handle.metricsUrl!)).text();
    expectExposition(text)
      .toHaveSample('omb_record_invalid_total', { omb_instrument: 'orders', error_type: 'invalid_value' }, 1)
      .toHaveSample(
        'omb_record_invalid_total',
        { omb_instrument: 'orders', error_type: 'invalid_attribute' },
        2,
      )
      .toHaveSample('omb_exposition_dropped', { omb_instrument: '', error_type: 'invalid_name' }, 1)
      .toHaveSample('omb_exposition_dropped', { omb_instrument: 'x_total', error_type: 'name_conflict' }, 1);
    // One line per instrument and problem, however often it happens.
    expect(log.messages.filter((m) => m.includes('"orders"'))).toHaveLength(2);
  });
});
