// 200 simultaneous scrapes of 10k series (Accept-Encoding: gzip, as Prometheus sends it): how many SDK
// collections they cause and how long the application's event loop is blocked meanwhile.
//
// This process is the application: it hosts the target and samples its own event-loop delay
// (perf_hooks.monitorEventLoopDelay, 1 ms resolution) from just before the burst until the last response has
// arrived at the scrapers. The scrapers run in a child process (this file with `--client`), one TCP connection
// each, in one of these arrival patterns:
//   staggered  each scraper sends at a random instant within BENCH_BURST_SPREAD ms (default 1000): scrapers
//              started "at the same time" by independent timers, the pattern that defeated coalescing;
//   fresh      every scraper connects and sends at once (`hey -c 200`): requests arrive as fast as the
//              accepts go;
//   processes  200 `curl` processes started at once (opt-in, BENCH_BURST_PROCESSES=1): how the finding
//              was reproduced; on a loaded machine starting them takes tens of seconds.
//
// Contenders: ours with the coalescing window swept (0 = share only a collection still in progress, the old
// behaviour) at the default concurrency limit (10) and at 200 (every request admitted); the upstream
// PrometheusExporter with its own server; prom-client's `register.metrics()` behind node:http, the way its
// README serves it. A collection is one call of the reader's / exporter's `collect()` or of
// `register.metrics()`.
import { execFile, fork } from 'node:child_process';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ourEndpoint, populateOtel, populatePromClient, upstreamEndpoint } from './fixture.js';
import { environment, fmt, gc } from './util.js';

const N = Number(process.env.BENCH_BURST_SERIES ?? 10_000);
const SCRAPES = Number(process.env.BENCH_BURST_SCRAPES ?? 200);
const ROUNDS = Number(process.env.BENCH_BURST_ROUNDS ?? 3);
const SPREAD = Number(process.env.BENCH_BURST_SPREAD ?? 1000);
// BENCH_BURST_WINDOWS= (empty) and BENCH_BURST_LIMITS=10 run only the default window at the default limit.
const WINDOWS = (process.env.BENCH_BURST_WINDOWS ?? '0,50,100,250,500')
  .split(',')
  .filter((w) => w !== '')
  .map(Number);
const LIMITS = (process.env.BENCH_BURST_LIMITS ?? `10,${SCRAPES}`).split(',').map(Number);
const PAUSE_MS = Math.max(1000, ...WINDOWS) + 100;

/** Arrival times (ms) of the requests in the current burst, recorded by the server under test. */
const arrivals = [];
function recordArrivals(server) {
  server.prependListener('request', () => arrivals.push(performance.now()));
}

/**
 * Main-thread CPU time between consecutive turns of a 1 ms timer: how long the loop was busy with our own work
 * between two chances to run anything else. Unlike the delay histogram it does not grow when the machine's
 * other processes deschedule this one (CPU time stops while descheduled), so on a busy machine it is the figure
 * that shows what the endpoint itself blocks. Compression on the thread pool is not on this thread's clock.
 */
function blockingSampler() {
  const gaps = [];
  let last = process.threadCpuUsage();
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const now = process.threadCpuUsage();
    gaps.push((now.user - last.user + now.system - last.system) / 1000);
    last = now;
    setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  return () => {
    stopped = true;
    gaps.sort((a, b) => a - b);
    return { p99: gaps[Math.floor(gaps.length * 0.99)] ?? 0, max: gaps.at(-1) ?? 0 };
  };
}

/** One burst; `counter()` reads how many collections the target has run so far. */
async function burst(client, port, mode, counter) {
  const before = counter();
  arrivals.length = 0;
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const blocking = blockingSampler();
  const reply = new Promise((resolve) => client.once('message', resolve));
  client.send({ port, mode, count: SCRAPES, spread: SPREAD });
  const { statuses, lastMs } = await reply;
  h.disable();
  const cpu = blocking();
  return {
    cpuP99: cpu.p99,
    cpuMax: cpu.max,
    collections: counter() - before,
    p99: h.percentile(99) / 1e6,
    max: h.max / 1e6,
    statuses,
    lastMs,
    spread: arrivals.length > 0 ? arrivals.at(-1) - arrivals[0] : 0,
  };
}

/** ROUNDS bursts after one warm-up scrape; prints one row and returns the runs. */
async function rounds(label, client, port, mode, counter) {
  await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.arrayBuffer());
  const runs = [];
  for (let i = 0; i < ROUNDS; i++) {
    gc();
    // Longer than any window swept, so no burst shares the warm-up's or the previous burst's collection.
    await new Promise((r) => setTimeout(r, PAUSE_MS));
    runs.push(await burst(client, port, mode, counter));
  }
  const all = (k, f = fmt) => runs.map((r) => f(r[k])).join('/');
  const statuses = Object.entries(runs.at(-1).statuses)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  console.log(
    `| ${label} | ${mode} | ${all('collections', String)} | ${all('p99')} | ${fmt(Math.max(...runs.map((r) => r.max)))} | ` +
      `${all('cpuP99')} | ${fmt(Math.max(...runs.map((r) => r.cpuMax)))} | ` +
      `${all('spread', (v) => fmt(v))} | ${fmt(Math.max(...runs.map((r) => r.lastMs)))} | ${statuses} |`,
  );
  return runs;
}

