import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initMeter, MetricsError, type MetricsHandle, resolveConfig } from '../../src/index.js';
import { messageOf, promtoolCheck, referenceParse } from '../helpers.js';
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

describe('exposition options (translation strategy, target and scope info, resource constant labels)', () => {
  const prom = (config: Parameters<typeof resolveConfig>[0], env: Record<string, string> = {}) =>
    resolveConfig(config, env).prometheus!;

  it('defaults to today’s names, target_info, scope labels and no constant labels', () => {
    expect(prom({})).toMatchObject({
      translationStrategy: 'UnderscoreEscapingWithSuffixes',
      targetInfo: true,
      scopeInfo: true,
      resourceConstantLabels: undefined,
    });
  });

  it('takes the spec names targetInfoEnabled/scopeInfoEnabled, the earlier names, and the variables', () => {
    expect(prom({ prometheus: { targetInfoEnabled: false, scopeInfoEnabled: false } })).toMatchObject({
      targetInfo: false,
      scopeInfo: false,
    });
    expect(prom({ prometheus: { targetInfo: false } }).targetInfo).toBe(false);
    expect(prom({}, { OMB_PROMETHEUS_SCOPE_INFO: 'false' }).scopeInfo).toBe(false);
    expect(prom({ prometheus: { targetInfoEnabled: true, targetInfo: true } }).targetInfo).toBe(true);
    expect(problems(() => prom({ prometheus: { targetInfoEnabled: false, targetInfo: true } }))).toEqual([
      ['ERR_INVALID_CONFIG', 'prometheus.targetInfoEnabled'],
    ]);
    expect(problems(() => prom({ prometheus: { scopeInfoEnabled: 'no' as never } }))).toEqual([
      ['ERR_INVALID_BOOLEAN', 'prometheus.scopeInfoEnabled'],
    ]);
  });

  it('takes a translation strategy from the option or the variable, and rejects unknown ones', () => {
    expect(prom({ prometheus: { translationStrategy: 'NoTranslation' } }).translationStrategy).toBe(
      'NoTranslation',
    );
    expect(
      prom({}, { OMB_PROMETHEUS_TRANSLATION_STRATEGY: 'NoUTF8EscapingWithSuffixes' }).translationStrategy,
    ).toBe('NoUTF8EscapingWithSuffixes');
    expect(
      messageOf(() => prom({ prometheus: { translationStrategy: 'underscores' as never } })),
    ).toMatchInlineSnapshot(
      `"prometheus.translationStrategy: "underscores" is not a translation strategy; use one of UnderscoreEscapingWithSuffixes, UnderscoreEscapingWithoutSuffixes, NoUTF8EscapingWithSuffixes, NoTranslation (ERR_INVALID_TRANSLATION_STRATEGY)"`,
    );
    expect(problems(() => prom({}, { OMB_PROMETHEUS_TRANSLATION_STRATEGY: 'none' }))).toEqual([
      ['ERR_INVALID_TRANSLATION_STRATEGY', 'OMB_PROMETHEUS_TRANSLATION_STRATEGY'],
    ]);
  });

  it('takes resource constant labels as include/exclude lists, or from the two variables', () => {
    expect(
      prom({ prometheus: { resourceConstantLabels: { include: ['service.*'] } } }).resourceConstantLabels,
    ).toEqual({
      include: ['service.*'],
    });
    expect(
      prom(
        {},
        {
          OMB_PROMETHEUS_RESOURCE_CONSTANT_LABELS: 'service.name, service.namespace',
          OMB_PROMETHEUS_RESOURCE_CONSTANT_LABELS_EXCLUDE: 'host.*',
        },
      ).resourceConstantLabels,
    ).toEqual({ include: ['service.name', 'service.namespace'], exclude: ['host.*'] });
    expect(
      problems(() => prom({ prometheus: { resourceConstantLabels: ['service.name'] as never } })),
    ).toEqual([['ERR_INVALID_CONSTANT_LABELS', 'prometheus.resourceConstantLabels']]);
    expect(
      problems(() => prom({ prometheus: { resourceConstantLabels: { include: 'service.name' as never } } })),
    ).toEqual([['ERR_INVALID_CONSTANT_LABELS', 'prometheus.resourceConstantLabels.include']]);
    expect(
      problems(() => prom({ prometheus: { resourceConstantLabels: { includes: ['x'] } as never } })),
    ).toEqual([['ERR_INVALID_CONSTANT_LABELS', 'prometheus.resourceConstantLabels']]);
  });

  it('serves what it negotiated: quoted UTF-8 names to Prometheus 3, escaped ones to Prometheus 2', async () => {
    handle = initMeter({
      serviceName: 'shop',
      prometheus: {
        host: '127.0.0.1',
        port: 0,
        coalesceWindow: 0,
        translationStrategy: 'NoUTF8EscapingWithSuffixes',
        resourceConstantLabels: { include: ['service.name'] },
        selfMetrics: false,
        targetInfoEnabled: false,
      },
      runtime: false,
      host: false,
      http: false,
    });
    await handle.ready;
    handle.meter.createCounter('orders.placed').add(2, { 'payment.method': 'card' });
    const scrape = async (accept: string) => {
      const res = await fetch(handle!.metricsUrl!, { headers: { accept } });
      return { type: res.headers.get('content-type'), body: await res.text() };
    };
    const p3 = await scrape(
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    );
    expect(p3.type).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8');
    expect(p3.body).toMatch(/^\{"orders\.placed_total",[^}]*"payment\.method"="card"[^}]*\} 2( # .*)?$/m);
    expect(p3.body).toMatch(/^\{"orders\.placed_total",[^}]*service_name="shop"/m);
    const p2 = await scrape(
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    );
    expect(p2.type).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(p2.body).toMatch(/^orders_placed_total\{[^}]*payment_method="card"[^}]*\} 2$/m);
    await referenceParse(p2.body, 'openmetrics');
    const text = await scrape('text/plain;version=0.0.4;escaping=values');
    expect(text.type).toBe('text/plain; version=0.0.4; charset=utf-8; escaping=values');
    expect(text.body).toMatch(/^U__orders_2e_placed__total\{[^}]*U__payment_2e_method="card"/m);
    await promtoolCheck(text.body);
  });
});
