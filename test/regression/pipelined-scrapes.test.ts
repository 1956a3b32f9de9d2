// Issue 10, finding 8: 50 pipelined requests on one connection took all 10 scrape slots, so every other
// scraper got 503 until they were done. A connection now gets one scrape at a time.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, serveMeter } from '../prometheus/support.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

describe('pipelined scrapes (issue 10, finding 8)', () => {
  it('take one scrape slot per connection, so another scraper is still served', async () => {
    const served = await serveMeter();
    cleanup.push(served.close);
    const entered = deferred();
    const release = deferred();
    served.meter.createObservableGauge('slow').addCallback(async (r) => {
      entered.resolve();
      await release.promise;
      r.observe(1);
    });
    const { hostname, port } = new URL(served.url);
    const pipelining = connect(Number(port), hostname);
    cleanup.push(() => pipelining.destroy());
    let answers = '';
    pipelining.on('data', (d: Buffer) => {
      answers += d.toString('latin1');
    });
    pipelining.write(`GET /metrics HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`.repeat(50));
    await entered.promise;
    await new Promise((r) => setTimeout(r, 100)); // let the parser hand over all 50
    expect(served.endpoint.scrapesInFlight).toBe(1);

    const other = fetch(served.url);
    await new Promise((r) => setTimeout(r, 50));
    release.resolve();
    expect((await other).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(answers.match(/^HTTP\/1\.1 200 /gm)?.length).toBe(1);
    expect(answers.match(/^HTTP\/1\.1 503 /gm)?.length).toBe(49);
  });
});
