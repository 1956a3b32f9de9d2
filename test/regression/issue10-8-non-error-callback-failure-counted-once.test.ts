// Issue 10, finding 8 (one of the minor items): an observable callback that threw or rejected with something
// other than an Error (a string, `undefined`) was counted twice in `omb_callback_failures_total`: once under
// its instrument and once more under `omb_instrument=""`, because the guard could only recognise the failures
// it had already counted when they were objects. Now the guard hands the SDK its own error object, so each
// failure is counted once, under its instrument.
import { afterEach, describe, expect, it } from 'vitest';
import { initMeter, type MetricsHandle } from '../../src/index.js';
import { expectExposition } from '../../src/testing/index.js';

let handle: MetricsHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

describe('a callback failing with a non-Error value', () => {
  it('is counted once, under its own instrument', async () => {
    handle = initMeter({ serviceName: 'nonerror', logLevel: 'none', prometheus: { port: 0 } });
    await handle.ready;
    handle.meter.createObservableGauge('throws.string').addCallback(() => {
      throw 'database unavailable';
    });
    handle.meter.createObservableGauge('rejects.undefined').addCallback(() => Promise.reject(undefined));
    const url = handle.metricsUrl!;
    expect((await fetch(url)).status).toBe(200);
    // Past the coalescing window, so this scrape runs a second collection and shows the first one's count.
    await new Promise((r) => setTimeout(r, handle!.config.prometheus!.coalesceWindow + 20));
    const text = await (await fetch(url)).text();
    const failures = expectExposition(text)
      .toHaveSample('omb_callback_failures_total', { omb_instrument: 'throws.string' }, 1)
      .toHaveSample('omb_callback_failures_total', { omb_instrument: 'rejects.undefined' }, 1)
      .samples('omb_callback_failures_total');
    expect(failures.map((s) => s.labels.omb_instrument).sort()).toEqual([
      'rejects.undefined',
      'throws.string',
    ]);
  });
});
