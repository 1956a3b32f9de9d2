import { gzipSync } from 'node:zlib';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { initMeter, type MetricsHandle, resolveConfig } from '../../src/index.js';
import { type MetricsView, metricsView } from '../../src/prometheus/metrics-view.js';
import { isLoopback } from '../../src/prometheus/options.js';
import { bucketQuantile } from '../../src/testing/quantile.js';
import { captureDiag, messageOf, referenceParse } from '../helpers.js';
import { startEndpoint, TestReader } from './support.js';

let handle: MetricsHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

/** initMeter on port 0 with some business metrics; returns the server's base URL. */
async function start(prometheus: Record<string, unknown> = {}): Promise<string> {
  handle = initMeter({
    serviceName: 'shop',
    runtime: false,
    histograms: { 'checkout.duration': [0.1, 0.5, 1, 5] },
    prometheus: { port: 0, host: '127.0.0.1', ...prometheus },
  });
  await handle.ready;
  const h = handle.meter.createHistogram('checkout.duration', { unit: 's', description: 'Checkout "time"' });
  // Per bucket of [0.1, 0.5, 1, 5]: 50, 30, 10, 9 and 1 in +Inf.
  for (const [v, n] of [
    [0.05, 50],
    [0.3, 30],
    [0.7, 10],
    [2, 9],
    [9, 1],
  ] as const) {
    for (let i = 0; i < n; i++) h.record(v, { 'payment.method': 'card' });
  }
  h.record(0.4, { 'payment.method': 'paypal' });
  handle.meter.createCounter('orders.placed', { unit: '{order}' }).add(3, { 'payment.method': 'card' });
  handle.meter.createUpDownCounter('queue.depth').add(-2.5, { queue: 'a\\b "c"\nd' });
  return handle.metricsUrl!.slice(0, -'/metrics'.length);
}

async function view(url: string, init?: RequestInit): Promise<MetricsView> {
  const res = await fetch(url, init);
  expect(res.status).toBe(200);
  return (await res.json()) as MetricsView;
}

