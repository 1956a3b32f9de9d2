import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExposition } from '../../src/testing/index.js';
import { promtoolCheck, referenceParse } from '../helpers.js';
import { freePort, waitFor } from '../processes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const processes: ChildProcess[] = [];
let metricsUrl = '';
let demoOutput = '';

beforeAll(async () => {
  const demo = spawn(process.execPath, ['examples/demo/server.js'], {
    cwd: root,
    env: { ...process.env, DEMO_PORT: '0', OTEL_EXPORTER_PROMETHEUS_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push(demo);
  demo.stdout!.on('data', (d) => (demoOutput += d));
  demo.stderr!.on('data', (d) => (demoOutput += d));
  metricsUrl = await waitFor('the demo to start', async () => /metrics:\s+(\S+)/.exec(demoOutput)?.[1]);
});

afterAll(() => {
  for (const p of processes) p.kill('SIGKILL');
});

describe('npm run demo', () => {
  it('prints the app and metrics URLs and serves business metrics that pass promtool', async () => {
    expect(demoOutput).toMatch(/demo app:\s+http:\/\/127\.0\.0\.1:\d+\/users\/42/);
    const text = await waitFor('traffic to show up', async () => {
      const t = await (await fetch(metricsUrl)).text();
      return /^orders_placed_total\{/m.test(t) && /^checkout_duration_seconds_bucket\{/m.test(t)
        ? t
        : undefined;
    });
    const exposition = expectExposition(text).toHaveFamily('checkout_duration_seconds', {
      type: 'histogram',
    });
    const orders = exposition.samples('orders_placed_total');
    expect(orders.length).toBeGreaterThan(0);
    for (const { labels, value } of orders) {
      expect(['card', 'paypal']).toContain(labels['payment_method']);
      expect(Number.isInteger(value) && value > 0, `orders_placed_total ${value}`).toBe(true);
    }
    await promtoolCheck(text);
    await referenceParse(text);
  });

  it('records HTTP server metrics labelled with the route template, never the raw path', async () => {
    const text = await waitFor('HTTP metrics for /users/:id', async () => {
      const t = await (await fetch(metricsUrl)).text();
      return /^http_server_request_duration_seconds_bucket\{.*http_route="\/users\/:id".*\} \d+$/m.test(t)
        ? t
        : undefined;
    });
    expect(text).toMatch(/^# TYPE http_server_request_duration_seconds histogram$/m);
    expect(text).not.toMatch(/http_route="\/users\/\d+"/);
    expect(text).toMatch(/^http_server_active_requests\{/m);
    // Every metric in the README's HTTP table has samples (the demo's traffic comes from its own fetch()).
    for (const family of ['http_server_request_body_size_bytes', 'http_server_response_body_size_bytes']) {
      expect(text).toMatch(new RegExp(`^${family}_count\\{.*http_route="/users/:id".*\\} [1-9]`, 'm'));
    }
    expect(text).toMatch(/^http_client_request_duration_seconds_count\{.*\} [1-9]/m);
    await promtoolCheck(text);
    await referenceParse(text);
  });

  it('is scraped by a real Prometheus server without errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omb-prom-'));
    try {
      const target = new URL(metricsUrl);
      writeFileSync(
        join(dir, 'prometheus.yml'),
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: demo\n    metrics_path: ${target.pathname}\n` +
          `    static_configs:\n      - targets: ['${target.host}']\n`,
      );
      const port = await freePort();
      const prom = spawn(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: 'ignore' },
      );
      processes.push(prom);
      const api = `http://127.0.0.1:${port}/api/v1`;
      const target0 = await waitFor('Prometheus to scrape the demo', async () => {
        const body = (await (await fetch(`${api}/targets`)).json()) as {
          data: { activeTargets: { health: string; lastError: string }[] };
        };
        const t = body.data.activeTargets[0];
        return t && t.health !== 'unknown' ? t : undefined;
      });
      expect(target0).toMatchObject({ health: 'up', lastError: '' });
      const series = await waitFor('checkout histogram in Prometheus', async () => {
        const q = encodeURIComponent('sum(checkout_duration_seconds_count{job="demo"})');
        const body = (await (await fetch(`${api}/query?query=${q}`)).json()) as {
          data: { result: { value: [number, string] }[] };
        };
        return body.data.result[0];
      });
      expect(Number(series.value[1])).toBeGreaterThan(0);
      prom.kill('SIGTERM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
