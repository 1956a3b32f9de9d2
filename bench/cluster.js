// Cluster mode: scrape latency in the primary against workers (1, 2, 4, 8) and series per worker (1k, 10k),
// next to prom-client's AggregatorRegistry on the same data in the same workers, in one run. Each size runs in a
// fresh primary (initMeter is once per process) that forks real node:cluster workers; every worker holds the
// fixture's series both on our meter and on prom-client's global registry.
// - ours: GET /metrics on the primary's endpoint (text 0.0.4, gzip as Prometheus asks for it, coalescing off),
//   from a client in its own process, as Prometheus is: the primary asks each worker over IPC, merges,
//   serializes, compresses. (A fetch inside the primary would charge the client's work — receiving,
//   decompressing and decoding up to 53 MB — to the server's event loop.) Default output (per-worker, a
//   `worker` label: N× the series), `output: 'aggregated'` (counters and histograms added; gauges by the
//   default policy, kept per worker: N× the gauge series) and `output: 'aggregated'` with `gauges: 'sum'`
//   (prom-client's default for gauges: the same series count as prom-client's output).
// - prom-client: `await new AggregatorRegistry().clusterMetrics()` in the primary (no HTTP: its best case).
// Ours and prom-client alternate, so the machine's load hits both alike. Next to each wall-clock median, the
// median CPU time of the primary and the workers per scrape (the client's not included). Also: the IPC payload, our codec
// against JSON of the SDK's ResourceMetrics (what a naive implementation would send), encode+decode time.
import { spawnSync } from 'node:child_process';
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import client from 'prom-client';
import { ClusterDecoder, ClusterEncoder } from '../dist/cluster/codec.js';
import { initMeter } from '../dist/index.js';
import { PrometheusReader } from '../dist/prometheus/reader.js';
import { populateOtel, populatePromClient } from './fixture.js';
import { startScraper } from './scraper.js';
import { environment, fmt, median } from './util.js';

const WORKERS = (process.env.BENCH_CLUSTER_WORKERS ?? '1,2,4,8').split(',').map(Number);
const SERIES = (process.env.BENCH_CLUSTER_SERIES ?? '1000,10000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_CLUSTER_RUNS ?? 9);
// Scrapes before timing, for each side. A service is scraped for as long as it runs, so the steady state is the
// latency users see; the primary reaches it only after several scrapes of a large cluster (at 8 × 10k its CPU per
// scrape is ~1 s for the first, which carries the workers' dictionaries, ~180 ms for the next five or six, ~55 ms
// after that: docs/benchmarks.md). BENCH_CLUSTER_WARMUP=2 gives the earlier figures.
const WARMUP = Number(process.env.BENCH_CLUSTER_WARMUP ?? 10);

/** Runs in a fresh process: the primary of one cluster size. Prints one JSON line. */
async function primary(workers, variant) {
  const [output, gauges] = variant.split('+');
  const handle = initMeter({
    cluster: { output, timeout: 5000, ...(gauges !== undefined && { gauges }) },
    runtime: false,
    host: false,
    http: false,
    prometheus: { port: 0, coalesceWindow: 0, selfMetrics: false, scrapeTimeout: 30_000 },
  });
  await handle.ready;
  const aggregator = new client.AggregatorRegistry();
  let populated = 0;
  await new Promise((resolve) => {
    cluster.on('message', (_w, m) => {
      if (m === 'populated' && ++populated === workers) resolve();
    });
    for (let i = 0; i < workers; i++) cluster.fork();
  });
  // Let the workers' ready announcements arrive.
  await new Promise((r) => setTimeout(r, 200));
  const pids = Object.values(cluster.workers).map((w) => w.process.pid);
  const scraper = startScraper();
  let bytes = 0;
  let promBytes = 0;
  const ours = { wall: [], cpu: [] };
  const theirs = { wall: [], cpu: [] };
  const timed = async (into, fn, keep) => {
    const cpu = cpuNow(pids);
    const t = performance.now();
    const result = await fn();
    if (keep) {
      into.wall.push(performance.now() - t);
      into.cpu.push(cpuNow(pids) - cpu);
    }
    return result;
  };
  let promTimeouts = 0;
  for (let i = 0; i < RUNS + WARMUP; i++) {
    bytes = await timed(ours, () => scraper.scrape(handle.metricsUrl), i >= WARMUP);
    // prom-client gives up after a fixed 5 s (its cluster.js); under heavy load it can: counted, not fatal.
    const text = await timed(theirs, () => aggregator.clusterMetrics().catch(() => undefined), i >= WARMUP);
    if (text === undefined) promTimeouts++;
    else promBytes = text.length;
  }
  const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(
    JSON.stringify({
      ours: med(ours.wall),
      oursCpu: med(ours.cpu),
      theirs: med(theirs.wall),
      theirsCpu: med(theirs.cpu),
      bytes,
      promBytes,
      promTimeouts,
    }),
  );
  scraper.stop();
  for (const w of Object.values(cluster.workers)) w.kill();
  await handle.shutdown();
  process.exit(0);
}

/**
 * CPU time used so far by this process and the workers, in ms: a busy machine stretches wall-clock times by
 * however much CPU the other processes take, CPU time much less. Workers' from /proc (10 ms ticks; Linux only,
 * else 0), summed over the runs before the median, so the resolution evens out.
 */
function cpuNow(pids) {
  const own = process.cpuUsage();
  let workers = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      workers += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // Not Linux: the primary's CPU only.
    }
  }
  return (own.user + own.system) / 1000 + workers;
}

