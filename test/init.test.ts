import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { diag, metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MetricsError } from '../src/errors.js';
import { initMeter, type MetricsHandle } from '../src/init.js';
import { exactly, expectExposition } from '../src/testing/index.js';

const handles: MetricsHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.shutdown();
  vi.restoreAllMocks();
});
function init(config: Parameters<typeof initMeter>[0]): MetricsHandle {
  const h = initMeter(config);
  handles.push(h);
  return h;
}

describe('initMeter', () => {
  it('sets the global MeterProvider so plain API meters reach the endpoint', async () => {
    const h = init({ prometheus: { port: 0 } });
    await h.ready;
    metrics.getMeter('billing').createCounter('invoices.sent').add(3);
    const text = await (await fetch(h.metricsUrl!)).text();
    expectExposition(text).toHaveSample('invoices_sent_total', exactly({ otel_scope_name: 'billing' }), 3);
  });

  it('returns the same handle on a second call and warns when the configuration differs', () => {
    // The API's console logger writes through the console methods it captured at load, so watch diag itself.
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const a = init({ prometheus: { port: 0 } });
    const b = initMeter({ prometheus: { port: 0 } });
    expect(b).toBe(a);
    expect(warn).not.toHaveBeenCalled();
    const c = initMeter({ prometheus: { port: 0, path: '/m' }, serviceName: 'other' });
    expect(c).toBe(a);
    expect(warn).toHaveBeenCalledOnce();
    expect(String(warn.mock.calls[0]![0])).toContain('(prometheus.path, serviceName)');
  });

  it('shuts down twice without complaint and frees the port', async () => {
    const h = init({ prometheus: { port: 0 } });
    await h.ready;
    const url = h.metricsUrl!;
    await h.shutdown();
    await h.shutdown();
    await expect(fetch(url)).rejects.toThrow();
    // A new initMeter after shutdown builds a fresh handle.
    const again = init({ prometheus: { port: 0 } });
    expect(again).not.toBe(h);
  });

  it('gives a working no-op handle when OTEL_SDK_DISABLED=true', async () => {
    vi.stubEnv('OTEL_SDK_DISABLED', 'true');
    try {
      const h = init({});
      await h.ready;
      expect(h.metricsUrl).toBeUndefined();
      h.meter.createCounter('ignored').add(1);
      h.meter.createHistogram('ignored.h').record(1);
      await h.forceFlush();
      expect(h.config.disabled).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('throws one MetricsError listing every problem before doing anything', () => {
    let error: unknown;
    try {
      initMeter({ prometheus: { port: 70000 }, cardinalityLimit: -1, histograms: { a: [2, 1] } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MetricsError);
    expect((error as MetricsError).problems.map((p) => p.code)).toEqual([
      'ERR_INVALID_PORT',
      'ERR_INVALID_BUCKETS',
      'ERR_INVALID_CARDINALITY_LIMIT',
    ]);
  });

  it('rejects `ready` with ERR_PORT_IN_USE naming the port and the variable to change', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const h = init({ prometheus: { port } });
      const err = await h.ready.then(
        () => undefined,
        (e: unknown) => e as MetricsError,
      );
      expect(err).toBeInstanceOf(MetricsError);
      expect(err?.code).toBe('ERR_PORT_IN_USE');
      expect(err?.message).toContain(`port ${port}`);
      expect(err?.message).toContain('OTEL_EXPORTER_PROMETHEUS_PORT');
      // The handle keeps working without an endpoint.
      h.meter.createCounter('still.fine').add(1);
      expect(h.metricsUrl).toBeUndefined();
    } finally {
      blocker.close();
    }
  });

  it('logs a port clash once when the app does not await `ready`, and not at all when it does', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    const error = vi.spyOn(diag, 'error').mockImplementation(() => {});
    const logged = () => error.mock.calls.filter((c) => String(c[0]).includes(`port ${port}`)).length;
    try {
      const awaited = init({ prometheus: { port } });
      await expect(awaited.ready).rejects.toThrow(`port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
      expect(logged()).toBe(0);
      await awaited.shutdown();

      const ignored = init({ prometheus: { port } });
      await new Promise((r) => setTimeout(r, 200));
      expect(ignored.metricsUrl).toBeUndefined();
      expect(logged()).toBe(1);
    } finally {
      blocker.close();
    }
  });
});
