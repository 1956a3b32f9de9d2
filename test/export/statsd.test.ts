import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { packets } from '../../src/export/statsd.js';
import { initMeter, type MetricsHandle } from '../../src/init.js';
import { waitFor } from './receivers.js';

const QUIET = { runtime: false, host: false, prometheus: false, http: false } as const;
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});
function init(config: Parameters<typeof initMeter>[0]): MetricsHandle {
  const h = initMeter(config);
  cleanup.push(() => h.shutdown());
  return h;
}

async function udpReceiver() {
  const socket = createSocket('udp4');
  const datagrams: Buffer[] = [];
  socket.on('message', (m) => datagrams.push(m));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  cleanup.push(() => new Promise<void>((r) => socket.close(() => r())));
  const lines = () => datagrams.flatMap((d) => d.toString('utf8').split('\n'));
  return { port: (socket.address() as AddressInfo).port, datagrams, lines };
}

describe('StatsD export', () => {
  it('sends per-interval deltas over UDP with DogStatsD tags and exact distributions', async () => {
    const rx = await udpReceiver();
    const h = init({
      ...QUIET,
      statsd: { host: '127.0.0.1', port: rx.port, prefix: 'app.', tags: 'dogstatsd', intervalMs: 50 },
    });
    const hits = h.meter.createCounter('hits');
    const inflight = h.meter.createUpDownCounter('inflight');
    const latency = h.meter.createHistogram('latency', { unit: 's' });
    hits.add(3, { route: '/a' });
    inflight.add(-2);
    latency.record(0.25, { route: '/a' });
    await waitFor(() => rx.lines().includes('app.hits:3|c|#route:/a'));
    const lines = rx.lines();
    expect(lines).toContain('app.latency.count:1|c|#route:/a');
    expect(lines).toContain('app.latency.sum:0.25|c|#route:/a');
    expect(lines).toContain('app.latency:0.25|d|#route:/a');
    // A negative gauge is reset to 0 first: a signed gauge value means "change by" in StatsD.
    expect(lines.indexOf('app.inflight:0|g')).toBeLessThan(lines.indexOf('app.inflight:-2|g'));
    hits.add(2, { route: '/a' });
    await waitFor(() => rx.lines().includes('app.hits:2|c|#route:/a'));
    expect(rx.lines().filter((l) => l.startsWith('app.hits:'))).toEqual([
      'app.hits:3|c|#route:/a',
      'app.hits:2|c|#route:/a',
    ]);
  });

  it('keeps every datagram within maxPacketBytes and loses no line', async () => {
    const rx = await udpReceiver();
    const h = init({
      ...QUIET,
      statsd: { host: '127.0.0.1', port: rx.port, maxPacketBytes: 100, intervalMs: 3_600_000 },
    });
    const c = h.meter.createCounter('batched.counter.with.a.long.name');
    for (let i = 0; i < 40; i++) h.meter.createCounter(`batched.counter.${i}`).add(i + 1);
    c.add(1);
    await h.forceFlush();
    await waitFor(() => rx.lines().length >= 41);
    expect(rx.datagrams.length).toBeGreaterThan(5);
    for (const d of rx.datagrams) expect(d.length).toBeLessThanOrEqual(100);
    expect(rx.lines()).toContain('batched.counter.39:40|c');
    expect(packets(['x'.repeat(101), 'ok:1|c'], 100)).toEqual({ packets: ['ok:1|c'], oversized: 1 });
  });

  it('sends newline-separated lines over TCP, plain StatsD summing counters across attribute sets', async () => {
    let received = '';
    const server = createServer((s) => s.on('data', (d: Buffer) => (received += d.toString())));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => new Promise((r) => server.close(r)));
    const port = (server.address() as AddressInfo).port;
    const h = init({ ...QUIET, statsd: { host: '127.0.0.1', port, protocol: 'tcp', intervalMs: 3_600_000 } });
    const orders = h.meter.createCounter('orders');
    orders.add(2, { method: 'card' });
    orders.add(5, { method: 'cash' });
    await h.forceFlush();
    await waitFor(() => received.includes('\n'));
    expect(received.split('\n')).toContain('orders:7|c');
    expect(received).not.toContain('#');
  });

  it('frames lines with a 32-bit length over a Unix stream socket (DogStatsD uds)', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = `${mkdtempSync(`${tmpdir()}/dsd-`)}/dsd.socket`;
    const frames: string[] = [];
    let buffered = Buffer.alloc(0);
    const server = createServer((s) =>
      s.on('data', (d: Buffer) => {
        buffered = Buffer.concat([buffered, d]);
        while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32LE(0)) {
          const n = buffered.readUInt32LE(0);
          frames.push(buffered.subarray(4, 4 + n).toString());
          buffered = buffered.subarray(4 + n);
        }
      }),
    );
    server.listen(path);
    await once(server, 'listening');
    cleanup.push(() => new Promise((r) => server.close(r)));
    const h = init({
      ...QUIET,
      statsd: { protocol: 'uds', socketPath: path, tags: 'dogstatsd', intervalMs: 3_600_000 },
    });
    h.meter.createCounter('uds.sent').add(4, { a: 'b' });
    await h.forceFlush();
    await waitFor(() => frames.length > 0);
    expect(frames.join('')).toContain('uds.sent:4|c|#a:b');
  });
});
