// Issue 10, finding 5: bursts were not coalesced when the scrape is fast. A scrape joined another only while
// that one was still being produced, so 200 scrapers arriving over a few hundred milliseconds ran one SDK
// collection each as soon as a 10k-series scrape finished faster than they arrived (42–122 collections, the
// application's event loop blocked for up to 1.2 s). Now every scrape arriving within `coalesceWindow` of a
// collection's start shares it. The burst itself is measured in bench/prometheus-burst.js.
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { expectExposition } from '../../src/testing/index.js';
import { startEndpoint, TestReader } from '../prometheus/support.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()?.();
});

/** An endpoint over one observable gauge whose value is the number of collections so far. */
async function serve(overrides: Parameters<typeof startEndpoint>[1] = {}) {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  let collections = 0;
  provider
    .getMeter('shop')
    .createObservableGauge('collections')
    .addCallback((r) => r.observe(++collections));
  const started = await startEndpoint(reader, overrides);
  stops.push(() => started.server.close());
  stops.push(() => provider.shutdown());
  const scrape = async () => {
    const res = await fetch(started.url);
    expect(res.status).toBe(200);
    return res.text();
  };
  return { scrape, collections: () => collections };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('scrapes arriving within the coalescing window', () => {
  it('share one collection even when each starts after the previous one has finished', async () => {
    const { scrape, collections } = await serve({ coalesceWindow: 5_000 });
    const bodies: string[] = [];
    for (let i = 0; i < 5; i++) bodies.push(await scrape());
    expect(collections()).toBe(1);
    expect(new Set(bodies).size).toBe(1);
  });

  it('collect afresh once the window has passed', async () => {
    const { scrape, collections } = await serve({ coalesceWindow: 100 });
    await scrape();
    await sleep(150);
    const second = await scrape();
    expect(collections()).toBe(2);
    expectExposition(second).toHaveSample('collections', { otel_scope_name: 'shop' }, 2);
  });

  it('collect on every scrape with coalesceWindow 0', async () => {
    const { scrape, collections } = await serve({ coalesceWindow: 0 });
    await scrape();
    await scrape();
    expect(collections()).toBe(2);
  });
});
