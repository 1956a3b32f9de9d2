import { connect } from 'node:net';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS, resolveConfig } from '../../src/config.js';
import {
  ATTR_ERROR_TYPE as ERROR,
  METRIC_OMB_SCRAPE_REQUESTS as REQUESTS,
  ATTR_HTTP_RESPONSE_STATUS_CODE as STATUS,
} from '../../src/semconv.js';
import { exactly, expectExposition } from '../../src/testing/index.js';
import { promtoolCheck, referenceParse } from '../helpers.js';
import { deferred, raw, selfMetricsProbe, serveMeter, startEndpoint, TestReader } from './support.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()?.();
});

/** A provider with one counter, and an endpoint on port 0 serving it. */
async function serve(overrides: Parameters<typeof startEndpoint>[1] = {}) {
  const served = await serveMeter(overrides);
  stops.push(served.close);
  return served;
}

describe('metrics endpoint HTTP semantics', () => {
  it('answers GET with text 0.0.4 that promtool accepts, no-store and Vary', async () => {
    const { url } = await serve();
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('vary')).toBe('Accept, Accept-Encoding');
    const body = await res.text();
    expectExposition(body).toHaveSample('orders_total', { otel_scope_name: 'shop', region: 'eu' }, 3);
    await promtoolCheck(body);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const { url } = await serve({ compression: false });
    const get = await raw(url);
    const head = await raw(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(String(get.body.length));
  });

  it('answers 405 with Allow to POST, PUT and DELETE', async () => {
    const { url } = await serve();
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(url, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('answers 404 to other paths and serves the configured path', async () => {
    const { base } = await serve({ path: '/custom' });
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(`${base}/custom?x=1`)).status).toBe(200);
  });

  it('answers 400 to a malformed path, to a scrape with a body, and to bytes that are not HTTP', async () => {
    const { base, url, probe } = await serve();
    expect((await raw(`${base}/metrics%zz`)).status).toBe(400);
    const withBody = await raw(url, { headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(withBody.status).toBe(400);
    const garbage = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(url);
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let out = '';
      socket.on('data', (d) => {
        out += d;
      });
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
    });
    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    // Summed over the error types.
    expect(await probe.metrics.collect()).toHaveCounter(REQUESTS, { [STATUS]: 400 }, 3);
  });

  it('answers 431 to headers over the 8 KiB limit', async () => {
    const { url } = await serve();
    const res = await raw(url, { headers: { 'x-big': 'a'.repeat(10_000) } });
    expect(res.status).toBe(431);
  });

  it('answers 500 with a short text, never a 200, when collection fails, and counts it', async () => {
    const probe = selfMetricsProbe();
    const { server, url } = await startEndpoint(
      { collect: () => Promise.reject(new Error('reader exploded')) },
      {},
      probe.selfMetrics,
    );
    stops.push(() => server.close());
    const res = await fetch(url);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('metrics collection failed\n');
    expect(await probe.metrics.collect()).toHaveCounter(
      REQUESTS,
      exactly({ [STATUS]: 500, [ERROR]: 'collection_failed' }),
      1,
    );
  });

  it('answers 500 with a clear message when the body exceeds maxResponseBytes, and counts it', async () => {
    const { url, probe } = await serve({ maxResponseBytes: 100 });
    const res = await fetch(url);
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/exceeds prometheus\.maxResponseBytes \(100 bytes\)/);
    expect(await probe.metrics.collect()).toHaveCounter(
      REQUESTS,
      exactly({ [STATUS]: 500, [ERROR]: 'response_too_large' }),
      1,
    );
  });
});

