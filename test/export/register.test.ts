import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { lastValue, otlpHttpReceiver, waitFor } from './receivers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Runs the fixture app under `--import otel-metrics-bootstrap/register`, hits it three times, sends SIGTERM. */
async function runApp(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'otel-metrics-bootstrap/register', 'test/fixtures/app.mjs'],
    {
      cwd: root,
      env: {
        ...process.env,
        OTEL_SERVICE_NAME: 'fixture',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'runtime-node,host-metrics',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  cleanup.push(async () => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const port = await waitFor(() => /app listening (\d+)/.exec(out)?.[1], 15_000);
  for (let i = 0; i < 3; i++) await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
  const exit = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  child.kill('SIGTERM');
  return { signal: await exit, output: out };
}

describe('OTEL_METRICS_EXPORTER=otlp under the register entry', () => {
  it('pushes to the receiver and flushes the last interval on SIGTERM', async () => {
    const receiver = await otlpHttpReceiver();
    cleanup.push(receiver.close);
    // An hour-long interval: only the flush at SIGTERM can deliver the hits.
    const { signal, output } = await runApp({
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRIC_EXPORT_INTERVAL: '3600000',
    });
    expect(signal).toBe('SIGTERM');
    expect(output).toContain('metrics started (exporters: otlp)');
    const points = receiver.requests.flatMap((r) => r.points);
    expect(lastValue(points, 'app.hits')?.value).toBe(3);
    expect(lastValue(points, 'http.server.request.duration')?.value).toBe(3);
  });

  it('starts the valid exporters and reports the unknown one', async () => {
    const receiver = await otlpHttpReceiver();
    cleanup.push(receiver.close);
    const { output } = await runApp({
      OTEL_METRICS_EXPORTER: 'otlp,carrier-pigeon',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRIC_EXPORT_INTERVAL: '3600000',
    });
    expect(output).toMatch(/exporter not started: OTEL_METRICS_EXPORTER: unknown exporter "carrier-pigeon"/);
    expect(output).not.toContain('metrics not started');
    expect(
      lastValue(
        receiver.requests.flatMap((r) => r.points),
        'app.hits',
      )?.value,
    ).toBe(3);
  });
});