async function worker(series) {
  const handle = initMeter({ cluster: true, runtime: false, host: false, http: false });
  populateOtel(handle.meter, series);
  populatePromClient(client, client.register, series);
  // prom-client's workers answer once an AggregatorRegistry exists in them too (it adds the listener).
  new client.AggregatorRegistry();
  process.send('populated');
}

/** Our codec against JSON of the SDK objects, for one process's `series`. */
async function payload(series) {
  const reader = new PrometheusReader({ cardinalityLimit: 100_000 });
  const provider = new MeterProvider({ readers: [reader] });
  populateOtel(provider.getMeter('bench'), series);
  const { resourceMetrics } = await reader.collect();
  // Steady state, as on every scrape after the first: the primary holds the worker's dictionary, so only the
  // numbers travel. The JSON side does the least the primary would have to: parse, and give every point its
  // `worker` label.
  const encoder = new ClusterEncoder();
  const decoder = new ClusterDecoder({ worker: '1' });
  const first = JSON.stringify({ ombMetrics: 1, data: encoder.encode(resourceMetrics, decoder.have()) });
  decoder.decode(JSON.parse(first).data);
  let size = 0;
  const codec = await median(() => {
    const wire = JSON.stringify({ ombMetrics: 1, data: encoder.encode(resourceMetrics, decoder.have()) });
    size = wire.length;
    decoder.decode(JSON.parse(wire).data);
  });
  let jsonSize = 0;
  const json = await median(() => {
    const wire = JSON.stringify({ scopeMetrics: resourceMetrics.scopeMetrics });
    jsonSize = wire.length;
    for (const scope of JSON.parse(wire).scopeMetrics) {
      for (const metric of scope.metrics) {
        for (const point of metric.dataPoints) point.attributes = { ...point.attributes, worker: '1' };
      }
    }
  });
  await provider.shutdown();
  return { codec, size, firstSize: first.length, json, jsonSize };
}

const [mode, ...args] = process.argv.slice(2);
if (cluster.isWorker) await worker(Number(process.env.BENCH_SERIES));
else if (mode === '--primary') await primary(Number(args[0]), args[2]);
else {
  console.log(environment());
  console.log(
    'IPC payload per worker, steady state (encode + JSON.stringify + JSON.parse + decode, median of 10):',
  );
  for (const series of SERIES) {
    const p = await payload(series);
    console.log(
      `  ${String(series).padStart(6)} series: codec ${fmt(p.codec)} ms, ${(p.size / 1024).toFixed(0)} KB ` +
        `(first answer, with the dictionary: ${(p.firstSize / 1024).toFixed(0)} KB); ` +
        `JSON of ResourceMetrics (stringify + parse + worker label) ${fmt(p.json)} ms, ${(p.jsonSize / 1024).toFixed(0)} KB`,
    );
  }
  console.log(
    `\nscrape in the primary, median of ${RUNS}: wall-clock ms (CPU ms of primary + workers); ` +
      'per-worker = default output, N× the series; aggregated = counters and histograms summed, gauges per ' +
      'worker (the default policy); aggr. + sum = gauges summed too, as prom-client does; ratios = prom-client / ours',
  );
  console.log(
    'workers  series/worker   ours per-worker    ours aggregated    ours aggr. + sum        prom-client' +
      '  ratio per-worker  ratio aggregated  ratio aggr. + sum',
  );
  const script = fileURLToPath(import.meta.url);
  const run = (workers, series, output) => {
    const r = spawnSync(process.execPath, [script, '--primary', workers, series, output], {
      env: { ...process.env, BENCH_SERIES: String(series) },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`primary ${workers}×${series} ${output} failed:\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(line);
  };
  for (const series of SERIES) {
    for (const workers of WORKERS) {
      const per = run(workers, series, 'per-worker');
      const agg = run(workers, series, 'aggregated');
      const sum = run(workers, series, 'aggregated+sum');
      const prom = (per.theirs + agg.theirs + sum.theirs) / 3;
      const promCpu = (per.theirsCpu + agg.theirsCpu + sum.theirsCpu) / 3;
      const cell = (wall, cpu) => `${fmt(wall)} (${fmt(cpu)})`.padStart(17);
      const timeouts = per.promTimeouts + agg.promTimeouts + sum.promTimeouts;
      console.log(
        `${String(workers).padStart(7)}  ${String(series).padStart(13)}  ${cell(per.ours, per.oursCpu)}  ` +
          `${cell(agg.ours, agg.oursCpu)}  ${cell(sum.ours, sum.oursCpu)}  ${cell(prom, promCpu)}  ` +
          `${(prom / per.ours).toFixed(2).padStart(15)}×  ${(prom / agg.ours).toFixed(2).padStart(15)}×  ` +
          `${(prom / sum.ours).toFixed(2).padStart(16)}×` +
          `   (${[per.bytes, agg.bytes, sum.bytes, per.promBytes].map((b) => `${(b / 1e6).toFixed(1)} MB`).join(' / ')})` +
          (timeouts > 0 ? `  prom-client timed out ${timeouts}× (5 s)` : ''),
      );
    }
  }
}
