// End-to-end scrape over HTTP at 10k series, as Prometheus makes it, the target in one process and the scraper
// in another (this one), timing request start to last body byte.
//
// Request headers are Prometheus's own: `Accept-Encoding: gzip` and the `Accept` of Prometheus 2.x/3.x
// (OpenMetrics first); one row asks for the protobuf format first, as Prometheus does with native histograms on.
// Targets, each a fresh child process (`--target <name>`):
// - ours: the endpoint's node:http server (negotiation, gzip level 1 on the thread pool, chunked body);
// - ours-fetch: `createFetchHandler()`'s code served by `@hono/node-server` (a Fetch server on node:http);
// - upstream: the exporter's own server (it ignores Accept and Accept-Encoding: 4+ MB of text 0.0.4);
// - upstream + gzip: the exporter's collect() + serializer behind zlib.gzip at the default level, the way a user
//   would add compression in front of it (e.g. the `compression` middleware, default level 6).
// Per target: the first scrape of the process, 6 untimed scrapes, then the steady state two ways, interleaved,
// scrapes 600 ms apart (past the 500 ms coalescing window, so every scrape collects): "idle" (nothing recorded
// since the previous scrape) and "busy" (the application recorded into every series since the previous scrape,
// so the SDK merges every series into its cumulative state). Besides the wall time, the target's own CPU time
// (all its threads) across each scrape, which depends much less on what else the machine runs.
// `BENCH_HTTP_SERIES` (default 10000) and `BENCH_HTTP_RUNS` (default 11, per steady-state median) change the size;
// `BENCH_HTTP_ONLY=ours,upstream` runs some targets.
import { fork } from 'node:child_process';
import { createServer, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { environment, fmt } from './util.js';

const N = Number(process.env.BENCH_HTTP_SERIES ?? 10_000);
const RUNS = Number(process.env.BENCH_HTTP_RUNS ?? 11);
/** Past the endpoint's default coalescing window (500 ms), so no scrape shares the previous one's collection. */
const GAP_MS = 600;
/** Untimed scrapes between the first and the steady state. */
const WARMUP = 6;

/** What Prometheus 2.x and 3.x send (scrape_protocols default: OpenMetrics 1.0 / 0.0.1, then text). */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,' +
  'application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,' +
  'text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
/** What Prometheus sends with native histograms on: protobuf first. */
const PROTOBUF_ACCEPT =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,' +
  PROMETHEUS_ACCEPT;

if (process.argv[2] === '--target') await serveTarget(process.argv[3]);
else await main();

async function main() {
  console.log(environment());
  console.log(
    `${N} series; scraper in this process, each target in its own; Accept-Encoding: gzip; ` +
      `steady state: median of ${RUNS} scrapes ${GAP_MS} ms apart`,
  );
  const rows = [
    ['ours', 'ours', PROMETHEUS_ACCEPT],
    ['ours, protobuf Accept', 'ours', PROTOBUF_ACCEPT],
    ['ours-fetch', 'ours-fetch', PROMETHEUS_ACCEPT],
    ['upstream', 'upstream', PROMETHEUS_ACCEPT],
    ['upstream + gzip', 'upstream-gzip', PROMETHEUS_ACCEPT],
  ];
  const only = process.env.BENCH_HTTP_ONLY?.split(',');
  const results = new Map();
  console.log(
    `${'target'.padEnd(22)} ${'first'.padStart(8)} ${'idle'.padStart(8)} ${'busy'.padStart(8)} ` +
      `${'idle/1st'.padStart(8)} ${'busy/1st'.padStart(8)} | target CPU ms: first/idle/busy | body`,
  );
  for (const [label, target, accept] of rows) {
    if (only && !only.includes(target)) continue;
    const r = await measureTarget(target, accept);
    results.set(label, r);
    console.log(
      `${label.padEnd(22)} ${fmt(r.first).padStart(5)} ms ${fmt(r.idle).padStart(5)} ms ${fmt(r.busy).padStart(5)} ms ` +
        `${(r.idle / r.first).toFixed(2).padStart(8)} ${(r.busy / r.first).toFixed(2).padStart(8)} | ` +
        `${fmt(r.firstCpu)}/${fmt(r.idleCpu)}/${fmt(r.busyCpu)} | ` +
        `${(r.bytes / 1024).toFixed(0)} KB ${r.encoding}, ${r.contentType}`,
    );
  }
  const ours = results.get('ours');
  for (const other of ['upstream', 'upstream + gzip']) {
    const u = results.get(other);
    if (!ours || !u) continue;
    console.log(
      `${other}/ours wall: first ${(u.first / ours.first).toFixed(1)}x, idle ${(u.idle / ours.idle).toFixed(1)}x, ` +
        `busy ${(u.busy / ours.busy).toFixed(1)}x; target CPU: idle ${(u.idleCpu / ours.idleCpu).toFixed(1)}x, ` +
        `busy ${(u.busyCpu / ours.busyCpu).toFixed(1)}x`,
    );
  }
}

/** Starts `target` in a child process and takes its first scrape, then the idle and busy steady states. */
async function measureTarget(target, accept) {
  const child = fork(fileURLToPath(import.meta.url), ['--target', target], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`target ${target} exited with ${code}`)));
  });
  const call = (what) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send(what);
    });
  // The target's CPU time (all its threads: the thread pool's compression included) across one scrape: unlike
  // the wall time, it hardly depends on what else the machine runs.
  const timed = async () => {
    const before = await call('cpu');
    const r = await scrape(url, accept);
    const after = await call('cpu');
    return { ...r, cpu: after.cpu - before.cpu };
  };
  await call('settle');
  const first = await timed();
  // Code warms up over the next scrapes (the JIT tiers up); the steady state is measured after that, idle and
  // busy scrapes interleaved so that neither gets the warmer half of the run.
  for (let i = 0; i < WARMUP; i++) {
    if (i % 2 === 1) await call('record');
    await sleep(GAP_MS);
    await scrape(url, accept);
  }
  const idle = [];
  const busy = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    await sleep(GAP_MS);
    idle.push(await timed());
    await call('record');
    await sleep(GAP_MS);
    last = await timed();
    busy.push(last);
  }
  child.kill();
  return {
    ...last,
    first: first.ms,
    idle: median(idle.map((r) => r.ms)),
    busy: median(busy.map((r) => r.ms)),
    firstCpu: first.cpu,
    idleCpu: median(idle.map((r) => r.cpu)),
    busyCpu: median(busy.map((r) => r.cpu)),
  };
}

