import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/index.js';
import { RateLimiter } from '../../src/prometheus/rate-limit.js';
import { serveMeter } from './support.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

describe('rate-limit burst', () => {
  it('lets a burst of rateLimitBurst through at once, then rateLimit per second', () => {
    let now = 0;
    const limiter = new RateLimiter(10, 20, () => now);
    const first = Array.from({ length: 21 }, () => limiter.take());
    expect(first.filter((wait) => wait === 0)).toHaveLength(20);
    expect(first[20]).toBe(1);
    now += 1000;
    expect(Array.from({ length: 11 }, () => limiter.take()).filter((wait) => wait === 0)).toHaveLength(10);
  });

  it('defaults to the rate (at least one), as before', () => {
    const limiter = new RateLimiter(0.1, undefined, () => 0);
    expect([limiter.take(), limiter.take()]).toEqual([0, 10]);
  });

  it('answers 429 on the endpoint only after the burst', async () => {
    const served = await serveMeter({ rateLimit: 0.01, rateLimitBurst: 3 });
    cleanup.push(served.close);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(served.url)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe('connection options', () => {
  it('have documented defaults, read OMB_PROMETHEUS_* variables, and explicit options win', () => {
    expect(resolveConfig({}, {}).prometheus).toMatchObject({
      rateLimitBurst: 1,
      maxConnections: 256,
      headerTimeout: 10_000,
      tlsHandshakeTimeout: 5_000,
      sendTimeout: 30_000,
      maxQueuedBytes: 64 * 1024 * 1024,
    });
    expect(resolveConfig({ prometheus: { rateLimit: 10 } }, {}).prometheus?.rateLimitBurst).toBe(10);
    const env = {
      OMB_PROMETHEUS_RATE_LIMIT: '10',
      OMB_PROMETHEUS_RATE_LIMIT_BURST: '20',
      OMB_PROMETHEUS_MAX_CONNECTIONS: '64',
      OMB_PROMETHEUS_HEADER_TIMEOUT: '2000',
      OMB_PROMETHEUS_TLS_HANDSHAKE_TIMEOUT: '1000',
      OMB_PROMETHEUS_SEND_TIMEOUT: '15000',
      OMB_PROMETHEUS_MAX_QUEUED_BYTES: '1048576',
    };
    expect(resolveConfig({}, env).prometheus).toMatchObject({
      rateLimitBurst: 20,
      maxConnections: 64,
      headerTimeout: 2000,
      tlsHandshakeTimeout: 1000,
      sendTimeout: 15_000,
      maxQueuedBytes: 1_048_576,
    });
    expect(resolveConfig({ prometheus: { headerTimeout: 500 } }, env).prometheus?.headerTimeout).toBe(500);
  });

  it('reject values out of range with ERR_INVALID_LIMIT naming the option', () => {
    const options = {
      rateLimitBurst: 0.5,
      maxConnections: 0,
      headerTimeout: -1,
      tlsHandshakeTimeout: Number.NaN,
      sendTimeout: 0,
      maxQueuedBytes: 0,
    };
    try {
      resolveConfig({ prometheus: options }, {});
      expect.unreachable('resolveConfig accepted invalid limits');
    } catch (err) {
      const problems = (err as { problems: { code: string; source: string }[] }).problems;
      expect(problems.map((p) => [p.code, p.source])).toEqual(
        Object.keys(options).map((k) => ['ERR_INVALID_LIMIT', `prometheus.${k}`]),
      );
    }
  });
});
