import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { promisify } from 'node:util';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { initMeter, type MetricsHandle } from '../../src/init.js';
import { expectExposition } from '../../src/testing/index.js';
import { lastValue, otlpHttpReceiver } from './receivers.js';

const run = promisify(execFile);
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Captures what the library logs through OTel diag (set after initMeter(), which installs its own logger). */
function captureDiag(): string[] {
  const lines: string[] = [];
  const record = (message: string) => lines.push(message);
  diag.setLogger(
    { error: record, warn: record, info: () => {}, debug: () => {}, verbose: () => {} },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  return lines;
}
function init(config: Parameters<typeof initMeter>[0]): MetricsHandle {
  const h = initMeter(config);
  cleanup.push(() => h.shutdown());
  return h;
}

/** A port that refuses connections: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createNetServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function scrape(h: MetricsHandle) {
  await h.ready;
  return expectExposition(await (await fetch(h.metricsUrl!)).text());
}

describe('export failures', () => {
  it('leaves the app unaffected by a backend down for 500 intervals: heap flat, timer on time, one log line', async () => {
    const port = await closedPort();
    const child = await run(
      process.execPath,
      ['--expose-gc', new URL('../fixtures/export-down-child.mjs', import.meta.url).pathname],
      {
        env: { ...process.env, DOWN_URL: `http://127.0.0.1:${port}`, INTERVALS: '500' },
        timeout: 110_000,
      },
    );
    const r = JSON.parse(child.stdout) as {
      heapAt100: number;
      heapAt500: number;
      ticks: number;
      worstLagMs: number;
      failures: { otlp: number; pushgateway: number; dropped: number };
      shutdownMs: number;
    };
    expect(r.failures.otlp).toBeGreaterThanOrEqual(500);
    expect(r.failures.pushgateway).toBeGreaterThanOrEqual(500);
    // Delta points lost with the failed OTLP exports are counted, not queued.
    expect(r.failures.dropped).toBeGreaterThan(0);
    // Flat: 400 more failed intervals of each exporter add less than 2 MiB of live heap.
    expect(r.heapAt500 - r.heapAt100).toBeLessThan(2 * 1024 * 1024);
    expect(r.ticks).toBeGreaterThan(50);
    // One line per exporter for the whole streak, not one per attempt.
    const lines = child.stderr.split('\n').filter((l) => l.includes('export failed'));
    expect(lines).toHaveLength(2);
    expect(lines.some((l) => l.includes('otlp export failed'))).toBe(true);
    expect(lines.some((l) => l.includes('pushgateway export failed'))).toBe(true);
  }, 120_000);

  it('delivers the data once a receiver answering 503 recovers, and logs one line per failure streak', async () => {
    let healthy = false;
    const receiver = await otlpHttpReceiver((n) => (n < 2 || !healthy ? 503 : 200));
    cleanup.push(receiver.close);
    const h = init({
      prometheus: { port: 0 },
      runtime: false,
      host: false,
      otlp: { endpoint: receiver.url, intervalMs: 3_600_000, timeoutMs: 1_500 },
    });
    const logged = captureDiag();
    h.meter.createCounter('survives').add(4);
    // Streak 1: two exports fail (the upstream exporter retries the 503 once within 1.5 s); one line.
    await h.forceFlush();
    await h.forceFlush();
    expect(receiver.attempts()).toBeGreaterThanOrEqual(2);
    expect(logged.filter((m) => m.includes('otlp export failed'))).toHaveLength(1);
    // The receiver recovers: the next export gets through (the upstream exporter retries 503 with backoff).
    healthy = true;
    await h.forceFlush();
    expect(
      lastValue(
        receiver.requests.flatMap((r) => r.points),
        'survives',
      )?.value,
    ).toBe(4);
    const e = await scrape(h);
    e.toHaveSample('omb_export_requests_total', { exporter: 'otlp', outcome: 'failure' }, 2);
    e.toHaveSample('omb_export_requests_total', { exporter: 'otlp', outcome: 'success' }, 1);
    // Streak 2 gets its own line.
    healthy = false;
    await h.forceFlush();
    expect(logged.filter((m) => m.includes('otlp export failed'))).toHaveLength(2);
  });

  it('retries a Pushgateway answering 503 then 200 within one push', async () => {
    let answered = 0;
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(answered++ < 2 ? 503 : 200).end());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => new Promise((r) => server.close(r)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const h = init({
      prometheus: { port: 0 },
      runtime: false,
      host: false,
      pushgateway: { url, job: 'j', intervalMs: 3_600_000 },
    });
    h.meter.createCounter('x').add(1);
    await h.forceFlush();
    expect(answered).toBe(3);
    (await scrape(h)).toHaveSample(
      'omb_export_requests_total',
      { exporter: 'pushgateway', outcome: 'success' },
      1,
    );
  });

  it('returns from shutdown() within its deadline when the backend never answers, and says what was lost', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = createNetServer((s) => sockets.add(s)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanup.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => silent.close(r));
    });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const h = initMeter({
      prometheus: false,
      runtime: false,
      host: false,
      otlp: { endpoint: url, intervalMs: 3_600_000, timeoutMs: 60_000 },
      pushgateway: { url, job: 'j', intervalMs: 3_600_000, timeoutMs: 60_000 },
      shutdownTimeoutMs: 300,
    });
    const logged = captureDiag();
    h.meter.createCounter('never').add(1);
    const started = performance.now();
    await h.shutdown();
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2_000);
    const said = logged.filter((m) => m.includes('shutdown:'));
    expect(said.some((m) => m.includes('otlp') && m.includes('still running'))).toBe(true);
    expect(said.some((m) => m.includes('pushgateway') && m.includes('still running'))).toBe(true);
  });
});
