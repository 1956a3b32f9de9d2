// Issue 10, finding 6: one hung async observable callback blanked the endpoint. Every scrape waited for it
// until `scrapeTimeout` and answered 503, `/readyz` still said ready, and `omb_callback_failures_total` stayed
// 0. Now each callback has a deadline below the scrape timeout (`callbackTimeout`, by default the shorter of
// 2 s and half the scrape timeout): past it, only that callback's instrument is left out, the scrape is
// served with 200, the failure is counted with `reason="timeout"` and logged once per streak. `/readyz`
// follows the latest collection, so it turns 503 while collections fail or time out.
import { diag } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { initMeter, type MetricsHandle } from '../../src/index.js';
import { expectExposition } from '../../src/testing/index.js';
import { captureDiag, startHungCallbackTarget } from '../helpers.js';
import { startEndpoint, TestReader } from '../prometheus/support.js';

let handle: MetricsHandle | undefined;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  while (stops.length > 0) await stops.pop()?.();
  diag.disable();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a hung async observable callback', () => {
  it('drops only its instrument, is counted as a timeout and logged once per streak', async () => {
    // scrapeTimeout 3 s: the callback deadline defaults to half of it (1.5 s).
    handle = initMeter({ serviceName: 'hung', prometheus: { port: 0, scrapeTimeout: 3000 } });
    await handle.ready;
    // After initMeter(), which installs its own diag logger.
    const warnings = captureDiag().messages;
    let hang = true;
    handle.meter.createCounter('orders').add(3);
    handle.meter.createObservableGauge('pool.size').addCallback(async (r) => {
      if (hang) await new Promise(() => {});
      r.observe(5);
    });
    handle.meter.createObservableGauge('healthy').addCallback((r) => r.observe(7));
    const url = handle.metricsUrl!;
    const base = url.slice(0, -'/metrics'.length);
    const scrape = async () => {
      // Past the coalescing window, so every scrape runs its own collection.
      await sleep(handle!.config.prometheus!.coalesceWindow + 20);
      const res = await fetch(url);
      return { status: res.status, text: await res.text() };
    };

    const first = await scrape();
    expect(first.status).toBe(200);
    expectExposition(first.text)
      .toHaveSample('orders_total', { otel_scope_name: 'hung' }, 3)
      .toHaveSample('healthy', { otel_scope_name: 'hung' }, 7)
      .not.toHaveSample('pool_size');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    const second = await scrape();
    expect(second.status).toBe(200);
    // The failure count is observed before this collection's own callback times out.
    expectExposition(second.text).toHaveSample(
      'omb_callback_failures_total',
      { omb_instrument: 'pool.size', reason: 'timeout' },
      1,
    );
    const logged = () => warnings.filter((m) => m.includes('"pool.size"'));
    expect(logged()).toHaveLength(1);
    expect(logged()[0]).toContain('did not settle within 1500 ms (prometheus.callbackTimeout)');

    // The streak ends when the callback succeeds again; the next failure is logged again.
    hang = false;
    expectExposition((await scrape()).text).toHaveSample('pool_size', { otel_scope_name: 'hung' }, 5);
    hang = true;
    expect((await scrape()).status).toBe(200);
    expect(logged()).toHaveLength(2);
  });
});

describe('/readyz', () => {
  it('turns 503 once scrapes time out, instead of staying ready', async () => {
    let hang = false;
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    stops.push(() => provider.shutdown());
    const { server, base, url } = await startEndpoint(
      { collect: (options) => (hang ? new Promise(() => {}) : reader.collect(options)) },
      { scrapeTimeout: 200, coalesceWindow: 0 },
    );
    stops.push(() => server.close());
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    hang = true;
    expect((await fetch(url)).status).toBe(503);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
  });
});

describe('the hung-async-callback e2e target (scraped by a real Prometheus in test/e2e/hostile.test.ts)', () => {
  it('serves 200 with its control series and counts the timeouts', async () => {
    const target = await startHungCallbackTarget();
    stops.push(target.stop);
    expect((await fetch(target.url)).status).toBe(200);
    const text = await (await fetch(target.url)).text();
    const scope = { otel_scope_name: 'hostile-hung-async-callback' };
    expectExposition(text)
      .toHaveSample('e2e_control_total', { ...scope, target: 'hung-async-callback' }, 1)
      .toHaveSample('hung_healthy', scope, 7)
      .not.toHaveSample('hung_pool_size')
      .toHaveSample('omb_callback_failures_total', { omb_instrument: 'hung.pool.size', reason: 'timeout' });
  });
});