/** Counts the calls of `object[method]` from now on; returns the reader of the count. */
function countCalls(object, method) {
  let calls = 0;
  const original = object[method].bind(object);
  object[method] = (...args) => {
    calls++;
    return original(...args);
  };
  return () => calls;
}

/** Our endpoint over the fixture, with this coalescing window (`undefined`: the default) and concurrency limit. */
async function ours(window, maxConcurrentScrapes) {
  const { DEFAULTS } = await import('../dist/config.js');
  const coalesceWindow = window ?? DEFAULTS.prometheus.coalesceWindow;
  const endpoint = await ourEndpoint(N, { coalesceWindow, maxConcurrentScrapes });
  recordArrivals(endpoint.server);
  return {
    label: `ours, window ${coalesceWindow} ms${window === undefined ? ' (default)' : ''}, limit ${maxConcurrentScrapes}`,
    port: Number(new URL(endpoint.url).port),
    collections: countCalls(endpoint.reader, 'collect'),
    close: endpoint.close,
  };
}

async function upstream() {
  const endpoint = await upstreamEndpoint(N);
  recordArrivals(endpoint.exporter._server);
  return {
    label: 'upstream PrometheusExporter',
    port: Number(new URL(endpoint.url).port),
    collections: countCalls(endpoint.exporter, 'collect'),
    close: endpoint.close,
  };
}

async function promClient() {
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
  return {
    label: 'prom-client register.metrics()',
    port: server.address().port,
    collections: () => collections,
    close: () => new Promise((r) => server.close(r)),
  };
}

async function run(client, target, modes) {
  const t = await target;
  for (const mode of modes) await rounds(t.label, client, t.port, mode, t.collections);
  await t.close();
  gc();
}

/** The event-loop delay with no scrapes at all, over `ms`: what the shared machine alone costs. */
async function idleDelay(ms) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await new Promise((r) => setTimeout(r, ms));
  h.disable();
  return `p99 ${fmt(h.percentile(99) / 1e6)} ms, max ${fmt(h.max / 1e6)} ms`;
}

/** One SDK collect() of the fixture, the one block of a scrape that cannot yield (fastest of 5). */
async function collectMs() {
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
  const { PrometheusReader } = await import('../dist/prometheus/reader.js');
  const reader = new PrometheusReader({ cardinalityLimit: 2000 });
  const provider = new MeterProvider({ readers: [reader] });
  populateOtel(provider.getMeter('bench'), N);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await reader.collect();
    best = Math.min(best, performance.now() - t);
  }
  await provider.shutdown();
  return best;
}

async function main() {
  console.log(environment());
  console.log(`no scrapes (noise floor of this machine, 2 s): loop delay ${await idleDelay(2000)}`);
  console.log(`one SDK collect() of ${N} series: ${fmt(await collectMs())} ms (fastest of 5)`);
  console.log(
    `${SCRAPES} scrapes of ${N} series, ${ROUNDS} rounds each (a/b/c = per round); staggered spread ${SPREAD} ms`,
  );
  console.log(
    '| target | arrivals | SDK collections | loop delay p99 ms | max ms | loop-blocking CPU p99 ms | max ms | arrival spread ms | last response ms | statuses (last round) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const client = fork(fileURLToPath(import.meta.url), ['--client'], { stdio: 'inherit' });
  const modes = process.env.BENCH_BURST_PROCESSES === '1' ? ['fresh', 'processes'] : ['fresh'];
  // BENCH_BURST_ONLY=ours or =peers runs one half.
  const only = process.env.BENCH_BURST_ONLY;
  if (only !== 'peers') {
    for (const limit of LIMITS) {
      for (const window of WINDOWS) await run(client, ours(window, limit), ['staggered']);
      await run(client, ours(undefined, limit), ['staggered', ...modes]);
    }
  }
  if (only !== 'ours') {
    await run(client, upstream(), ['staggered', 'fresh']);
    await run(client, promClient(), ['staggered', 'fresh']);
  }
  client.kill();
}

/** The scrapers' side: one burst per message; answers with the status counts and the last response time. */
async function scrapers({ port, mode, count, spread }) {
  const start = performance.now();
  const one =
    mode === 'processes'
      ? () =>
          new Promise((resolve) => {
            const args = ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Accept-Encoding: gzip'];
            execFile('curl', [...args, `http://127.0.0.1:${port}/metrics`], (_err, out) =>
              resolve(Number(out)),
            );
          })
      : () =>
          new Promise((resolve) => {
            const socket = connect(port, '127.0.0.1');
            let head = '';
            socket.on('data', (c) => {
              if (head.length < 12) head += c.toString('latin1', 0, 12);
            });
            socket.on('close', () => resolve(Number(head.slice(9, 12))));
            socket.on('error', () => undefined);
            const send = () =>
              socket.write(
                'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n',
              );
            if (mode === 'staggered') setTimeout(send, Math.random() * spread);
            else send();
          });
  const codes = await Promise.all(Array.from({ length: count }, one));
  const statuses = {};
  for (const code of codes) statuses[code || 'error'] = (statuses[code || 'error'] ?? 0) + 1;
  process.send({ statuses, lastMs: performance.now() - start });
}

if (process.argv[2] === '--client') process.on('message', scrapers);
else await main();
