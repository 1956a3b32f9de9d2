import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { MetricsError } from '../src/errors.js';
import { exactly, expectExposition } from '../src/testing/index.js';
import { promtoolCheck } from './helpers.js';
import { exited, type Started, startApp, waitForOutput } from './register-support.js';

const IMPORT = ['--import', 'otel-metrics-bootstrap/register'];
const REQUIRE = ['--require', 'otel-metrics-bootstrap/register'];
const OWN_FILE = ['--import', './test/fixtures/register.mjs'];

async function scrape(app: Started): Promise<string> {
  const res = await fetch(app.metricsUrl!);
  expect(res.status).toBe(200);
  return res.text();
}

describe('otel-metrics-bootstrap/register', () => {
  it.each([
    ['an ESM app with --import', IMPORT, 'app.mjs'],
    ['a CommonJS app with --require', REQUIRE, 'app.cjs'],
  ] as const)('exposes metrics for %s with no code change', async (_name, preload, file) => {
    const app = await startApp(preload, file);
    expect(app.output().match(/serving metrics at/g)).toHaveLength(1);
    await fetch(`http://127.0.0.1:${app.appPort}/`);
    await fetch(`http://127.0.0.1:${app.appPort}/`);
    const text = await scrape(app);
    expectExposition(text)
      .toHaveSample('app_hits_total', exactly({ otel_scope_name: 'fixture-app' }), 2)
      .toHaveSample('target_info', { service_name: 'fixture' }, 1);
    await promtoolCheck(text);
  });

  it('prints the reason for a broken configuration and lets the app serve requests', async () => {
    const app = await startApp(IMPORT, 'app.mjs', { OTEL_EXPORTER_PROMETHEUS_PORT: 'abc' });
    expect(app.output()).toMatch(
      /metrics not started: OTEL_EXPORTER_PROMETHEUS_PORT: "abc" is not a port; use an integer from 0 to 65535/,
    );
    const res = await fetch(`http://127.0.0.1:${app.appPort}/`);
    expect(await res.text()).toBe('hello');
  });

  it('prints the reason when the port is taken, once, and lets the app serve requests', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const app = await startApp(REQUIRE, 'app.cjs', { OTEL_EXPORTER_PROMETHEUS_PORT: String(port) });
      const line = `metrics not started: metrics endpoint: port ${port} on localhost is already in use`;
      expect(app.output()).toContain(line);
      expect(await (await fetch(`http://127.0.0.1:${app.appPort}/`)).text()).toBe('hello');
      expect(app.output().split(`port ${port}`)).toHaveLength(2);
    } finally {
      blocker.close();
    }
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'flushes and closes on %s, then ends the process as Node would when the app has no handler',
    async (signal) => {
      const app = await startApp(IMPORT, 'app.mjs');
      app.child.kill(signal);
      expect(await exited(app.child)).toEqual({ code: null, signal });
      expect(app.output()).toContain(`metrics flushed and stopped after ${signal}`);
    },
  );

  it("leaves SIGTERM to the app's own handler when it has one", async () => {
    const app = await startApp(IMPORT, 'app.mjs', { APP_OWN_SIGTERM: '1' });
    app.child.kill('SIGTERM');
    expect(await exited(app.child)).toEqual({ code: 7, signal: null });
    expect(app.output()).toContain('app: own SIGTERM handler ran');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'shuts the metrics down on %s while the app finishes when drainTimeout is 0',
    async (signal) => {
      const app = await startApp(IMPORT, 'app.mjs', {
        [`APP_OWN_${signal}`]: '1',
        APP_EXIT_AFTER_MS: '10000',
        // 0 closes at once; by default the endpoint would keep serving through the app's 10 s drain.
        OMB_DRAIN_TIMEOUT: '0',
      });
      expect((await fetch(app.metricsUrl!)).status).toBe(200);
      app.child.kill(signal);
      // shutdown() closed the endpoint: new connections are refused while the app itself keeps serving.
      const deadline = Date.now() + 5_000;
      let closed = false;
      while (!closed && Date.now() < deadline) {
        closed = await fetch(app.metricsUrl!).then(
          () => false,
          () => true,
        );
        if (!closed) await new Promise((r) => setTimeout(r, 50));
      }
      expect(closed).toBe(true);
      expect(await (await fetch(`http://127.0.0.1:${app.appPort}/`)).text()).toBe('hello');
      expect(app.output()).toContain(`app: own ${signal} handler ran`);
    },
  );
});