function scrape(url, accept) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(url, { headers: { accept, 'accept-encoding': 'gzip' }, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (c) => {
        bytes += c.length;
      });
      res.on('end', () =>
        resolve({
          ms: performance.now() - start,
          bytes,
          encoding: res.headers['content-encoding'] ?? 'identity',
          contentType: res.headers['content-type'],
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The target process: serves the fixture, records on `record`, answers `settle` once startup work is done. */
async function serveTarget(target) {
  const { ourEndpoint, ourFetchEndpoint, upstreamEndpoint } = await import('./fixture.js');
  let endpoint;
  if (target === 'ours') endpoint = await ourEndpoint(N);
  else if (target === 'ours-fetch') endpoint = await ourFetchEndpoint(N);
  else if (target === 'upstream') endpoint = await upstreamEndpoint(N);
  else if (target === 'upstream-gzip') endpoint = await upstreamGzipEndpoint(N);
  else throw new Error(`unknown target ${target}`);
  process.on('message', async (what) => {
    if (what === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send({ cpu: (user + system) / 1000 });
      return;
    }
    if (what === 'record') endpoint.record();
    // Startup leaves module loading and the first recordings' garbage behind; let it go before timing.
    if (what === 'settle') await sleep(GAP_MS);
    process.send(what);
  });
  process.send({ url: endpoint.url });
}

async function upstreamGzipEndpoint(n) {
  const { PrometheusSerializer } = await import('@opentelemetry/exporter-prometheus');
  const { upstreamEndpoint } = await import('./fixture.js');
  const gzipAsync = promisify(gzip);
  const upstream = await upstreamEndpoint(n);
  const serializer = new PrometheusSerializer();
  const server = createServer(async (_req, res) => {
    const { resourceMetrics } = await upstream.exporter.collect();
    const body = await gzipAsync(serializer.serialize(resourceMetrics));
    res.writeHead(200, {
      'content-type': 'text/plain; version=0.0.4',
      'content-encoding': 'gzip',
      'content-length': body.length,
    });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { ...upstream, url: `http://127.0.0.1:${server.address().port}/metrics` };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
