// HTTP server overhead of metrics, side by side on a hello-world server:
//   bare                  no metrics
//   ours                  initMeter() (diagnostics_channel + pre-bound series)
//   instrumentation-http  @opentelemetry/instrumentation-http 0.301 + SDK MeterProvider (metrics only)
//   prom-client           prom-client histogram + gauge by hand in the handler
//   bare-again            a second bare server: the A/A control, it shows how far the run's noise goes
// Opt-in: `ours-exponential` (the durations as exponential histograms) and `baseline` (`ours` from another build
// of this package, BASELINE_DIST=<its dist/ folder>: a before/after comparison of a change in one run).
// Each variant is its own server process pinned to CPU 0 (taskset); wrk runs on CPU 1. Two figures per variant:
// throughput (req/s, what wrk saw) and the server's CPU time per request (process.cpuUsage() delta / requests
// served); at saturation throughput is the inverse of CPU per request, so "capacity" = bare CPU/request ÷
// variant CPU/request is the ratio to read. Ratios are paired per round (variant ÷ the same round's bare), then
// the median is taken.
//
// Two ways to share the machine (--mode):
//   concurrent (default)  every round loads all variants at once, one wrk each: they share CPU 0 under the
//                         same neighbours at the same moment, so steal time and frequency changes hit them
//                         alike. On a VM with steal time this is what makes a few per cent visible: the A/A
//                         control stayed within 1-2 % of bare per round, where one variant at a time moved ±15 %.
//   interleaved           one variant at a time, rotating the order (A B C D, B C D A, …); each has the core to
//                         itself, so figures are closer to a lone server's, but drift between rounds stays in.
// At the end the request count in our /metrics scrape must equal the requests served.
//
//   node bench/http-overhead.js [--mode concurrent|interleaved] [--rounds 8] [--duration 3] [--connections 50]
//                               [--variants bare,ours,...] [--fresh]
// --fresh starts a new server process for every variant in every round (see the loop for why).
// Run on the built dist/ (`npm run build`). Needs wrk and taskset.
import { execFile, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ALL_VARIANTS = [
  'bare',
  'ours',
  'instrumentation-http',
  'prom-client',
  'channels-only',
  'ours-defaults',
  'ours-http-off',
  'ours-exponential',
  'baseline',
  'bare-again',
];
// `ours` is initMeter() with runtime and host metrics off, so it measures the HTTP metrics alone (their own cost
// is bench/runtime-overhead.js). Opt-in via --variants: `ours-defaults` (initMeter() with every default on),
// `ours-http-off` (initMeter() with HTTP, runtime and host metrics all off: what the rest of the library costs)
// and `channels-only` (no-op listeners on the two server channels: the floor any diagnostics_channel recorder
// pays).
let VARIANTS = [...ALL_VARIANTS.slice(0, 4), 'bare-again'];
const BODY = 'hello world';

if (process.argv[2] === '--server') {
  await serve(process.argv[3]);
} else {
  await main();
}

async function main() {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'concurrent' },
      rounds: { type: 'string', default: '8' },
      duration: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      variants: { type: 'string' },
      fresh: { type: 'boolean', default: false },
    },
  });
  if (VARIANTS.includes('baseline') && !process.env.BASELINE_DIST)
    throw new Error(
      'the baseline variant needs BASELINE_DIST=<dist/ folder of another build of this package>',
    );
  if (values.variants) VARIANTS = values.variants.split(',');
  if (VARIANTS[0] !== 'bare' || VARIANTS.some((v) => !ALL_VARIANTS.includes(v)))
    throw new Error(`--variants: a comma list starting with bare, from ${ALL_VARIANTS.join(', ')}`);
  if (values.mode !== 'concurrent' && values.mode !== 'interleaved')
    throw new Error(`--mode: concurrent or interleaved, not ${values.mode}`);
  const concurrent = values.mode === 'concurrent';
  const rounds = Number(values.rounds);
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const cpus = availableParallelism();
  const serverCpu = '0';
  const loadCpu = cpus > 1 ? '1' : '0';

  const servers = {};
  for (const v of VARIANTS) servers[v] = await startServer(v, serverCpu);

  const rps = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  const cpu = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  try {
    for (const v of VARIANTS) await wrk(servers[v].url, 1, connections, loadCpu); // warm up the JIT
    const fresh = async (v) => {
      // A new process per round: JIT and heap decisions differ between processes by a few per cent, so one
      // process per variant for the whole run can bias that variant; fresh ones average it out.
      servers[v].child.kill();
      servers[v] = await startServer(v, serverCpu);
      await wrk(servers[v].url, 1, connections, loadCpu);
    };
    const measure = async (vs) => {
      const before = await Promise.all(vs.map((v) => ask(servers[v], 'stats')));
      const rates = await Promise.all(vs.map((v) => wrk(servers[v].url, duration, connections, loadCpu)));
      const after = await Promise.all(vs.map((v) => ask(servers[v], 'stats')));
      return vs.map((v, i) => {
        const usPerRequest = (after[i].cpu - before[i].cpu) / (after[i].served - before[i].served);
        rps[v].push(rates[i]);
        cpu[v].push(usPerRequest);
        return `${v.padEnd(22)} ${rates[i].toFixed(0).padStart(7)} req/s ${usPerRequest.toFixed(2).padStart(7)} µs CPU/request`;
      });
    };
    for (let r = 0; r < rounds; r++) {
      if (values.fresh && r > 0) for (const v of VARIANTS) await fresh(v);
      if (concurrent) {
        for (const line of await measure(VARIANTS)) console.log(`round ${r + 1} ${line}`);
        continue;
      }
      // Rotate the starting variant so none always runs first in a round.
      for (const v of VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length])) {
        console.log(`round ${r + 1} ${(await measure([v]))[0]}`);
      }
    }
    // Ratios are paired per round (variant ÷ the same round's bare), then the median is taken: interleaving
    // plus pairing cancels most of the drift other processes cause between rounds.
    const median = (a) => {
      const sorted = [...a].sort((x, y) => x - y);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    };
    console.log(
      '\nvariant                median req/s  req/s ratio  median µs CPU/req  capacity ratio (bare CPU ÷ variant CPU)',
    );
    for (const v of VARIANTS) {
      const rpsRatio = median(rps[v].map((x, i) => x / rps.bare[i]));
      const capacity = median(cpu[v].map((x, i) => cpu.bare[i] / x));
      console.log(
        `${v.padEnd(22)} ${median(rps[v]).toFixed(0).padStart(12)}  ${rpsRatio.toFixed(3).padStart(11)}  ` +
          `${median(cpu[v]).toFixed(2).padStart(17)}  ${capacity.toFixed(3)}`,
      );
    }
    for (const v of ['ours', 'ours-exponential', 'baseline'].filter((name) => servers[name])) {
      const ours = await ask(servers[v], 'count');
      console.log(
        `\n${v}: requests served ${ours.served}, http_server_request_duration_seconds_count in the scrape ` +
          `${ours.counted} → ${ours.served === ours.counted ? 'equal' : 'MISMATCH'}`,
      );
      if (ours.served !== ours.counted) process.exitCode = 1;
    }
  } finally {
    for (const v of VARIANTS) servers[v].child.kill();
  }
}