describe('the live metrics page', () => {
  it('serves one self-contained HTML page at / that loads nothing from elsewhere, under 100 KB gzipped', async () => {
    const base = await start();
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).toContain('<meta name="omb-data" content="/data.json">');
    // The styles, the script and the test kit's quantile function are inlined; no placeholder is left.
    expect(html).toContain('function bucketQuantile(');
    expect(html).not.toMatch(/\/\*(STYLE|SCRIPT)\*\/|__DATA_PATH__/);
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/);
    expect(gzipSync(html).length).toBeLessThan(100 * 1024);
  });

  it('serves the JSON view with the scrape’s families, names, labels and values', async () => {
    const base = await start();
    // Both requests fall into one coalescing window: one collection serves both.
    const [text, json] = await Promise.all([
      fetch(`${base}/metrics`, { headers: { accept: 'application/openmetrics-text' } }).then((r) => r.text()),
      fetch(`${base}/data.json`),
    ]);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(json.headers.get('cache-control')).toBe('no-store');
    const v = (await json.json()) as MetricsView;
    const families = await referenceParse(text, 'openmetrics');
    expect(v.families.map((f) => [f.name, f.type, f.unit])).toEqual(
      families.map((f) => [f.name, f.type, f.unit]),
    );
    for (const f of families) {
      const ours = v.families.find((x) => x.name === f.name)!;
      for (const s of f.samples) {
        if (s.name === `${f.name}_created`) continue;
        const { le, quantile, ...labels } = s.labels;
        const series = ours.series.find((x) => JSON.stringify(x.labels) === JSON.stringify(labels));
        expect(series, `${s.name} ${JSON.stringify(labels)}`).toBeDefined();
        const suffix = f.type === 'histogram' || f.type === 'summary' ? s.name.slice(f.name.length) : '';
        if (suffix === '_count') expect(series!.count).toBe(s.value);
        else if (suffix === '_sum') expect(series!.sum).toBe(s.value);
        else if (suffix === '_bucket') {
          const i = le === '+Inf' ? series!.bounds!.length : series!.bounds!.indexOf(Number(le));
          const cumulative = series!.counts!.slice(0, i + 1).reduce((a, b) => a + b, 0);
          expect(cumulative, `${s.name} le=${le}`).toBe(s.value);
        } else expect(series!.value, s.name).toBe(s.value);
      }
    }
    const queue = v.families.find((f) => f.name === 'queue_depth')!;
    expect(queue.series[0]!.labels['queue']).toBe('a\\b "c"\nd');
    expect(queue.series[0]!.value).toBe(-2.5);
    expect(v.families.find((f) => f.name === 'checkout_duration_seconds')!.help).toBe('Checkout "time"');
  });

  it('gives histograms p50/p95/p99 by histogram_quantile()’s rules, as the test kit computes them', async () => {
    const v = await view(`${await start()}/data.json`);
    const card = v.families
      .find((f) => f.name === 'checkout_duration_seconds')!
      .series.find((s) => s.labels['payment_method'] === 'card')!;
    expect(card.bounds).toEqual([0.1, 0.5, 1, 5]);
    expect(card.counts).toEqual([50, 30, 10, 9, 1]);
    const q = (p: number) => bucketQuantile(p, [0.1, 0.5, 1, 5], [50, 30, 10, 9, 1]);
    expect(card.quantiles).toEqual({ p50: q(0.5), p95: q(0.95), p99: q(0.99) });
    // Rank 50 ends the first bucket; rank 95 is 5 of the 9 in (1, 5]; rank 99 ends that bucket.
    expect(card.quantiles!['p50']).toBeCloseTo(0.1);
    expect(card.quantiles!['p95']).toBeCloseTo(1 + (4 * 5) / 9);
    expect(card.quantiles!['p99']).toBeCloseTo(5);
  });

  it('shows an exposition it cannot read as an empty page, and says so once', () => {
    const diag = captureDiag();
    try {
      expect(metricsView('bad line without value\n', 1)).toEqual({ time: 1, families: [] });
      expect(metricsView('another bad line\n', 2).families).toEqual([]);
    } finally {
      diag.restore();
    }
    expect(diag.messages.filter((m) => m.includes('live page cannot read'))).toHaveLength(1);
  });

  it('shares one collection between a scrape and the page’s poll', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    provider.getMeter('t').createCounter('c').add(1);
    let collections = 0;
    const collect = reader.collect.bind(reader);
    reader.collect = (o) => {
      collections++;
      return collect(o);
    };
    const { server, base } = await startEndpoint(reader, { ui: true, coalesceWindow: 5000 });
    try {
      await fetch(`${base}/metrics`).then((r) => r.text());
      await view(`${base}/data.json`);
      await view(`${base}/data.json`);
      expect(collections).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('never serves the page or its data to a client without the bearer token', async () => {
    const base = await start({ authToken: 's3cret' });
    for (const path of ['/', '/data.json']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(401);
      expect(await res.text()).not.toContain('checkout');
      expect((await fetch(`${base}${path}`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
      const ok = await fetch(`${base}${path}`, { headers: { authorization: 'Bearer s3cret' } });
      expect(ok.status, path).toBe(200);
    }
  });

  it('asks a browser for basic credentials and serves the page with them', async () => {
    const base = await start({ basicAuth: { username: 'ops', password: 'pw' } });
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    const authorization = `Basic ${Buffer.from('ops:pw').toString('base64')}`;
    expect((await fetch(`${base}/data.json`, { headers: { authorization } })).status).toBe(200);
  });

  it('applies the rate limit to the page and its data like to scrapes', async () => {
    const base = await start({ rateLimit: 0.01, rateLimitBurst: 1 });
    expect((await fetch(`${base}/data.json`)).status).toBe(200);
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('is off when bound to 0.0.0.0, and on there when enabled', async () => {
    let base = await start({ host: '0.0.0.0' });
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/data.json`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    await handle!.shutdown();
    base = await start({ host: '0.0.0.0', ui: true });
    expect((await fetch(`${base}/`)).status).toBe(200);
  });

  it('moves to uiPath, with its data under it', async () => {
    const base = await start({ uiPath: '/ui' });
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect(await (await fetch(`${base}/ui`)).text()).toContain('content="/ui/data.json"');
    await view(`${base}/ui/data.json`);
  });

  it('can be turned off on loopback', async () => {
    const base = await start({ ui: false });
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/data.json`)).status).toBe(404);
  });
});

describe('prometheus.ui options', () => {
  it('defaults to on for loopback hosts only', () => {
    expect(resolveConfig({}, {}).prometheus!.ui).toBe(true);
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopback(host), host).toBe(true);
      expect(resolveConfig({ prometheus: { host } }, {}).prometheus!.ui, host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1', 'localhost.evil.com']) {
      expect(isLoopback(host), host).toBe(false);
      expect(resolveConfig({ prometheus: { host } }, {}).prometheus!.ui, host).toBe(false);
    }
  });

  it('reads OMB_PROMETHEUS_UI and OMB_PROMETHEUS_UI_PATH', () => {
    const env = {
      OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0',
      OMB_PROMETHEUS_UI: 'true',
      OMB_PROMETHEUS_UI_PATH: '/live',
    };
    expect(resolveConfig({}, env).prometheus).toMatchObject({ ui: true, uiPath: '/live' });
    expect(resolveConfig({}, { OMB_PROMETHEUS_UI: 'false' }).prometheus!.ui).toBe(false);
  });

  it('rejects a bad value, and a page path that collides with another path', () => {
    expect(messageOf(() => resolveConfig({ prometheus: { ui: 'yes' as never } }, {}))).toMatch(
      /prometheus\.ui: .*ERR_INVALID_BOOLEAN/,
    );
    expect(messageOf(() => resolveConfig({ prometheus: { uiPath: 'ui' } }, {}))).toMatch(
      /prometheus\.uiPath: .*ERR_INVALID_PATH/,
    );
    expect(messageOf(() => resolveConfig({ prometheus: { uiPath: '/metrics' } }, {}))).toMatch(
      /uiPath.*ERR_INVALID_PATH/,
    );
    expect(messageOf(() => resolveConfig({ prometheus: { path: '/data.json' } }, {}))).toMatch(
      /ERR_INVALID_PATH/,
    );
    // With the page off its path is free.
    expect(resolveConfig({ prometheus: { ui: false, uiPath: '/metrics' } }, {}).prometheus!.ui).toBe(false);
  });
});
