// What the runtime, process and host collectors cost: per scrape, per second of idle time, and per `require()`
// (the global require hook that constructing an OTel instrumentation installs). Side by side with no collectors
// and with prom-client's collectDefaultMetrics(), in one run, as ratios. Runs on the built dist/ (npm run build).
//
//   node bench/runtime-overhead.js            # everything, ≈ 40 s
//   SCRAPES=300 IDLE_SECONDS=5 node bench/runtime-overhead.js
//
// Idle and require measurements run in child processes: collectors keep timers and the require hook is never
// removed, so each configuration needs a fresh process.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const SCRAPES = Number(process.env.SCRAPES ?? 300);
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 3);
const IDLE_ROUNDS = Number(process.env.IDLE_ROUNDS ?? 3);
const REQUIRES = Number(process.env.REQUIRES ?? 200_000);
const self = fileURLToPath(import.meta.url);

const CONFIGS = {
  none: { runtime: false, host: false },
  defaults: {},
  'defaults+system': { host: { groups: ['process', 'system'] } },
  'defaults+promClientCompat': { promClientCompat: true },
};

const cpuMs = (u) => (u.user + u.system) / 1000;
const fmt = (n, d = 3) => n.toFixed(d);

/** Builds a provider exactly as initMeter() does (views, buckets, Prometheus reader) with the collectors on it. */
async function pipeline(config) {
  const { resolveConfig } = await import('../dist/config.js');
  const { BucketAdvisingMeterProvider, buildViews } = await import('../dist/views.js');
  const { PrometheusReader } = await import('../dist/prometheus/reader.js');
  const { PrometheusSerializer } = await import('../dist/prometheus/serializer.js');
  const { startRuntimeMetrics } = await import('../dist/runtime/collectors.js');
  const resolved = resolveConfig(config, {});
  const reader = new PrometheusReader({ cardinalityLimit: resolved.cardinalityLimit });
  const provider = new BucketAdvisingMeterProvider(
    { views: buildViews(resolved.views), readers: [reader] },
    resolved.views.unitBuckets,
  );
  const collectors = startRuntimeMetrics(provider, resolved);
  const serializer = new PrometheusSerializer();
  return {
    async scrape() {
      const { resourceMetrics } = await reader.collect();
      return serializer.serialize(resourceMetrics);
    },
    async close() {
      collectors.stop();
      await provider.shutdown();
    },
  };
}

/** Collect + serialize, N times: wall and CPU per scrape, and the series count. */
async function measureScrapes(name, scrape) {
  let text = '';
  for (let i = 0; i < 20; i++) text = await scrape(); // warm-up, JIT, first GC kinds
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < SCRAPES; i++) text = await scrape();
  const wall = (performance.now() - t0) / SCRAPES;
  const cpu = cpuMs(process.cpuUsage(cpu0)) / SCRAPES;
  const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  return { name, wall, cpu, series };
}

async function scrapeSection() {
  const rows = [];
  for (const [name, config] of Object.entries(CONFIGS)) {
    const p = await pipeline(config);
    rows.push(await measureScrapes(name, p.scrape));
    await p.close();
  }
  const require = createRequire(import.meta.url);
  const promClient = require('prom-client');
  const registry = new promClient.Registry();
  promClient.collectDefaultMetrics({ register: registry });
  rows.push(await measureScrapes('prom-client collectDefaultMetrics', () => registry.metrics()));

  const base = rows.find((r) => r.name === 'defaults');
  console.log(`\n## Per scrape (collect + serialize, in process, ${SCRAPES} scrapes each)\n`);
  console.log('| configuration | series | wall ms/scrape | CPU ms/scrape | wall vs defaults |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.series} | ${fmt(r.wall)} | ${fmt(r.cpu)} | ${fmt(r.wall / base.wall, 2)} |`,
    );
  }
}

/** Runs this file in a child with `--child <mode> <config>` and returns its JSON line. */
function child(mode, name) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [self, '--child', mode, name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()))
        : reject(new Error(`${mode} ${name}: exit ${code}`)),
    );
  });
}

async function idleSection() {
  const names = [
    'baseline',
    ...Object.keys(CONFIGS).filter((n) => n !== 'none'),
    'defaults, precision 50 ms',
    'prom-client collectDefaultMetrics',
  ];
  // Rounds interleave the configurations so a burst of load from elsewhere hits all of them; median per row.
  const samples = new Map(names.map((n) => [n, []]));
  for (let round = 0; round < IDLE_ROUNDS; round++) {
    for (const name of names) samples.get(name).push((await child('idle', name)).cpuPerSecond);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = names.map((name) => ({ name, cpuPerSecond: median(samples.get(name)) }));
  const base = rows[0];
  console.log(
    `\n## Idle (no scrapes), CPU over ${IDLE_SECONDS} s in a fresh process, median of ${IDLE_ROUNDS} rounds\n`,
  );
  console.log('| configuration | CPU ms per idle second | added vs baseline (ms/s) |');
  console.log('| --- | ---: | ---: |');
  for (const r of rows)
    console.log(`| ${r.name} | ${fmt(r.cpuPerSecond)} | ${fmt(r.cpuPerSecond - base.cpuPerSecond)} |`);
}

async function requireSection() {
  const r = await child('require', 'defaults');
  console.log(
    `\n## require() of an already-loaded module, ${REQUIRES} calls, before/after the collectors start\n`,
  );
  console.log('| module | ns/call before | ns/call after | ratio |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [mod, v] of Object.entries(r)) {
    console.log(`| ${mod} | ${fmt(v.before, 0)} | ${fmt(v.after, 0)} | ${fmt(v.after / v.before, 2)} |`);
  }
}

async function runChild(mode, name) {
  if (mode === 'idle') {
    if (name === 'prom-client collectDefaultMetrics') {
      const promClient = createRequire(import.meta.url)('prom-client');
      promClient.collectDefaultMetrics({ register: new promClient.Registry() });
    } else if (name !== 'baseline') {
      const { initMeter } = await import('../dist/index.js');
      const config =
        name === 'defaults, precision 50 ms' ? { runtime: { monitoringPrecision: 50 } } : CONFIGS[name];
      initMeter({ prometheus: false, ...config });
    }
    // Both sides load the same modules; only the collectors' steady-state cost is measured.
    await new Promise((r) => setTimeout(r, 1000)); // let start-up GCs and JIT settle
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const seconds = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ cpuPerSecond: cpuMs(process.cpuUsage(cpu0)) / seconds }));
    return;
  }
  if (mode === 'require') {
    const require = createRequire(import.meta.url);
    const mods = ['node:path', 'prom-client'];
    for (const m of mods) require(m);
    const time = (m) => {
      for (let i = 0; i < REQUIRES / 2; i++) require(m); // warm-up: the first calls run unoptimized
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < REQUIRES; i++) require(m);
      return Number(process.hrtime.bigint() - t0) / REQUIRES;
    };
    const before = Object.fromEntries(mods.map((m) => [m, time(m)]));
    const { initMeter } = await import('../dist/index.js');
    const h = initMeter({ prometheus: false, ...CONFIGS[name] });
    const result = Object.fromEntries(mods.map((m) => [m, { before: before[m], after: time(m) }]));
    await h.shutdown();
    console.log(JSON.stringify(result));
  }
}

if (process.argv[2] === '--child') {
  await runChild(process.argv[3], process.argv[4]);
} else {
  console.log(
    `# runtime-overhead — Node ${process.version}, ${(await import('node:os')).cpus().length} cores`,
  );
  await scrapeSection();
  await idleSection();
  await requireSection();
}
