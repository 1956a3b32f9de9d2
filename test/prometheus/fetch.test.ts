import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { serve as serveNode } from '@hono/node-server';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { initMeter, type MetricsHandle } from '../../src/index.js';
import { serveFetch } from '../../src/prometheus/fetch.js';
import { MetricsEndpoint } from '../../src/prometheus/handler.js';
import { createFetchHandler } from '../../src/prometheus/mount.js';
import type { ResolvedPrometheusOptions } from '../../src/prometheus/options.js';
import {
  ATTR_ERROR_TYPE as ERROR,
  METRIC_OMB_SCRAPE_REQUESTS as REQUESTS,
  ATTR_HTTP_RESPONSE_STATUS_CODE as STATUS,
} from '../../src/semconv.js';
import { exactly, expectExposition } from '../../src/testing/index.js';
import { promtoolCheck, referenceParse } from '../helpers.js';
import { endpointOptions, raw, selfMetricsProbe, TestReader } from './support.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()?.();
});

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,' +
  'application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,' +
  'text/plain;version=0.0.4;q=0.3,*/*;q=0.2';

/** `orders` (3, region=eu) and `series` more counter series, behind a Fetch handler over our endpoint core. */
function fetchEndpoint(overrides: Partial<ResolvedPrometheusOptions> = {}, series = 0) {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('shop');
  meter.createCounter('orders', { unit: '{order}', description: 'Orders placed' }).add(3, { region: 'eu' });
  const many = meter.createCounter('many');
  for (let i = 0; i < series; i++) many.add(1, { item: `item-${i}-${'x'.repeat(40)}` });
  const probe = selfMetricsProbe();
  const endpoint = new MetricsEndpoint(
    reader,
    endpointOptions({ coalesceWindow: 0, ...overrides }),
    probe.selfMetrics,
  );
  stops.push(() => provider.shutdown());
  const handler = (request: Request) => serveFetch(endpoint.core, request);
  return { handler, endpoint, probe, meter };
}

const get = (headers: Record<string, string> = {}, method = 'GET') =>
  new Request('http://app.test/metrics', { method, headers });

describe('createFetchHandler() with real Request objects', () => {
  it('answers GET with text 0.0.4 that promtool accepts, no-store and Vary', async () => {
    const { handler } = fetchEndpoint();
    const res = await handler(get());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('vary')).toBe('Accept, Accept-Encoding');
    const body = await res.text();
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    expectExposition(body).toHaveSample('orders_total', { otel_scope_name: 'shop', region: 'eu' }, 3);
    await promtoolCheck(body);
  });

  it("serves OpenMetrics to Prometheus's own Accept header", async () => {
    const { handler } = fetchEndpoint();
    const res = await handler(get({ accept: PROMETHEUS_ACCEPT }));
    expect(res.headers.get('content-type')).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8',
    );
    await referenceParse(await res.text(), 'openmetrics');
  });

  it('gzips when asked, and the body round-trips to the identity body', async () => {
    const { handler } = fetchEndpoint({}, 500);
    const plain = Buffer.from(await (await handler(get())).arrayBuffer());
    const res = await handler(get({ 'accept-encoding': 'gzip' }));
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const zipped = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('content-length')).toBe(String(zipped.length));
    expect(zipped.length).toBeLessThan(plain.length / 5);
    expect(gunzipSync(zipped).toString()).toBe(plain.toString());
  });

  it('streams a large exposition chunk by chunk rather than as one string', async () => {
    const { handler } = fetchEndpoint({ compression: false }, 3000);
    const res = await handler(get());
    const reader = res.body!.getReader();
    const sizes: number[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) sizes.push(r.value.length);
    expect(sizes.length).toBeGreaterThan(2);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024 + 4096);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(Number(res.headers.get('content-length')));
  });

  it('answers 401 with WWW-Authenticate without the right token, 200 with it, and counts both', async () => {
    const { handler, probe } = fetchEndpoint({ authToken: 's3cret' });
    const missing = await handler(get());
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect((await handler(get({ authorization: 'Bearer wrong' }))).status).toBe(401);
    const ok = await handler(get({ authorization: 'Bearer s3cret' }));
    expect(ok.status).toBe(200);
    await ok.text();
    const self = await probe.metrics.collect();
    expect(self).toHaveCounter(REQUESTS, exactly({ [STATUS]: 401, [ERROR]: 'unauthorized' }), 2);
    expect(self).toHaveCounter(REQUESTS, exactly({ [STATUS]: 200 }), 1);
  });

  it('answers 429 with Retry-After once the rate limit is used up', async () => {
    const { handler, probe } = fetchEndpoint({ rateLimit: 0.01, rateLimitBurst: 1 });
    await (await handler(get())).text();
    const limited = await handler(get());
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await probe.metrics.collect()).toHaveCounter(
      REQUESTS,
      exactly({ [STATUS]: 429, [ERROR]: 'rate_limited' }),
      1,
    );
  });

  it('answers 405 with Allow to POST and DELETE, and HEAD with the headers of GET and no body', async () => {
    const { handler } = fetchEndpoint({ compression: false });
    for (const method of ['POST', 'DELETE']) {
      const res = await handler(get({}, method));
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
    const length = (await (await handler(get())).arrayBuffer()).byteLength;
    const head = await handler(get({}, 'HEAD'));
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect(head.headers.get('content-length')).toBe(String(length));
  });

  it('answers 400 to a scrape that says it has a body', async () => {
    const { handler } = fetchEndpoint();
    expect((await handler(get({ 'content-length': '5' }))).status).toBe(400);
  });

  it('lets no unread body hold a concurrency slot, and ends it after sendTimeout', async () => {
    const { handler, endpoint, probe } = fetchEndpoint({ maxConcurrentScrapes: 1, sendTimeout: 300 });
    const unread = await handler(get());
    expect(unread.status).toBe(200);
    expect(endpoint.scrapesInFlight).toBe(1);
    // maxConcurrentScrapes bounds requests waiting for a body; one only being sent is bounded by sendTimeout.
    const next = await handler(get());
    expect(next.status).toBe(200);
    await next.text();
    await new Promise((r) => setTimeout(r, 400));
    expect(endpoint.scrapesInFlight).toBe(0);
    await expect(unread.text()).rejects.toThrow();
    expect(await probe.metrics.collect()).toHaveCounter(
      REQUESTS,
      exactly({ [STATUS]: 200, [ERROR]: 'send_timeout' }),
      1,
    );
  });

  it('frees the slot when the reader cancels the body', async () => {
    const { handler, endpoint } = fetchEndpoint({ maxConcurrentScrapes: 1 }, 3000);
    const res = await handler(get());
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(endpoint.scrapesInFlight).toBe(0);
  });

  it('answers 500 with a short text when collection fails, never rejecting', async () => {
    const endpoint = new MetricsEndpoint(
      { collect: () => Promise.reject(new Error('boom')) },
      endpointOptions({ coalesceWindow: 0 }),
    );
    const res = await serveFetch(endpoint.core, get());
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('metrics collection failed\n');
  });
});

