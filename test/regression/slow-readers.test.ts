// Issue 10, finding 4: clients that never read pinned memory without limit: 40 of them on a 100k-series body
// cost +520 MB RSS and none was closed after 50 s (no send timeout, no bound on bytes queued for slow clients).
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { METRIC_OMB_CONNECTIONS_CLOSED as CLOSED, ATTR_ERROR_TYPE as ERROR } from '../../src/semconv.js';
import { exactly } from '../../src/testing/index.js';
import { serveMeter } from '../prometheus/support.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

/** An endpoint whose scrape body is about 8 MB: more than the kernel buffers of a client that never reads (~4 MB). */
async function serveBigBody(overrides: Parameters<typeof serveMeter>[0]) {
  const served = await serveMeter(overrides);
  cleanup.push(served.close);
  const big = served.meter.createCounter('big');
  const padding = 'x'.repeat(16 * 1024);
  for (let i = 0; i < 500; i++) big.add(1, { id: `${i}${padding}` });
  const closed = async (reason: string) =>
    (await served.probe.metrics.collect()).counter(CLOSED, exactly({ [ERROR]: reason })) ?? 0;
  return { ...served, closed };
}

/** Sends a scrape and never reads the answer; resolves once the first bytes of it have arrived. */
async function nonReader(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => {});
  // A 'readable' listener that never calls read(): the socket buffers up to its high-water mark, then stops
  // reading, and the kernel buffers fill behind it.
  socket.on('readable', () => {});
  cleanup.push(() => socket.destroy());
  socket.write(`GET /metrics HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  await until(() => socket.readableLength > 0);
  return socket;
}

async function until(condition: () => boolean | Promise<boolean>, ms = 5000): Promise<number> {
  const start = performance.now();
  while (!(await condition())) {
    if (performance.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - start;
}

describe('clients that never read (issue 10, finding 4)', () => {
  it('are disconnected once sendTimeout has passed, and counted', async () => {
    const served = await serveBigBody({ sendTimeout: 500 });
    await Promise.all([nonReader(served.url), nonReader(served.url), nonReader(served.url)]);
    expect(served.server.connections()).toBe(3);
    const ms = await until(async () => (await served.closed('send_timeout')) === 3, 3000);
    expect(ms).toBeLessThan(1500);
    await until(() => served.server.connections() === 0, 1000);
  });

  it('cannot hold more than maxQueuedBytes: a new body disconnects the longest-running send', async () => {
    const served = await serveBigBody({
      sendTimeout: 60_000,
      maxQueuedBytes: 12 * 1024 * 1024,
      coalesceWindow: 0,
    });
    const first = await nonReader(served.url);
    // The second scrape collects again (nothing is cached or coalesced), so its body is a second 8 MB.
    await nonReader(served.url);
    await until(async () => (await served.closed('queue_full')) === 1, 2000);
    await until(() => first.readableEnded || first.destroyed || served.server.connections() === 1, 1000);
    expect(served.server.connections()).toBe(1);
    expect(await served.closed('send_timeout')).toBe(0);
  });

  it('are cut before a new collection builds its body, so the old body and the new are never held together', async () => {
    const served = await serveBigBody({
      sendTimeout: 60_000,
      maxQueuedBytes: 12 * 1024 * 1024,
      coalesceWindow: 0,
    });
    // A callback that holds the next collection until released: the first scrape's body is made by then.
    let release = () => {};
    let gate = Promise.resolve();
    served.meter.createObservableGauge('held').addCallback(async (result) => {
      await gate;
      result.observe(1);
    });
    await nonReader(served.url);
    gate = new Promise((resolve) => {
      release = resolve;
    });
    const second = fetch(served.url).then((r) => r.text());
    await until(async () => (await served.closed('queue_full')) === 1, 2000);
    release();
    expect(await second).toMatch(/^held\{.*\} 1$/m);
  });

  it('hold no concurrency slot while they are only being sent to, so new scrapes still collect', async () => {
    const served = await serveBigBody({ sendTimeout: 60_000, maxConcurrentScrapes: 1, coalesceWindow: 0 });
    await nonReader(served.url);
    const next = await fetch(served.url);
    expect(next.status).toBe(200);
    await next.arrayBuffer();
  });

  it('still get a whole body when they read it', async () => {
    const served = await serveBigBody({ sendTimeout: 5000, maxQueuedBytes: 1 });
    const body = await (await fetch(served.url)).text();
    expect(body.length).toBeGreaterThan(8 * 1000 * 1000);
    expect(body).toContain('orders_total');
  });
});
