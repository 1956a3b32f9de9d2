// 200 simultaneous scrapes of 10k series (Accept-Encoding: gzip, as Prometheus sends it): how many SDK
// collections they cause and how long the application's event loop is blocked meanwhile.
//
// This process is the application: it hosts the target and samples its own event-loop delay
// (perf_hooks.monitorEventLoopDelay, 1 ms resolution) from just before the burst until the last response is
// out. The scrapers run in a child process (this file with `--client`): it opens all connections first, then
// writes every request in one loop, so the requests reach the target as close together as TCP allows.
//
// Contenders: ours with the coalescing window swept (0 = share only a collection still in progress, the old
// behaviour) at the default concurrency limit (10) and at 200 (every request admitted); the upstream
// PrometheusExporter with its own server; prom-client's `register.metrics()` behind node:http, the way its
// README serves it.
import { execFile, fork } from 'node:child_process';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { populatePromClient } from './fixture.js';
import { environment, fmt, gc } from './util.js';

const N = Number(process.env.BENCH_BURST_SERIES ?? 10_000);
const SCRAPES = Number(process.env.BENCH_BURST_SCRAPES ?? 200);
const ROUNDS = Number(process.env.BENCH_BURST_ROUNDS ?? 3);
const MODE = process.env.BENCH_BURST_MODE ?? 'fresh';
const WINDOWS = (process.env.BENCH_BURST_WINDOWS ?? '0,10,25,50,100,250')
  .split(',')
  .map((w) => (w === 'default' ? undefined : Number(w)));

/** Arrival times (ms) of the requests in the current burst, recorded by the server under test. */
const arrivals = [];
function recordArrivals(server) {
  server.prependListener('request', () => arrivals.push(performance.now()));
}

/** One burst against `url`; `counter()` reads how many collections the target has run so far. */
async function burst(client, port, path, counter) {
  const before = counter();
  arrivals.length = 0;
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const reply = new Promise((resolve) => client.once('message', resolve));
  client.send({ port, path, count: SCRAPES, mode: MODE });
  const { statuses, lastMs } = await reply;
  h.disable();
  return {
    collections: counter() - before,
    p99: h.percentile(99) / 1e6,
    max: h.max / 1e6,
    statuses,
    lastMs,
    spread: arrivals.length > 0 ? arrivals.at(-1) - arrivals[0] : 0,
  };
}

async function rounds(label, client, port, path, counter) {
  const runs = [];
  for (let i = 0; i < ROUNDS; i++) {
    gc();
    runs.push(await burst(client, port, path, counter));
  }
  const worst = (k) => Math.max(...runs.map((r) => r[k]));
  const statuses = Object.entries(runs.at(-1).statuses)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  console.log(
    `${label.padEnd(30)} | ${runs.map((r) => r.collections).join('/').padStart(11)} | ` +
      `${runs.map((r) => fmt(r.p99)).join('/').padStart(17)} | ${fmt(worst('max')).padStart(6)} | ` +
      `${fmt(worst('lastMs')).padStart(7)} | ${runs.map((r) => fmt(r.spread)).join('/')} | ${statuses}`,
  );
  return runs;
}

async function ours(client, window, maxConcurrentScrapes) {
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
  const { DEFAULTS } = await import('../dist/config.js');
  const { MetricsEndpoint } = await import('../dist/prometheus/handler.js');
  const { PrometheusReader } = await import('../dist/prometheus/reader.js');
  const { listen } = await import('../dist/prometheus/server.js');
  const { populateOtel } = await import('./fixture.js');
  const reader = new PrometheusReader({ cardinalityLimit: 2000 });
  let collections = 0;
  const collect = reader.collect.bind(reader);
  reader.collect = (o) => {
    collections++;
    return collect(o);
  };
  const provider = new MeterProvider({ readers: [reader] });
  populateOtel(provider.getMeter('bench'), N);
  const options = { ...DEFAULTS.prometheus, authToken: undefined, basicAuth: undefined, maxConcurrentScrapes };
  if (window !== undefined) options.coalesceWindow = window;
  const endpoint = new MetricsEndpoint(reader, options);
  const server = await listen(endpoint.handle, { host: '127.0.0.1', port: 0, path: '/metrics' });
  recordArrivals(server.server);
  const label = `ours window ${window ?? `${options.coalesceWindow} (default)`} ms, limit ${maxConcurrentScrapes}`;
  const runs = await rounds(label, client, Number(new URL(server.url).port), '/metrics', () => collections);
  await server.close();
  await provider.shutdown();
  return runs;
}

