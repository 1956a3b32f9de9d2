// Cluster mode, where a scrape's time goes (issue 17): one primary with BENCH_CLUSTER_WORKERS workers (default 8)
// of BENCH_CLUSTER_SERIES fixture series each (default 10k), scraped over HTTP (gzip) from a client in its own
// process, for each output. Per scrape: wall-clock time, CPU time of the primary and of the workers, and inside
// the primary the CPU of its phases: decoding the workers' answers, merging, serializing (the rest of the primary's
// CPU is IPC, its own collection, gzip and HTTP). CPU time, unlike wall-clock time, stays meaningful on a busy
// machine. Workers' CPU comes from /proc (Linux, 10 ms ticks, summed over the runs).
// BENCH_CLUSTER_TIMELINE=1: after the runs, one more scrape is traced: every process stamps its events on the
// shared wall clock (request arrival, asks sent, each worker's request arrival = collect start, encode start =
// collect end, encode end, answer sent; in the primary each answer's arrival, decode, merge, serialization
// slices, gzip end and response end), printed in order with the gaps, so the critical path and the idle cores
// show.
import cluster from 'node:cluster';
import diagnostics from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
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
const TIMELINE = process.env.BENCH_CLUSTER_TIMELINE === '1';

/** Wall-clock ms, comparable across processes. */
const now = () => performance.timeOrigin + performance.now();
/** The traced scrape's events: `[time, process, event]`; recording only while `tracing`. */
const events = [];
let tracing = false;
/** CPU ms of this process, user + system, all threads. */
const cpuTotal = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
let cpuMark = 0;
const stamp = (who, what) => {
  if (!tracing) return;
  // Workers stamp the CPU they used since their previous event too.
  if (who.startsWith('w')) {
    const c = cpuTotal();
    what = `${what}  [cpu +${(c - cpuMark).toFixed(1)}]`;
    cpuMark = c;
  }
  events.push([now(), who, what]);
};

/** Wraps `obj[name]` so each call is stamped at its start and end. */
function traceCalls(obj, name, who, what) {
  const original = obj[name];
  obj[name] = function (...args) {
    const w = typeof who === 'function' ? who(this) : who;
    stamp(w, `${what} start`);
    try {
      return original.apply(this, args);
    } finally {
      stamp(w, `${what} end`);
    }
  };
}

/** The tracing hooks of a worker: its part of the timeline goes to the primary when asked. */
async function traceWorker() {
  const { ClusterEncoder } = await import('../dist/cluster/codec.js');
  const who = `w${cluster.worker.id}`;
  traceCalls(ClusterEncoder.prototype, 'encode', who, 'collect end, encode');
  const send = process.send.bind(process);
  process.send = (m, ...rest) => {
    const answer = m !== null && typeof m === 'object' && 'ombMetrics' in m;
    if (answer) stamp(who, `answer send (${(m.data?.v?.length / 1024).toFixed(0)} KB base64)`);
    const r = send(m, ...rest);
    if (answer) stamp(who, 'answer send returned');
    if (answer) setImmediate(() => stamp(who, 'answer sent, next turn'));
    return r;
  };
  process.on('message', (m) => {
    if (m?.trace === true) {
      tracing = true;
      events.length = 0;
      cpuMark = cpuTotal();
    } else if (m?.trace === false) {
      stamp(who, 'trace asked back (cpu since the answer: GC and idle work after it)');
      tracing = false;
      send({ traced: events });
    } else if (m !== null && typeof m === 'object' && 'ombCollect' in m)
      stamp(who, 'ask received, collect start');
  });
}

