import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createMetricsHandler, initMeter, type MetricsHandle } from '../../src/index.js';
import { expectExposition } from '../../src/testing/index.js';
import { promtoolCheck, referenceParse } from '../helpers.js';

let handle: MetricsHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  vi.restoreAllMocks();
});

async function start(prometheus: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  handle = initMeter({ serviceName: 'selftest', prometheus: { port: 0, ...prometheus }, ...extra });
  await handle.ready;
  return handle;
}

describe('failing observable callbacks', () => {
  it('leave the rest of the scrape intact, are counted per instrument and logged once per callback', async () => {
    // Each scrape collects afresh, so each one calls the callbacks.
    const t = await start({ coalesceWindow: 0 });
    const warnings: string[] = [];
    const record = (message: string) => warnings.push(message);
    diag.setLogger(
      { error: record, warn: record, info: () => {}, debug: () => {}, verbose: () => {} },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    // The logger is global: later tests must not write into this test's array.
    onTestFinished(() => diag.disable());
    t.meter.createCounter('orders', { description: 'Orders' }).add(2);
    t.meter.createObservableGauge('broken', { description: 'Broken' }).addCallback(() => {
      throw new Error('database unavailable');
    });
    t.meter.createObservableGauge('rejecting', { description: 'Rejecting' }).addCallback(async () => {
      throw new Error('async failure');
    });
    t.meter.createObservableGauge('healthy', { description: 'Healthy' }).addCallback((r) => r.observe(7));
    const url = t.metricsUrl!;
    for (let i = 0; i < 3; i++) expect((await fetch(url)).status).toBe(200);
    const text = await (await fetch(url)).text();
    expectExposition(text)
      .toHaveSample('orders_total', { otel_scope_name: 'selftest' }, 2)
      .toHaveSample('healthy', { otel_scope_name: 'selftest' }, 7)
      .not.toHaveSample('broken')
      .not.toHaveSample('rejecting')
      // Four collections so far; the failure count is observed before this collection's callbacks fail.
      .toHaveSample('omb_callback_failures_total', { omb_instrument: 'broken', reason: 'error' }, 3)
      .toHaveSample('omb_callback_failures_total', { omb_instrument: 'rejecting', reason: 'error' }, 3);
    await promtoolCheck(text);
    const logged = warnings.filter((m) => m.includes('observable callback'));
    expect(logged).toHaveLength(2);
    expect(logged.join('\n')).toContain('database unavailable');
  });
});

describe('self-metrics', () => {
  it('count scrapes by status, durations, sizes and series under the omb_ prefix, valid in both formats', async () => {
    const t = await start({ authToken: 'tok', coalesceWindow: 0 });
    const auth = { authorization: 'Bearer tok' };
    await fetch(t.metricsUrl!);
    const first = await (await fetch(t.metricsUrl!, { headers: auth })).text();
    const text = await (await fetch(t.metricsUrl!, { headers: auth })).text();
    const exposition = expectExposition(text)
      .toHaveSample('omb_scrape_requests_total', { http_response_status_code: '200' }, 1)
      .toHaveSample(
        'omb_scrape_requests_total',
        { http_response_status_code: '401', error_type: 'unauthorized' },
        1,
      )
      .toHaveSample('omb_scrape_duration_seconds_count', { http_response_status_code: '200' }, 1)
      .toHaveSample('omb_scrape_response_size_bytes_count', {}, 1)
      .toHaveSample('omb_scrape_series');
    // A scrape's own figures appear in the next scrape: this one reports the sample lines of the first.
    const firstSamples = first.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    expect(exposition.samples('omb_scrape_series').map((s) => s.value)).toEqual([firstSamples]);
    await promtoolCheck(text);
    const om = await (
      await fetch(t.metricsUrl!, {
        headers: { ...auth, accept: 'application/openmetrics-text; version=1.0.0' },
      })
    ).text();
    const families = await referenceParse(om, 'openmetrics');
    const own = families.filter((f) => f.name.startsWith('omb_')).map((f) => f.name);
    expect(own).toEqual(
      expect.arrayContaining([
        'omb_scrape_requests',
        'omb_scrape_duration_seconds',
        'omb_scrape_response_size_bytes',
        'omb_scrape_series',
      ]),
    );
  });

  it('report overflow series per instrument and the exact overflowed histogram measurements', async () => {
    const t = await start(
      { coalesceWindow: 0 },
      { cardinalityLimits: { 'capped.latency': 3, 'capped.total': 3 } },
    );
    const h = t.meter.createHistogram('capped.latency', { description: 'Capped', unit: 's' });
    const c = t.meter.createCounter('capped.total', { description: 'Capped' });
    for (let i = 0; i < 10; i++) {
      h.record(0.1, { id: String(i) });
      c.add(1, { id: String(i) });
    }
    await fetch(t.metricsUrl!);
    const text = await (await fetch(t.metricsUrl!)).text();
    // Limit 3 keeps 2 series and folds 8 measurements into the overflow series.
    expectExposition(text)
      .toHaveSample('omb_cardinality_overflow_series', { omb_instrument: 'capped.latency' }, 1)
      .toHaveSample('omb_cardinality_overflow_series', { omb_instrument: 'capped.total' }, 1)
      .toHaveSample('omb_cardinality_overflow_measurements_total', { omb_instrument: 'capped.latency' }, 8)
      .not.toHaveSample('omb_cardinality_overflow_measurements_total', { omb_instrument: 'capped.total' });
  });

  it('report the scrapes in flight, the reading scrape included', async () => {
    const t = await start({ coalesceWindow: 0 });
    const text = await (await fetch(t.metricsUrl!)).text();
    expectExposition(text)
      .toHaveFamily('omb_scrapes_in_flight', { type: 'gauge' })
      .toHaveSample('omb_scrapes_in_flight', { otel_scope_name: 'otel-metrics-bootstrap' }, 1);
  });

  it('can be turned off', async () => {
    const t = await start({ selfMetrics: false });
    await fetch(t.metricsUrl!);
    expect(await (await fetch(t.metricsUrl!)).text()).not.toContain('omb_');
  });
});

describe('createMetricsHandler', () => {
  it('serves the metrics on the app’s own node:http server, with negotiation, gzip and auth', async () => {
    const t = await start({ listen: false, authToken: 'tok' });
    expect(t.metricsUrl).toBeUndefined();
    t.meter.createCounter('app.hits', { description: 'Hits' }).add(1);
    const metrics = createMetricsHandler();
    const server = createServer((req, res) => {
      if (req.url === '/internal/metrics') metrics(req, res);
      else res.end('app');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/internal/metrics`;
      expect((await fetch(url)).status).toBe(401);
      const res = await fetch(url, {
        headers: { authorization: 'Bearer tok', accept: 'application/openmetrics-text; version=1.0.0' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe('gzip'); // fetch asks for it; the body is over 1 KiB
      const text = await res.text();
      await referenceParse(text, 'openmetrics');
      expectExposition(text).toHaveSample('app_hits_total', { otel_scope_name: 'selftest' }, 1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('answers 503 until initMeter() has set up the Prometheus exporter', async () => {
    const metrics = createMetricsHandler();
    const server = createServer((req, res) => metrics(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      expect((await fetch(url)).status).toBe(503);
      await start({ listen: false });
      expect((await fetch(url)).status).toBe(200);
    } finally {
      warn.mockRestore();
      await new Promise((r) => server.close(r));
    }
  });
});