async function upstream(client) {
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
  const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
  const { populateOtel } = await import('./fixture.js');
  const exporter = new PrometheusExporter({ port: 0, host: '127.0.0.1', preventServerStart: true });
  let collections = 0;
  const collect = exporter.collect.bind(exporter);
  exporter.collect = (o) => {
    collections++;
    return collect(o);
  };
  const provider = new MeterProvider({ readers: [exporter] });
  populateOtel(provider.getMeter('bench'), N);
  await exporter.startServer();
  recordArrivals(exporter._server);
  await rounds('upstream PrometheusExporter', client, exporter._server.address().port, '/metrics', () => collections);
  await provider.shutdown();
}

async function promClient(client) {
  const { default: prom } = await import('prom-client');
  const registry = new prom.Registry();
  populatePromClient(prom, registry, N);
  let collections = 0;
  const server = createServer(async (_req, res) => {
    collections++;
    const body = await registry.metrics();
    res.writeHead(200, { 'Content-Type': registry.contentType });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  recordArrivals(server);
  await rounds('prom-client register.metrics()', client, server.address().port, '/metrics', () => collections);
  server.close();
}

async function main() {
  console.log(environment());
  console.log(`${SCRAPES} simultaneous scrapes of ${N} series, ${ROUNDS} rounds each (per round: a/b/c)`);
  console.log(
    'target                         | collections | loop delay p99 ms | max ms | last ms | statuses (last round)',
  );
  const client = fork(fileURLToPath(import.meta.url), ['--client'], { stdio: 'inherit' });
  for (const limit of [10, SCRAPES]) {
    for (const window of WINDOWS) {
      await ours(client, window, limit);
      gc();
    }
  }
  if (process.env.BENCH_BURST_OURS_ONLY) return client.kill();
  await upstream(client);
  gc();
  await promClient(client);
  client.kill();
}

if (process.argv[2] === '--client') {
  // Child: one burst per message from the parent; answers with status counts and timings.
  process.on('message', async ({ port, path, count, mode }) => {
    const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n`;
    // `fresh`: every scraper connects and sends at once, the way separate Prometheus servers (or `hey -c 200`)
    // arrive: requests reach the target spread over the time the accepts take. `preconnected`: all
    // connections are open before any request is written, so the requests arrive as one batch.
    if (mode === 'processes') {
      const start = performance.now();
      const results = await Promise.all(
        Array.from(
          { length: count },
          () =>
            new Promise((resolve) => {
              const url = `http://127.0.0.1:${port}${path}`;
              execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Accept-Encoding: gzip', url], (_e, out) =>
                resolve({ status: Number(out) || 0, ms: performance.now() - start }),
              );
            }),
        ),
      );
      const statuses = {};
      for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      process.send({ statuses, lastMs: Math.max(...results.map((r) => r.ms)) });
      return;
    }
    const sockets = Array.from({ length: count }, () => connect(port, '127.0.0.1'));
    if (mode === 'preconnected') await Promise.all(sockets.map((s) => new Promise((r) => s.once('connect', r))));
    const start = performance.now();
    const done = sockets.map(
      (s) =>
        new Promise((resolve) => {
          let head = '';
          s.on('data', (c) => {
            if (head.length < 16) head += c.toString('latin1', 0, 16);
          });
          s.on('close', () => resolve({ status: Number(head.slice(9, 12)) || 0, ms: performance.now() - start }));
          s.on('error', () => undefined);
        }),
    );
    for (const s of sockets) s.write(request);
    const results = await Promise.all(done);
    const statuses = {};
    for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    process.send({ statuses, lastMs: Math.max(...results.map((r) => r.ms)) });
  });
} else {
  await main();
}

