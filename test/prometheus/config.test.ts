import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initMeter, MetricsError, type MetricsHandle, resolveConfig } from '../../src/index.js';
import { messageOf } from '../helpers.js';
import { raw, selfSigned } from './support.js';

function problems(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (err instanceof MetricsError) return err.problems.map((p) => [p.code, p.source]);
    throw err;
  }
  return [];
}

let handle: MetricsHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

describe('prometheus endpoint configuration', () => {
  it('has documented defaults', () => {
    const p = resolveConfig({}, {}).prometheus!;
    expect(p).toMatchObject({
      listen: true,
      healthPath: '/healthz',
      readyPath: '/readyz',
      compression: true,
      compressionThreshold: 1024,
      maxConcurrentScrapes: 10,
      rateLimit: 0,
      cacheTtl: 0,
      scrapeTimeout: 10_000,
      maxResponseBytes: 64 * 1024 * 1024,
      selfMetrics: true,
    });
    expect(p.authToken).toBeUndefined();
    expect(p.basicAuth).toBeUndefined();
    expect(p.tls).toBeUndefined();
  });

  it('reads OMB_PROMETHEUS_* variables, and explicit options win', () => {
    const env = {
      OMB_PROMETHEUS_AUTH_TOKEN: 'from-env',
      OMB_PROMETHEUS_COMPRESSION: 'false',
      OMB_PROMETHEUS_COMPRESSION_THRESHOLD: '2048',
      OMB_PROMETHEUS_MAX_CONCURRENT_SCRAPES: '3',
      OMB_PROMETHEUS_RATE_LIMIT: '0.5',
      OMB_PROMETHEUS_CACHE_TTL: '1000',
      OMB_PROMETHEUS_SCRAPE_TIMEOUT: '2500',
      OMB_PROMETHEUS_MAX_RESPONSE_BYTES: '1000000',
      OMB_PROMETHEUS_HEALTH_PATH: '/live',
      OMB_PROMETHEUS_READY_PATH: '/ready',
      OMB_PROMETHEUS_LISTEN: 'false',
      OMB_PROMETHEUS_SELF_METRICS: 'false',
    };
    expect(resolveConfig({}, env).prometheus).toMatchObject({
      authToken: 'from-env',
      compression: false,
      compressionThreshold: 2048,
      maxConcurrentScrapes: 3,
      rateLimit: 0.5,
      cacheTtl: 1000,
      scrapeTimeout: 2500,
      maxResponseBytes: 1_000_000,
      healthPath: '/live',
      readyPath: '/ready',
      listen: false,
      selfMetrics: false,
    });
    expect(
      resolveConfig({ prometheus: { scrapeTimeout: 0 + 1, cacheTtl: 0 } }, env).prometheus,
    ).toMatchObject({
      scrapeTimeout: 1,
      cacheTtl: 0,
    });
    expect(resolveConfig({}, { OMB_PROMETHEUS_BASIC_AUTH: 'prom:pa:ss' }).prometheus?.basicAuth).toEqual({
      username: 'prom',
      password: 'pa:ss',
    });
  });

  it('reports every bad endpoint setting at once with stable codes', () => {
    const found = problems(() =>
      resolveConfig(
        {
          prometheus: {
            maxConcurrentScrapes: 0,
            scrapeTimeout: -1,
            rateLimit: Number.NaN,
            compressionThreshold: 1.5,
            healthPath: 'live',
            readyPath: '/metrics',
            authToken: 'x',
            basicAuth: { username: 'a', password: 'b' },
            tls: { key: 'not a key', cert: 'not a cert' },
          },
        },
        { OMB_PROMETHEUS_MAX_RESPONSE_BYTES: 'lots' },
      ),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        ['ERR_INVALID_LIMIT', 'prometheus.maxConcurrentScrapes'],
        ['ERR_INVALID_LIMIT', 'prometheus.scrapeTimeout'],
        ['ERR_INVALID_LIMIT', 'prometheus.rateLimit'],
        ['ERR_INVALID_LIMIT', 'prometheus.compressionThreshold'],
        ['ERR_INVALID_LIMIT', 'OMB_PROMETHEUS_MAX_RESPONSE_BYTES'],
        ['ERR_INVALID_PATH', 'prometheus.healthPath'],
        ['ERR_INVALID_AUTH', 'prometheus.authToken'],
        ['ERR_INVALID_TLS', 'prometheus.tls'],
      ]),
    );
  });

  it.each([
    ['a malformed OMB_PROMETHEUS_BASIC_AUTH', {}, { OMB_PROMETHEUS_BASIC_AUTH: 'no-colon-secret' }],
    [
      'a malformed basicAuth option',
      { prometheus: { basicAuth: { username: 'user:secret', password: 'pw-secret' } } },
      {},
    ],
    [
      'a token set together with basic auth',
      { prometheus: { authToken: 'token-secret', basicAuth: { username: 'u', password: 'pw-secret' } } },
      { OMB_PROMETHEUS_BASIC_AUTH: 'env-user:env-secret' },
    ],
  ])('never echoes the credentials of %s in the error message', (_, options, env) => {
    const message = messageOf(() => resolveConfig(options, env));
    expect(message).toContain('ERR_INVALID_AUTH');
    expect(message).not.toContain('secret');
  });

  it('rejects a TLS key that does not belong to the certificate, and a missing half', () => {
    const a = selfSigned();
    const b = selfSigned();
    expect(problems(() => resolveConfig({ prometheus: { tls: { key: a.key, cert: b.cert } } }, {}))).toEqual([
      ['ERR_INVALID_TLS', 'prometheus.tls'],
    ]);
    expect(
      problems(() => resolveConfig({}, { OMB_PROMETHEUS_TLS_KEY_FILE: join(a.dir, 'key.pem') })),
    ).toEqual([['ERR_INVALID_TLS', 'OMB_PROMETHEUS_TLS_KEY_FILE/OMB_PROMETHEUS_TLS_CERT_FILE']]);
  });

  it('serves HTTPS with the key and certificate files named in the environment', async () => {
    const tls = selfSigned();
    const env = {
      OMB_PROMETHEUS_TLS_KEY_FILE: join(tls.dir, 'key.pem'),
      OMB_PROMETHEUS_TLS_CERT_FILE: join(tls.dir, 'cert.pem'),
    };
    const resolved = resolveConfig({}, env).prometheus!;
    handle = initMeter({ prometheus: { port: 0, host: '127.0.0.1', tls: resolved.tls! } });
    await handle.ready;
    expect(handle.metricsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await raw(handle.metricsUrl!, { ca: tls.cert });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toContain('target_info');
    await expect(raw(handle.metricsUrl!.replace('https:', 'http:'))).rejects.toThrow();
  });
});