describe('graceful drain after SIGTERM/SIGINT', () => {
  it("keeps serving scrapes while the app drains, then flushes and closes when the app's shutdown is done", async () => {
    const app = await startApp(IMPORT, 'app.mjs', { APP_DRAIN_MS: '1500' });
    app.child.kill('SIGTERM');
    await waitForOutput(app, /app: draining after SIGTERM/);
    // The app's last requests, served during its drain, are still scraped.
    expect(await (await fetch(`http://127.0.0.1:${app.appPort}/`)).text()).toBe('hello');
    expectExposition(await scrape(app)).toHaveSample('app_hits_total', {}, 1);
    expect(await exited(app.child)).toEqual({ code: 0, signal: null });
    const out = app.output();
    expect(out.indexOf('app: drained')).toBeGreaterThan(-1);
    expect(out.indexOf('metrics flushed and stopped after SIGTERM')).toBeGreaterThan(
      out.indexOf('app: drained'),
    );
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'closes the endpoint when drainTimeout passes after %s although the app still runs',
    async (signal) => {
      const app = await startApp(IMPORT, 'app.mjs', { APP_DRAIN_MS: '20000', OMB_DRAIN_TIMEOUT: '300' });
      await scrape(app);
      app.child.kill(signal);
      await waitForOutput(app, new RegExp(`metrics flushed and stopped after ${signal}`));
      await expect(fetch(app.metricsUrl!)).rejects.toThrow();
      expect(await (await fetch(`http://127.0.0.1:${app.appPort}/`)).text()).toBe('hello');
    },
  );

  it('does not wait for drainTimeout when the app exits first', async () => {
    const app = await startApp(IMPORT, 'app.mjs', { APP_DRAIN_MS: '100', OMB_DRAIN_TIMEOUT: '60000' });
    const t0 = Date.now();
    app.child.kill('SIGTERM');
    expect(await exited(app.child)).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(app.output()).toContain('metrics flushed and stopped after SIGTERM');
  });

  it('reads drainTimeout from OMB_DRAIN_TIMEOUT and rejects what is not a duration', () => {
    expect(resolveConfig({}, {}).drainTimeout).toBe(30_000);
    expect(resolveConfig({}, { OMB_DRAIN_TIMEOUT: '0' }).drainTimeout).toBe(0);
    expect(resolveConfig({ drainTimeout: 5 }, { OMB_DRAIN_TIMEOUT: '9' }).drainTimeout).toBe(5);
    expect(() => resolveConfig({}, { OMB_DRAIN_TIMEOUT: 'soon' })).toThrow(
      /OMB_DRAIN_TIMEOUT: "soon" is not valid; use an integer of at least 0/,
    );
    expect(() => resolveConfig({ drainTimeout: -1 })).toThrow(MetricsError);
  });
});

describe('register(config) in an app’s own register file', () => {
  it('starts once with the file’s options merged with the environment', async () => {
    const app = await startApp(OWN_FILE, 'app.mjs');
    expect(app.output().match(/serving metrics at/g)).toHaveLength(1);
    await fetch(`http://127.0.0.1:${app.appPort}/items/42`);
    const text = await scrape(app);
    expectExposition(text)
      // The explicit option wins over OTEL_SERVICE_NAME; the port still comes from the environment.
      .toHaveSample('target_info', { service_name: 'from-register-file' }, 1)
      .toHaveSample('app_hits_total', {}, 1)
      .toHaveSample('http_server_request_duration_seconds_count', { http_route: '/items/:id' }, 1);
    await promtoolCheck(text);
  });

  it('prints the reason for a configuration problem and lets the app serve requests', async () => {
    const app = await startApp(OWN_FILE, 'app.mjs', { OTEL_METRICS_EXPORTER: 'otlp' });
    expect(app.output()).toMatch(/otel-metrics-bootstrap: metrics not started: .*OTEL_METRICS_EXPORTER/);
    expect(await (await fetch(`http://127.0.0.1:${app.appPort}/`)).text()).toBe('hello');
  });

  it('installs the same signal handling as the built-in entry', async () => {
    const app = await startApp(OWN_FILE, 'app.mjs', { APP_DRAIN_MS: '1000' });
    app.child.kill('SIGTERM');
    await waitForOutput(app, /app: draining/);
    await scrape(app);
    expect(await exited(app.child)).toEqual({ code: 0, signal: null });
    expect(app.output()).toContain('metrics flushed and stopped after SIGTERM');
  });
});
