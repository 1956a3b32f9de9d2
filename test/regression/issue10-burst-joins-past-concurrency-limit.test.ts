// Issue 10, follow-up to finding 5: the concurrency limit (`maxConcurrentScrapes`, 10) turned away with 503
// scrapers that could simply have shared the collection already under way: of 200 simultaneous scrapers, 190
// got 503 although they would have cost no collection of their own. A request that joins a production in
// progress (or within the coalescing window, or cached) is now admitted past the limit; a request that would
// start a collection is still held to it, and a connection still gets one scrape at a time.
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
    // One slot, no coalescing, a collection that hangs. The first scrape times out and its production is given
    // up; a second one that joined it later still waits (its own deadline is later) and holds the slot; a
    // newcomer would need a collection of its own. (A client only being sent its body holds no slot:
    // slow-readers.test.ts.)
    const { url, meter, endpoint } = await serve({
      maxConcurrentScrapes: 1,
      coalesceWindow: 0,
      scrapeTimeout: 1000,
    });
    const release = deferred();
    stops.push(() => release.resolve());
    meter.createObservableGauge('hung').addCallback(async (r) => {
      await release.promise;
      r.observe(1);
    });
    const first = fetch(url);
    await until(() => endpoint.scrapesInFlight === 1);
    await new Promise((r) => setTimeout(r, 500));
    const second = fetch(url);
    await until(() => endpoint.scrapesInFlight === 2);
    expect((await first).status).toBe(503);
    const turnedAway = await fetch(url);
    expect(turnedAway.status).toBe(503);
    expect(turnedAway.headers.get('retry-after')).toBe('1');
    expect(await turnedAway.text()).toBe('too many concurrent scrapes\n');
    expect((await second).status).toBe(503);
    release.resolve();
    expect((await fetch(url)).status).toBe(200);
  });
});
