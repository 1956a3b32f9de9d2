// Issue 10, finding 3: 256 idle TCP connections locked /metrics and /healthz out for ~30 s (over 58 s with TLS),
// because the server refused every newcomer at maxConnections and Node checks header timeouts only every 30 s
// (the TLS handshake timeout was Node's 120 s).
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { METRIC_OMB_CONNECTIONS_CLOSED as CLOSED, ATTR_ERROR_TYPE as ERROR } from '../../src/semconv.js';
import { exactly } from '../../src/testing/index.js';
import { closedWithin, raw, selfSigned, serveMeter, silentConnections } from '../prometheus/support.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function attack(url: string, n: number): Promise<Socket[]> {
  const sockets = await silentConnections(url, n);
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
  });
  for (const s of sockets) s.on('error', () => {});
  return sockets;
}

describe('idle connections (issue 10, finding 3)', () => {
  it('do not lock out /healthz or /metrics: 256 idle connections, then both answer within a second', async () => {
    const served = await serveMeter();
    cleanup.push(served.close);
    const idle = await attack(served.url, 256);
    const health = await raw(`${served.base}/healthz`, { timeout: 1000 });
    const metrics = await raw(served.url, { timeout: 1000 });
    expect([health.status, metrics.status]).toEqual([200, 200]);
    // The newcomers made room by closing the idle connections that had waited longest.
    expect(await closedWithin(idle[0] as Socket, 1000)).toBeDefined();
    expect(
      (await served.probe.metrics.collect()).counter(CLOSED, exactly({ [ERROR]: 'evicted' })),
    ).toBeGreaterThanOrEqual(1);
  });

  it('do not lock out an HTTPS endpoint either: 256 connections that never start a handshake', async () => {
    const tls = selfSigned();
    const served = await serveMeter({ tls });
    cleanup.push(served.close);
    await attack(served.url, 256);
    const health = await raw(`${served.base}/healthz`, { ca: tls.cert, timeout: 1000 });
    const metrics = await raw(served.url, { ca: tls.cert, timeout: 1000 });
    expect([health.status, metrics.status]).toEqual([200, 200]);
  });

  it('are closed with 408 once headerTimeout has passed, measured by our own timer, not a 30 s sweep', async () => {
    const served = await serveMeter({ headerTimeout: 300 });
    cleanup.push(served.close);
    const [silent, slow] = await attack(served.url, 2);
    let answer = '';
    slow?.on('data', (d: Buffer) => {
      answer += d.toString();
    });
    slow?.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'); // and never the rest
    const [silentMs, slowMs] = await Promise.all([
      closedWithin(silent as Socket, 3000),
      closedWithin(slow as Socket, 3000),
    ]);
    expect(silentMs).toBeGreaterThanOrEqual(250);
    expect(silentMs).toBeLessThan(1500);
    expect(slowMs).toBeLessThan(1500);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(
      (await served.probe.metrics.collect()).counter(CLOSED, exactly({ [ERROR]: 'header_timeout' })),
    ).toBe(2);
  });

  it('are closed once tlsHandshakeTimeout has passed without a finished TLS handshake', async () => {
    const served = await serveMeter({ tls: selfSigned(), tlsHandshakeTimeout: 300 });
    cleanup.push(served.close);
    const [silent] = await attack(served.url, 1);
    const ms = await closedWithin(silent as Socket, 3000);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(1500);
    expect(
      (await served.probe.metrics.collect()).counter(CLOSED, exactly({ [ERROR]: 'tls_handshake_timeout' })),
    ).toBe(1);
  });
});