describe('metrics endpoint protection', () => {
  it('requires the bearer token: 401 with WWW-Authenticate when missing or wrong, 200 when right', async () => {
    const { url } = await serve({ authToken: 's3cret' });
    const missing = await fetch(url);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Basic czNjcmV0' } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'bearer s3cret' } })).status).toBe(200);
  });

  it('requires basic credentials: 401 with a Basic challenge when missing or wrong, 200 when right', async () => {
    const { url, base } = await serve({ basicAuth: { username: 'prom', password: 'p@ss:word' } });
    const basic = (s: string) => ({ authorization: `Basic ${Buffer.from(s).toString('base64')}` });
    const missing = await fetch(url);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Basic realm="metrics", charset="UTF-8"');
    expect((await fetch(url, { headers: basic('prom:wrong') })).status).toBe(401);
    expect((await fetch(url, { headers: basic('other:p@ss:word') })).status).toBe(401);
    expect((await fetch(url, { headers: basic('prom:p@ss:word') })).status).toBe(200);
    // Probes need no secrets.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('answers 429 with Retry-After once the rate limit is used up', async () => {
    const { url, probe } = await serve({ rateLimit: 0.01 });
    expect((await fetch(url)).status).toBe(200);
    const limited = await fetch(url);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await probe.metrics.collect()).toHaveCounter(
      REQUESTS,
      exactly({ [STATUS]: 429, [ERROR]: 'rate_limited' }),
      1,
    );
  });

  it('answers 503 when a deliberately slow callback outlasts scrapeTimeout, and discards the late result', async () => {
    const { url, meter, probe } = await serve({ scrapeTimeout: 200 });
    const release = deferred();
    let calls = 0;
    meter.createObservableGauge('slow.value').addCallback(async (r) => {
      calls++;
      const call = calls;
      if (call === 1) await release.promise;
      r.observe(call);
    });
    const timedOut = await fetch(url);
    expect(timedOut.status).toBe(503);
    expect(await timedOut.text()).toMatch(/did not finish within 200 ms/);
    release.resolve();
    // The next scrape collects afresh: it never gets the abandoned collection's value.
    const next = await fetch(url);
    expect(next.status).toBe(200);
    expectExposition(await next.text()).toHaveSample('slow_value', { otel_scope_name: 'shop' }, 2);
    expect(await probe.metrics.collect()).toHaveCounter(
      REQUESTS,
      exactly({ [STATUS]: 503, [ERROR]: 'timeout' }),
      1,
    );
  });

  it('lets concurrent scrapes share one collection', async () => {
    const { url, meter, endpoint } = await serve({ compression: false });
    const entered = deferred();
    const release = deferred();
    let calls = 0;
    meter.createObservableGauge('shared').addCallback(async (r) => {
      calls++;
      entered.resolve();
      await release.promise;
      r.observe(calls);
    });
    const a = raw(url);
    await entered.promise;
    const b = raw(url, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    const c = raw(url);
    // Wait until b and c have arrived and joined the collection in progress, then let it finish.
    while (endpoint.scrapesInFlight < 3) await new Promise((r) => setTimeout(r, 5));
    release.resolve();
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect(calls).toBe(1);
    expect(rc.body.equals(ra.body)).toBe(true);
    expect(rb.headers['content-type']).toMatch(/^application\/openmetrics-text/);
    expectExposition(rb.body.toString()).toHaveSample('shared', { otel_scope_name: 'shop' }, 1);
  });

  it('serves the same scrape again within cacheTtl', async () => {
    const { url, meter } = await serve({ cacheTtl: 60_000 });
    let calls = 0;
    meter.createObservableGauge('cached').addCallback((r) => {
      calls++;
      r.observe(calls);
    });
    const first = await (await fetch(url)).text();
    const second = await (await fetch(url)).text();
    expect(calls).toBe(1);
    expect(second).toBe(first);
  });
});

describe('health and readiness', () => {
  it('is healthy at once, ready while collections succeed, and not ready when shutting down', async () => {
    let fail = true;
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    stops.push(() => provider.shutdown());
    const { endpoint, server, base, url } = await startEndpoint(
      {
        collect: (options) => (fail ? Promise.reject(new Error('not yet')) : reader.collect(options)),
      },
      { coalesceWindow: 0 },
    );
    stops.push(() => server.close());
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('not ready: the latest metrics collection failed\n');
    fail = false;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    // While the latest collection succeeded, readiness is a flag read: probes cost no collection.
    fail = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    // A scrape whose collection fails makes it not ready, and the next probe tries again.
    expect((await fetch(url)).status).toBe(500);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    fail = false;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    endpoint.startShutdown();
    const shuttingDown = await fetch(`${base}/readyz`);
    expect(shuttingDown.status).toBe(503);
    expect(await shuttingDown.text()).toBe('not ready: shutting down\n');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('is not ready while collections time out, and ready again once one finishes in time', async () => {
    let hang = true;
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    stops.push(() => provider.shutdown());
    const { server, base } = await startEndpoint(
      { collect: (options) => (hang ? new Promise(() => {}) : reader.collect(options)) },
      { scrapeTimeout: 100, coalesceWindow: 0 },
    );
    stops.push(() => server.close());
    const timedOut = await fetch(`${base}/readyz`);
    expect(timedOut.status).toBe(503);
    expect(await timedOut.text()).toBe(
      'not ready: the latest metrics collection did not finish within prometheus.scrapeTimeout\n',
    );
    hang = false;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('serves health on configurable paths and only to GET and HEAD', async () => {
    const { base } = await serve({ healthPath: '/live', readyPath: '/ready' });
    expect((await fetch(`${base}/live`)).status).toBe(200);
    expect((await fetch(`${base}/ready`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(404);
    expect((await fetch(`${base}/live`, { method: 'POST' })).status).toBe(405);
  });
});

describe('endpoint options', () => {
  it('fills every option from the defaults', () => {
    expect(resolveConfig({}, {}).prometheus).toStrictEqual({
      ...DEFAULTS.prometheus,
      // No fixed default: one second of the rate, at least one scrape.
      rateLimitBurst: 1,
      // On by default because the default host, localhost, is loopback.
      ui: true,
      authToken: undefined,
      basicAuth: undefined,
      tls: undefined,
      resourceConstantLabels: undefined,
    });
  });

  it('produces OpenMetrics the reference parser accepts when asked for it', async () => {
    const { url } = await serve();
    const res = await fetch(url, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(res.headers.get('content-type')).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    const families = await referenceParse(await res.text(), 'openmetrics');
    expect(families.find((f) => f.name === 'orders')?.type).toBe('counter');
  });
});