function startServer(variant, cpu) {
  // taskset pins the child (and the threads it starts) to one core.
  const child = fork(fileURLToPath(import.meta.url), ['--server', variant], {
    execPath: 'taskset',
    execArgv: ['-c', cpu, process.execPath],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
    child.once('message', (m) => resolve({ child, url: m.url, pending: new Map() }));
  });
}

function ask(server, what) {
  return new Promise((resolve) => {
    server.child.once('message', resolve);
    server.child.send(what);
  });
}

function wrk(url, seconds, connections, cpu) {
  return new Promise((resolve, reject) => {
    execFile(
      'taskset',
      ['-c', cpu, 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, url],
      (err, stdout) => {
        if (err) return reject(err);
        const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
        if (!m) return reject(new Error(`cannot read wrk output:\n${stdout}`));
        resolve(Number(m[1]));
      },
    );
  });
}

async function serve(variant) {
  const require = createRequire(import.meta.url);
  let served = 0;
  let count = async () => served;
  let http = await import('node:http');
  let handler = (_req, res) => {
    served++;
    res.end(BODY);
  };

  if (variant.startsWith('ours') || variant === 'baseline') {
    const dist =
      variant === 'baseline'
        ? new URL('index.js', `file://${process.env.BASELINE_DIST.replace(/\/?$/, '/')}`).href
        : '../dist/index.js';
    const { initMeter } = await import(dist);
    const telemetry = initMeter({
      serviceName: 'bench',
      prometheus: { port: 0 },
      ...(variant !== 'ours-defaults' && { runtime: false, host: false }),
      ...(variant === 'ours-http-off' && { http: false }),
      ...(variant === 'ours-exponential' && { histogramAggregation: 'exponential' }),
    });
    await telemetry.ready;
    if (variant === 'ours-exponential') {
      // The text exposition may not carry exponential histograms: count through the producer readers use.
      const { createHttpMetricProducer } = await import('../dist/http/instrumentation.js');
      count = async () => {
        const { resourceMetrics } = await createHttpMetricProducer().collect();
        const duration = resourceMetrics.scopeMetrics
          .flatMap((s) => s.metrics)
          .find((m) => m.descriptor.name === 'http.server.request.duration');
        return (duration?.dataPoints ?? []).reduce((n, p) => n + p.value.count, 0);
      };
    } else
      count = async () => {
        const text = await (await fetch(telemetry.metricsUrl)).text();
        let total = 0;
        for (const line of text.split('\n')) {
          if (line.startsWith('http_server_request_duration_seconds_count{'))
            total += Number(line.split(' ').pop());
        }
        return total;
      };
  } else if (variant === 'instrumentation-http') {
    const { MeterProvider } = require('@opentelemetry/sdk-metrics');
    const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');
    const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
    const { registerInstrumentations } = require('@opentelemetry/instrumentation');
    const reader = new PrometheusExporter({ preventServerStart: true });
    const meterProvider = new MeterProvider({ readers: [reader] });
    registerInstrumentations({ instrumentations: [new HttpInstrumentation()], meterProvider });
    http = require('node:http'); // the patched module object
  } else if (variant === 'prom-client') {
    const client = require('prom-client');
    const duration = new client.Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP server requests.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    });
    const active = new client.Gauge({
      name: 'http_server_active_requests',
      help: 'Active requests.',
      labelNames: ['method'],
    });
    handler = (req, res) => {
      served++;
      const end = duration.startTimer();
      active.inc({ method: req.method });
      res.once('finish', () => {
        active.dec({ method: req.method });
        end({ method: req.method, route: '/', status_code: res.statusCode });
      });
      res.end(BODY);
    };
  } else if (variant === 'channels-only') {
    const dc = await import('node:diagnostics_channel');
    dc.subscribe('http.server.request.start', () => {});
    dc.subscribe('http.server.response.finish', () => {});
  } else if (variant !== 'bare' && variant !== 'bare-again') {
    throw new Error(`unknown variant ${variant}`);
  }

  const server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.send({ url: `http://127.0.0.1:${server.address().port}/` });
  });
  process.on('message', async (m) => {
    if (m === 'stats') {
      const { user, system } = process.cpuUsage();
      process.send({ served, cpu: user + system });
    } else if (m === 'count') {
      await new Promise((r) => setTimeout(r, 200)); // let the last responses finish
      process.send({ served, counted: await count() });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