/** The primary's tracing hooks. */
function tracePrimary(ClusterPrimary) {
  diagnostics.subscribe('http.server.request.start', () => stamp('P', 'request arrives'));
  diagnostics.subscribe('http.server.response.finish', () => stamp('P', 'response finished'));
  traceCalls(ClusterPrimary.prototype, 'collect', 'P', 'cluster collect (sync part)');
  traceCalls(cluster.Worker.prototype, 'send', (w) => `P→w${w.id}`, 'ask send');
  traceCalls(ClusterDecoder.prototype, 'decode', (d) => `P:w${d.extra.worker}`, 'decode');
  // Main merges one answer at a time (`start()` → `add()` each → `finish()`); older code merged all at once.
  if (ClusterMerger.prototype.start) {
    const start = ClusterMerger.prototype.start;
    ClusterMerger.prototype.start = function (...args) {
      const run = start.apply(this, args);
      traceCalls(run, 'add', (_r) => 'P', 'merge add');
      traceCalls(run, 'finish', 'P', 'merge finish');
      return run;
    };
  } else traceCalls(ClusterMerger.prototype, 'merge', 'P', 'merge');
  cluster.on('message', (w, m) => {
    if (m !== null && typeof m === 'object' && 'ombMetrics' in m) stamp(`P:w${w.id}`, 'answer arrives');
  });
  const end = zlib.Gzip.prototype.end;
  zlib.Gzip.prototype.end = function (...args) {
    stamp('P', 'gzip input written');
    this.on('end', () => stamp('P', 'gzip end'));
    return end.apply(this, args);
  };
}

/** Traces one scrape; prints its timeline relative to the request's arrival. */
async function traceScrape(scraper, url) {
  const workers = Object.values(cluster.workers);
  for (const w of workers) w.send({ trace: true });
  await new Promise((r) => setTimeout(r, 50));
  events.length = 0;
  tracing = true;
  const t0 = now();
  const cpu0 = process.cpuUsage();
  await scraper.scrape(url);
  const cpu = cpuMs(cpu0);
  stamp('P', 'client has the body');
  tracing = false;
  const all = [...events];
  await Promise.all(
    workers.map(
      (w) =>
        new Promise((resolve) => {
          const on = (m) => {
            if (m?.traced) {
              w.off('message', on);
              all.push(...m.traced);
              resolve();
            }
          };
          w.on('message', on);
          w.send({ trace: false });
        }),
    ),
  );
  all.sort((a, b) => a[0] - b[0]);
  const start = all.find((e) => e[2] === 'request arrives')?.[0] ?? t0;
  console.log(`  timeline of one scrape (ms since the request arrived; primary CPU ${cpu.toFixed(1)} ms):`);
  let last = start;
  for (const [t, who, what] of all) {
    console.log(
      `  ${(t - start).toFixed(1).padStart(7)}  +${(t - last).toFixed(1).padStart(5)}  ${who.padEnd(8)} ${what}`,
    );
    last = t;
  }
}

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
  if (ClusterMerger.prototype.start) {
    const start = ClusterMerger.prototype.start;
    ClusterMerger.prototype.start = function (...args) {
      const run = start.apply(this, args);
      timePhase(phases, 'merge', run, 'add');
      timePhase(phases, 'merge', run, 'finish');
      return run;
    };
  } else timePhase(phases, 'merge', ClusterMerger.prototype, 'merge');
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
  if (TIMELINE) tracePrimary((await import('../dist/cluster/primary.js')).ClusterPrimary);
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
  if (TIMELINE) await traceScrape(scraper, handle.metricsUrl);
  scraper.stop();
  for (const w of Object.values(cluster.workers)) w.kill();
  await handle.shutdown();
  process.exit(0);
}

if (cluster.isWorker) {
  if (TIMELINE) await traceWorker();
  const handle = initMeter({ cluster: true, runtime: false, host: false, http: false });
  populateOtel(handle.meter, SERIES);
  process.send('populated');
} else if (process.argv[2] === '--primary') await primary(process.argv[3]);
else {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  console.log(environment());
  console.log(`${WORKERS} workers × ${SERIES} series, mean of ${RUNS} scrapes, ms per scrape`);
  for (const output of (process.env.BENCH_CLUSTER_OUTPUTS ?? 'per-worker,aggregated').split(',')) {
    spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--primary', output], { stdio: 'inherit' });
  }
}
