import { afterAll, describe, expect, it } from 'vitest';
import { expectExposition } from '../../src/testing/index.js';
import { promtoolCheck } from '../helpers.js';
import { type Started, startProcess, waitFor } from '../processes.js';

let started: Started | undefined;
afterAll(() => {
  started?.child.kill('SIGKILL');
});

describe('examples/cluster', () => {
  it('starts with one command and serves every worker from one endpoint, each under its worker label', async () => {
    started = await startProcess(
      ['examples/cluster/server.js'],
      [/app:\s+(\S+)/, /metrics: (http:\/\/\S+)/],
      {
        env: { PORT: '0', OTEL_EXPORTER_PROMETHEUS_PORT: '0' },
        ms: 60_000,
      },
    );
    const [appUrl, metricsUrl] = started.matches as [string, string];
    // New connection per request, so the cluster hands them to its workers in turn.
    for (let i = 0; i < 8; i++) {
      expect((await fetch(appUrl, { headers: { connection: 'close' } })).status).toBe(200);
    }
    const text = await waitFor(
      'eight requests in a scrape',
      async () => {
        const t = await (await fetch(metricsUrl)).text();
        const counts = [...t.matchAll(/^http_server_request_duration_seconds_count\{[^}]*\} (\d+)$/gm)];
        return counts.reduce((sum, m) => sum + Number(m[1]), 0) === 8 ? t : undefined;
      },
      30_000,
    );
    expectExposition(text).toHaveSample('http_server_request_duration_seconds_count', {
      http_route: '/users/:id',
      worker: '1',
    });
    expect(text).toMatch(/worker="primary"/);
    await promtoolCheck(text);
  }, 90_000);
});