describe('createFetchHandler() and initMeter()', () => {
  let handle: MetricsHandle | undefined;
  afterEach(async () => {
    await handle?.shutdown();
    handle = undefined;
  });

  it("answers 503 until initMeter() has set up the exporter, then serves that handle's metrics", async () => {
    const handler = createFetchHandler();
    const early = await handler(get());
    expect(early.status).toBe(503);
    expect(await early.text()).toMatch(/call initMeter\(\)/);
    handle = initMeter({ serviceName: 'fetch-test', prometheus: { listen: false } });
    handle.meter.createCounter('visits').add(2, { page: 'home' });
    const res = await handler(get());
    expect(res.status).toBe(200);
    expectExposition(await res.text()).toHaveSample('visits_total', { page: 'home' }, 2);
  });
});

describe('createFetchHandler() in a Hono app on a real port', () => {
  /** A Hono app with the handler on `/metrics` (all methods) and a greeting on `/`, served by @hono/node-server. */
  async function honoApp(overrides: Partial<ResolvedPrometheusOptions> = {}, series = 0) {
    const { handler, meter } = fetchEndpoint(overrides, series);
    const app = new Hono();
    app.all('/metrics', (c) => handler(c.req.raw));
    app.get('/', (c) => c.text('hello\n'));
    const server = await new Promise<ReturnType<typeof serveNode>>((resolve) => {
      const s = serveNode({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    stops.push(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.address() as AddressInfo;
    return { base: `http://127.0.0.1:${port}`, meter };
  }

  it('negotiates, gzips, and answers 404 beside it, 405 to POST', async () => {
    const { base } = await honoApp({}, 500);
    const url = `${base}/metrics`;
    const text = await raw(url, { headers: { 'accept-encoding': 'gzip' } });
    expect(text.status).toBe(200);
    expect(text.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text.headers['content-encoding']).toBe('gzip');
    const body = gunzipSync(text.body).toString();
    expectExposition(body).toHaveSample('orders_total', { region: 'eu' }, 3);
    await promtoolCheck(body);

    const om = await raw(url, { headers: { accept: PROMETHEUS_ACCEPT, 'accept-encoding': 'gzip' } });
    expect(om.headers['content-type']).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8',
    );
    await referenceParse(gunzipSync(om.body).toString(), 'openmetrics');

    expect((await raw(`${base}/nope`)).status).toBe(404);
    const post = await raw(url, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const head = await raw(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('answers 401 without the token and 429 over the rate limit', async () => {
    const { base } = await honoApp({ authToken: 'tok', rateLimit: 0.01, rateLimitBurst: 1 });
    const url = `${base}/metrics`;
    const missing = await raw(url);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    const auth = { authorization: 'Bearer tok' };
    expect((await raw(url, { headers: auth })).status).toBe(200);
    const limited = await raw(url, { headers: auth });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('sends a large body whole over the socket', async () => {
    const { base, meter } = await honoApp({ compression: false });
    const wide = meter.createCounter('wide');
    for (let i = 0; i < 1500; i++) wide.add(i, { item: `item-${i}-${'y'.repeat(60)}` });
    const res = await raw(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(Number(res.headers['content-length']));
    expectExposition(res.body.toString()).toHaveSample(
      'wide_total',
      { item: `item-1499-${'y'.repeat(60)}` },
      1499,
    );
    expect(res.body.length).toBeGreaterThan(2 * 64 * 1024);
  });
});
