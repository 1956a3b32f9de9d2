// Cluster mode, where a scrape's time goes (issue 17): one primary with BENCH_CLUSTER_WORKERS workers (default 8)
// of BENCH_CLUSTER_SERIES fixture series each (default 10k), scraped over HTTP (gzip) from a client in its own
// process, for each output. Per scrape: wall-clock time, CPU time of the primary and of the workers, and inside
// the primary the CPU of its phases: decoding the workers' answers, merging, serializing (the rest of the primary's
// CPU is IPC, its own collection, gzip and HTTP). CPU time, unlike wall-clock time, stays meaningful on a busy
// machine. Workers' CPU comes from /proc (Linux, 10 ms ticks, summed over the runs).
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { ClusterDecoder } from '../dist/cluster/codec.js';
import { ClusterMerger } from '../dist/cluster/merge.js';
import { initMeter } from '../dist/index.js';
import { PrometheusSerializer } from '../dist/prometheus/serializer.js';
import { populateOtel } from './fixture.js';
import { startScraper } from './scraper.js';
import { environment } from './util.js';

const WORKERS = Number(process.env.BENCH_CLUSTER_WORKERS ?? 8);
const SERIES = Number(process.env.BENCH_CLUSTER_SERIES ?? 10000);
const RUNS = Number(process.env.BENCH_CLUSTER_RUNS ?? 6);

const cpuMs = (since) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};

/** Wraps `obj[name]` so the CPU time spent in it is added to `phases[phase]`. */
function timePhase(phases, phase, obj, name) {
  const original = obj[name];
  obj[name] = function (...args) {
    const start = process.cpuUsage();
    try {
      return original.apply(this, args);
    } finally {
      phases[phase] += cpuMs(start);
    }
  };
}

function workerTicks(pids) {
  let ms = 0;
  for (const pid of pids) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    ms += (Number(fields[11]) + Number(fields[12])) * 10;
  }
  return ms;
}

async function primary(output) {
  const phases = { decode: 0, merge: 0, serialize: 0 };
  timePhase(phases, 'decode', ClusterDecoder.prototype, 'decode');
  timePhase(phases, 'merge', ClusterMerger.prototype, 'merge');
  // The serializer is a generator: its CPU is spent in each `next()`.
  const chunks = PrometheusSerializer.prototype.chunks;
  PrometheusSerializer.prototype.chunks = function* (...args) {
    const it = chunks.apply(this, args);
    for (;;) {
      const start = process.cpuUsage();
      const r = it.next();
      phases.serialize += cpuMs(start);
      if (r.done) return;
      yield r.value;
    }
  };
  const handle = initMeter({
    cluster: { output, timeout: 30_000 },
    runtime: false,
    host: false,
    http: false,
    prometheus: { port: 0, coalesceWindow: 0, selfMetrics: false, scrapeTimeout: 60_000 },
  });
  await handle.ready;
  await new Promise((resolve) => {
    let populated = 0;
    cluster.on('message', (_w, m) => {
      if (m === 'populated' && ++populated === WORKERS) resolve();
    });
    for (let i = 0; i < WORKERS; i++) cluster.fork();
  });
  await new Promise((r) => setTimeout(r, 200));
  const pids = Object.values(cluster.workers).map((w) => w.process.pid);
  const scraper = startScraper();
  let bytes = 0;
  for (let i = 0; i < 2; i++) bytes = await scraper.scrape(handle.metricsUrl);
  for (const k of Object.keys(phases)) phases[k] = 0;
  const workers0 = workerTicks(pids);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) await scraper.scrape(handle.metricsUrl);
  const per = (x) => (x / RUNS).toFixed(1);
  const primaryCpu = cpuMs(cpu0);
  const workersCpu = workerTicks(pids) - workers0;
  const rest = primaryCpu - phases.decode - phases.merge - phases.serialize;
  console.log(
    `${output.padEnd(10)}  wall ${per(performance.now() - t0)}  primary CPU ${per(primaryCpu)} ` +
      `(decode ${per(phases.decode)}, merge ${per(phases.merge)}, serialize ${per(phases.serialize)}, ` +
      `rest: own collection, IPC, gzip, HTTP ${per(rest)})  workers CPU ${per(workersCpu)} ` +
      `(${per(workersCpu / WORKERS)} each)  body ${(bytes / 1e6).toFixed(1)} MB`,
  );
  scraper.stop();
  for (const w of Object.values(cluster.workers)) w.kill();
  await handle.shutdown();
  process.exit(0);
}

if (cluster.isWorker) {
  const handle = initMeter({ cluster: true, runtime: false, host: false, http: false });
  populateOtel(handle.meter, SERIES);
  process.send('populated');
} else if (process.argv[2] === '--primary') await primary(process.argv[3]);
else {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  console.log(environment());
  console.log(`${WORKERS} workers × ${SERIES} series, mean of ${RUNS} scrapes, ms per scrape`);
  for (const output of ['per-worker', 'aggregated']) {
    spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--primary', output], { stdio: 'inherit' });
  }
}
