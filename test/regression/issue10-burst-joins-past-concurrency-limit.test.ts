// Issue 10, follow-up to finding 5: the concurrency limit (`maxConcurrentScrapes`, 10) turned away with 503
// scrapers that could simply have shared the collection already under way: of 200 simultaneous scrapers, 190
// got 503 although they would have cost no collection of their own. A request that joins a production in
// progress (or within the coalescing window, or cached) is now admitted past the limit; a request that would
// start a collection is still held to it, and a connection still gets one scrape at a time.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, serveMeter } from '../prometheus/support.js';

const stops: (() => unknown)[] = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()?.();
});

async function serve(overrides: Parameters<typeof serveMeter>[0]) {
  const served = await serveMeter(overrides);
  stops.push(served.close);
  return served;
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('scrapes beyond maxConcurrentScrapes', () => {
  it('are served with 200 when they share the collection in progress: 200 scrapers, one collection', async () => {
    const { url, meter, endpoint } = await serve({ maxConcurrentScrapes: 10 });
    const release = deferred();
    let collections = 0;
    meter.createObservableGauge('slow').addCallback(async (r) => {
      collections++;
      await release.promise;
      r.observe(collections);
    });
    // Every fetch has its own connection (undici opens as many as there are requests in flight).
    const scrapes = Array.from({ length: 200 }, () => fetch(url));
    await until(() => endpoint.scrapesInFlight === 200);
    release.resolve();
    const statuses = await Promise.all(scrapes.map(async (s) => (await s).status));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(collections).toBe(1);
  });

  it('get 503 with Retry-After when they would start a collection of their own', async () => {
    // One slot, no coalescing: a client that never reads an 8 MB body holds the slot after its collection is over.
    const { url, meter, endpoint } = await serve({
      maxConcurrentScrapes: 1,
      coalesceWindow: 0,
      compression: false,
    });
    const padding = 'x'.repeat(16 * 1024);
    const big = meter.createCounter('big');
    for (let i = 0; i < 500; i++) big.add(1, { id: `${i}${padding}` });
    const { hostname, port } = new URL(url);
    const stalled = connect(Number(port), hostname);
    stalled.on('error', () => {});
    stalled.on('readable', () => {}); // never read(): the body cannot be sent in full
    stops.push(() => stalled.destroy());
    stalled.write(`GET /metrics HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
    await until(() => stalled.readableLength > 0);
    expect(endpoint.scrapesInFlight).toBe(1);
    const turnedAway = await fetch(url);
    expect(turnedAway.status).toBe(503);
    expect(turnedAway.headers.get('retry-after')).toBe('1');
    stalled.destroy();
    await until(() => endpoint.scrapesInFlight === 0);
    expect((await fetch(url)).status).toBe(200);
  });
});
