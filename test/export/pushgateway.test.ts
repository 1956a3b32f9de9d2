import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { groupingPath } from '../../src/export/pushgateway.js';
import { initMeter, type MetricsHandle } from '../../src/init.js';
import { expectExposition } from '../../src/testing/index.js';
import { promtoolCheck } from '../helpers.js';
import { startPushgateway } from './receivers.js';

const QUIET = { runtime: false, host: false, prometheus: false } as const;
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});
function init(config: Parameters<typeof initMeter>[0]): MetricsHandle {
  const h = initMeter(config);
  cleanup.push(() => h.shutdown());
  return h;
}

/** Polls the gateway's exposition until it holds `name` (or the time is up). */
async function gatewayHas(gateway: { metrics(): Promise<string> }, name: string): Promise<string> {
  let text = '';
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    text = await gateway.metrics();
    if (text.includes(name)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return text;
}

describe('Pushgateway export', () => {
  it('encodes grouping values per the API: base64 for "/" and empty values, percent-encoding otherwise', () => {
    expect(groupingPath('nightly', { path: 'a/b', city: 'Zürich', empty: '' })).toBe(
      `/metrics/job/nightly/path@base64/${Buffer.from('a/b').toString('base64url')}/city/Z%C3%BCrich/empty@base64/=`,
    );
    expect(groupingPath('a/job', {})).toBe(
      `/metrics/job@base64/${Buffer.from('a/job').toString('base64url')}`,
    );
  });

  it('pushes on an interval to the real gateway, with grouping values holding "/" and Unicode intact', async () => {
    const gateway = await startPushgateway();
    cleanup.push(gateway.stop);
    const h = init({
      ...QUIET,
      pushgateway: {
        url: gateway.url,
        job: 'nightly/import',
        groupingKey: { shard: 'eu/west', city: 'Zürich' },
        intervalMs: 50,
      },
    });
    h.meter.createCounter('rows.imported', { unit: '{row}' }).add(42, { table: 'users' });
    const text = await gatewayHas(gateway, 'rows_imported_total');
    expectExposition(text).toHaveSample(
      'rows_imported_total',
      { job: 'nightly/import', shard: 'eu/west', city: 'Zürich', table: 'users' },
      42,
    );
    // What the gateway serves from our push is itself a valid exposition.
    await promtoolCheck(text);
  });

  it('pushes the last values at shutdown and then deletes the group when asked', async () => {
    const gateway = await startPushgateway();
    cleanup.push(gateway.stop);
    const keep = initMeter({
      ...QUIET,
      pushgateway: { url: gateway.url, job: 'batch', intervalMs: 3_600_000 },
    });
    keep.meter.createCounter('batch.items').add(7);
    await keep.shutdown();
    // No interval elapsed: only the push at shutdown can have delivered this.
    expectExposition(await gateway.metrics()).toHaveSample('batch_items_total', { job: 'batch' }, 7);

    const gone = initMeter({
      ...QUIET,
      pushgateway: { url: gateway.url, job: 'ephemeral', intervalMs: 50, deleteOnShutdown: true },
    });
    gone.meter.createCounter('ephemeral.items').add(1);
    await gatewayHas(gateway, 'ephemeral_items_total');
    await gone.shutdown();
    const after = await gateway.metrics();
    expect(after).not.toContain('ephemeral_items_total');
    expect(after).toContain('batch_items_total');
  });

  it('sends gzip with the configured method and credentials', async () => {
    const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: gunzipSync(Buffer.concat(chunks)).toString(),
        });
        res.writeHead(200).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => new Promise((r) => server.close(r)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const h = init({
      ...QUIET,
      pushgateway: {
        url,
        job: 'j',
        method: 'post',
        auth: { username: 'pusher', password: 'pw' },
        intervalMs: 3_600_000,
      },
    });
    h.meter.createCounter('posted').add(1);
    await h.forceFlush();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/metrics/job/j' });
    expect(seen[0]?.headers['content-encoding']).toBe('gzip');
    expect(seen[0]?.headers['authorization']).toBe(`Basic ${Buffer.from('pusher:pw').toString('base64')}`);
    expect(seen[0]?.body).toContain('posted_total');
  });
});