describe('collection options (coalescing window, callback deadline)', () => {
  it('default to a 500 ms window and a 2 s deadline, at most half the scrape timeout unless set', () => {
    expect(resolveConfig({}, {}).prometheus).toMatchObject({ coalesceWindow: 500, callbackTimeout: 2000 });
    expect(resolveConfig({ prometheus: { scrapeTimeout: 1000 } }, {}).prometheus).toMatchObject({
      callbackTimeout: 500,
    });
    expect(
      resolveConfig({}, { OMB_PROMETHEUS_COALESCE_WINDOW: '0', OMB_PROMETHEUS_CALLBACK_TIMEOUT: '300' })
        .prometheus,
    ).toMatchObject({ coalesceWindow: 0, callbackTimeout: 300 });
    expect(
      resolveConfig({ prometheus: { coalesceWindow: 50 } }, { OMB_PROMETHEUS_COALESCE_WINDOW: '900' })
        .prometheus,
    ).toMatchObject({ coalesceWindow: 50 });
  });

  it('rejects a negative window and a deadline that does not fit inside the scrape timeout', () => {
    expect(
      problems(() =>
        resolveConfig({ prometheus: { coalesceWindow: -1, callbackTimeout: 5000, scrapeTimeout: 5000 } }, {}),
      ),
    ).toEqual([
      ['ERR_INVALID_LIMIT', 'prometheus.coalesceWindow'],
      ['ERR_INVALID_LIMIT', 'prometheus.callbackTimeout'],
    ]);
    expect(problems(() => resolveConfig({}, { OMB_PROMETHEUS_CALLBACK_TIMEOUT: '0' }))).toEqual([
      ['ERR_INVALID_LIMIT', 'OMB_PROMETHEUS_CALLBACK_TIMEOUT'],
    ]);
  });
});
