// Issue 10, finding 3, at 1000 idle connections: /metrics over HTTPS took 1.1 s (target 1 s) while 1000 idle
// clients were evicted and reconnected tens of thousands of times. Every newcomer got a TLS socket before the
// guard saw it; the guard evicted a probe in the middle of its TLS handshake as readily as a client that had
// never sent a byte; and the 744 clients above the cap overflowed Node's listen backlog of 511, so the kernel
// dropped connections (a probe among them waited a second for its SYN to be resent).
import { execFileSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/prometheus/server.js';
import { METRIC_OMB_CONNECTIONS_CLOSED as CLOSED, ATTR_ERROR_TYPE as ERROR } from '../../src/semconv.js';
import { exactly } from '../../src/testing/index.js';
import { closedWithin, raw, selfSigned, serveMeter, silentConnections } from '../prometheus/support.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function open(url: string, n: number): Promise<Socket[]> {
  const sockets = await silentConnections(url, n);
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
  });
  for (const s of sockets) s.on('error', () => {});
  return sockets;
}

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a flood of idle connections (issue 10, finding 3, 1000 connections)', () => {
  for (const scheme of ['http', 'https'] as const) {
    it(`evicts connections that never sent a byte before one that has started (${scheme})`, async () => {
      const tls = scheme === 'https' ? selfSigned() : undefined;
      const served = await serveMeter({ maxConnections: 4, tls });
      cleanup.push(served.close);
      // A client part-way through its TLS handshake (the first bytes of a ClientHello record) or its headers.
      const [started] = await open(served.url, 1);
      started?.write(tls ? Buffer.from([0x16, 0x03, 0x01]) : 'GET /metrics HTTP/1.1\r\n');
      // One answered request: the server has read what `started` sent by then.
      expect((await raw(`${served.base}/healthz`, { ca: tls?.cert, timeout: 2000 })).status).toBe(200);
      const silent = await open(served.url, 12);
      // The silent newcomers made room by evicting each other, never the client that had spoken.
      expect(await closedWithin(silent[0] as Socket, 1000)).toBeDefined();
      expect(await closedWithin(started as Socket, 300)).toBeUndefined();
      expect(
        (await served.probe.metrics.collect()).counter(CLOSED, exactly({ [ERROR]: 'evicted' })),
      ).toBeGreaterThanOrEqual(9);
    });
  }

  it('still closes at once a connection whose client closes its side without sending a byte', async () => {
    const served = await serveMeter();
    cleanup.push(served.close);
    const [check] = await open(served.url, 1);
    check?.end(); // a TCP health check: connect, close
    expect(await closedWithin(check as Socket, 2000)).toBeDefined();
    await until(() => served.server.connections() === 0);
  });

  it('has room in the listen backlog for the clients waiting to replace evicted ones', async () => {
    expect(LIMITS.backlog).toBeGreaterThanOrEqual(1000);
    const served = await serveMeter();
    cleanup.push(served.close);
    // `ss` shows a listening socket's backlog as its Send-Q (capped by net.core.somaxconn).
    const port = new URL(served.url).port;
    const line = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
    const somaxconn = Number(execFileSync('cat', ['/proc/sys/net/core/somaxconn'], { encoding: 'utf8' }));
    expect(Number(line.split(/\s+/)[2])).toBe(Math.min(LIMITS.backlog, somaxconn));
  });
});
