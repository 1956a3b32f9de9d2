// Hostile connections against the metrics endpoint (issue 10, findings 3 and 4). Each server runs in its own
// child process, and so does the attacker, so neither shares an event loop with the probe (this process).
//
// idle: N idle TCP connections (256, 1000; 0 for the machine's own noise), kept at N by reconnecting whenever the server closes one, while a
//   probe asks for /healthz and /metrics on a fresh connection every 100 ms for 5 s. Prints the slowest answer
//   and how many probes got none within 2 s. Ours over HTTP and HTTPS (the attacker never starts a TLS
//   handshake), a plain prom-client `http.createServer` endpoint, and the upstream `PrometheusExporter` server.
// slow-readers: 40 clients that send a scrape of a 100k-series body (no compression) and never read, against
//   40 ordinary scrapes that are read, each row in a fresh server process. Back to back (each client as soon as
//   the previous response started, so most share a collection) and spaced (each past the previous one's
//   coalescing window, so every client gets a collection of its own: the worst case for memory). Prints the
//   server's RSS growth over its steady state, SDK collections, major GCs, the server's CPU time, and when each
//   connection was closed, counted from the first byte of its response. BENCH_SLOW_TIMINGS=back-to-back (or
//   spaced) runs one timing; BENCH_RSS_TRACE=/tmp/trace writes each server's memory every 20 ms to
//   /tmp/trace.<pid>.
//
// `node bench/run.js endpoint-connections` runs both; `node bench/endpoint-connections.js idle|slow-readers`
// runs one. 1000 connections need about 2100 descriptors in each process: check `ulimit -n`.
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environment, fmt } from './util.js';

const self = fileURLToPath(import.meta.url);
const PROBE_MS = 5000;
const PROBE_EVERY_MS = 100;
const PROBE_TIMEOUT_MS = 2000;
const SLOW_READERS = 40;
const SLOW_SERIES = Number(process.env.BENCH_SLOW_SERIES ?? 100_000);
const SEND_TIMEOUT_MS = 5000;
/** The endpoint's default coalescing window (prometheus.coalesceWindow). */
const COALESCE_MS = 500;
// Which request timings the slow-readers rows use: BENCH_SLOW_TIMINGS=back-to-back,spaced.
const SLOW_TIMINGS = (process.env.BENCH_SLOW_TIMINGS ?? 'back-to-back,spaced').split(',');
// Which idle rows to run: BENCH_IDLE_SERVERS=ours-https BENCH_IDLE_COUNTS=1000 BENCH_IDLE_REPEAT=3.
const IDLE_SERVERS = (process.env.BENCH_IDLE_SERVERS ?? 'ours-http,ours-https,prom-client,upstream').split(
  ',',
);
const IDLE_COUNTS = (process.env.BENCH_IDLE_COUNTS ?? '0,256,1000').split(',').map(Number);
const IDLE_REPEAT = Number(process.env.BENCH_IDLE_REPEAT ?? 1);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the servers (child processes)

async function serve(kind, series) {
  let collections = 0;
  // Major GCs (mark-compact), to show what decides when garbage is freed.
  let majorGcs = 0;
  const { PerformanceObserver, constants } = await import('node:perf_hooks');
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
  }).observe({ entryTypes: ['gc'] });
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
  const { populateOtel, populatePromClient } = await import('./fixture.js');
  let url;
  let server;
  if (kind.startsWith('ours')) {
    const { DEFAULTS } = await import('../dist/config.js');
    const { MetricsEndpoint } = await import('../dist/prometheus/handler.js');
    const { PrometheusReader } = await import('../dist/prometheus/reader.js');
    const { listen } = await import('../dist/prometheus/server.js');
    const reader = new PrometheusReader({ cardinalityLimit: 2000 });
    populateOtel(new MeterProvider({ readers: [reader] }).getMeter('bench'), series);
    // Counted so the output shows how many scrapes shared a collection.
    const collect = reader.collect.bind(reader);
    reader.collect = (o) => {
      collections++;
      return collect(o);
    };
    const closed = {};
    const count = (reason) => {
      closed[reason] = (closed[reason] ?? 0) + 1;
    };
    const options = {
      ...DEFAULTS.prometheus,
      authToken: undefined,
      basicAuth: undefined,
      sendTimeout: SEND_TIMEOUT_MS,
    };
    // Only the connection counter is of interest here; the endpoint calls the rest.
    const selfMetrics = { connectionClosed: count, request() {}, exposition() {}, observeInFlight() {} };
    const endpoint = new MetricsEndpoint(reader, options, selfMetrics);
    const tls =
      kind === 'ours-https'
        ? {
            key: readFileSync(process.env.BENCH_TLS_KEY, 'utf8'),
            cert: readFileSync(process.env.BENCH_TLS_CERT, 'utf8'),
          }
        : undefined;
    const listening = await listen(endpoint.handle, {
      host: '127.0.0.1',
      port: 0,
      path: '/metrics',
      tls,
      onConnectionClosed: count,
    });
    url = listening.url;
    server = listening.server;
    process.on('message', (m) => m === 'closed' && process.send({ closed }));
  } else if (kind === 'prom-client') {
    const client = (await import('prom-client')).default;
    const { createServer } = await import('node:http');
    const registry = new client.Registry();
    populatePromClient(client, registry, series);
    server = createServer(async (_req, res) => {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(body);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${server.address().port}/metrics`;
  } else {
    const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
    // The exporter reads `port: 0` as "unset" and takes 9464, which may be busy: find a free port first.
    const probe = (await import('node:net')).createServer();
    await new Promise((r) => probe.listen(0, '127.0.0.1', r));
    const port = probe.address().port;
    await new Promise((r) => probe.close(r));
    const exporter = new PrometheusExporter({ port, host: '127.0.0.1' });
    populateOtel(new MeterProvider({ readers: [exporter] }).getMeter('bench'), series);
    await exporter.startServer();
    server = exporter._server;
    url = `http://127.0.0.1:${server.address().port}/metrics`;
  }
  // Slow readers: each response's status, when its first byte went out (writeHead, also called implicitly by
  // `end()`), whether it was sent whole, and when the server's side of its connection closed.
  let responses = [];
  server.on('request', (req, res) => {
    const r = { status: undefined, first: undefined, whole: false, closed: undefined };
    responses.push(r);
    const writeHead = res.writeHead;
    res.writeHead = function (status, ...rest) {
      r.status = status;
      r.first ??= performance.now();
      return writeHead.call(this, status, ...rest);
    };
    res.on('close', () => {
      r.status ??= res.statusCode;
      r.first ??= performance.now();
      r.whole = res.writableFinished;
    });
    req.socket.once('close', () => {
      r.closed = performance.now();
    });
  });
  let peak = 0;
  let atPeak;
  // BENCH_RSS_TRACE=<file>: (written to <file>.<pid>) every sample as a line `ms rss heapTotal heapUsed arrayBuffers` (bytes), to see
  // what the RSS follows.
  const trace = process.env.BENCH_RSS_TRACE ? [] : undefined;
  setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) {
      peak = rss;
      atPeak = process.memoryUsage();
    }
    if (trace) {
      const m = process.memoryUsage();
      trace.push(`${performance.now().toFixed(0)} ${m.rss} ${m.heapTotal} ${m.heapUsed} ${m.arrayBuffers}`);
    }
  }, 20).unref();
  if (trace) {
    process.on('exit', () =>
      writeFileSync(`${process.env.BENCH_RSS_TRACE}.${process.pid}`, `${trace.join('\n')}\n`),
    );
    process.on('SIGTERM', () => process.exit(0));
    process.on('message', (m) => trace.push(`# ${performance.now().toFixed(0)} ${m}`));
  }
  process.on('message', (m) => {
    if (m === 'rss') {
      globalThis.gc?.();
      const rss = process.memoryUsage.rss();
      const now = process.memoryUsage();
      process.send({ rss, peak, atPeak, now });
      peak = rss;
      atPeak = now;
    } else if (m === 'responses') {
      const now = performance.now();
      process.send({ responses: responses.map((r) => ({ ...r, open: r.closed === undefined, now })) });
      responses = [];
    } else if (m === 'collections') {
      const { user, system } = process.cpuUsage();
      process.send({ collections, majorGcs, cpu: (user + system) / 1000 });
      collections = 0;
      majorGcs = 0;
    } else if (m === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send({ cpu: (user + system) / 1000 });
    }
  });
  process.send({ url });
}

function startServer(kind, series, env = {}) {
  const child = fork(self, ['serve', kind, String(series)], {
    execArgv: ['--expose-gc'],
    env: { ...process.env, ...env },
  });
  const next = () => new Promise((resolve) => child.once('message', resolve));
  const ask = (question) => {
    const answer = next();
    child.send(question);
    return answer;
  };
  return next().then(({ url }) => ({ url, ask, stop: () => child.kill() }));
}

// ---------------------------------------------------------------- the clients (this process)

/** Keeps `n` idle connections open, opening a new one whenever the server closes one (runs in its own process). */
function idleAttack(url, n) {
  const { hostname, port } = new URL(url);
  let stopped = false;
  let reconnects = 0;
  const sockets = new Set();
  const open = () => {
    const s = connect(Number(port), hostname);
    sockets.add(s);
    s.on('error', () => {});
    s.resume();
    s.on('close', () => {
      sockets.delete(s);
      if (!stopped) {
        reconnects++;
        setImmediate(open);
      }
    });
  };
  for (let i = 0; i < n; i++) open();
  process.on('message', () => {
    stopped = true;
    for (const s of sockets) s.destroy();
    process.send({ reconnects });
    process.exit(0);
  });
}

/**
 * The attacker in a child process of its own, so its reconnect loop does not delay the probe's event loop (a
 * prober such as the kubelet does not share a process with the clients flooding the endpoint).
 */
function startAttack(url, n) {
  const child = fork(self, ['attack', url, String(n)]);
  return {
    stop: () =>
      new Promise((resolve) => {
        child.once('message', ({ reconnects }) => resolve(reconnects));
        child.send('stop');
      }),
  };
}

/** ms until the whole answer arrived, or `undefined` without one within the probe timeout. */
function probe(url, ca, timeout = PROBE_TIMEOUT_MS) {
  const start = performance.now();
  return new Promise((resolve) => {
    const send = url.startsWith('https') ? httpsRequest : httpRequest;
    const req = send(url, { agent: false, ca, timeout }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - start : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

async function idle() {
  const dir = mkdtempSync(join(tmpdir(), 'omb-bench-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  // A self-signed certificate for the loopback address (one line of openssl arguments).
  const args = `req -x509 -newkey rsa:2048 -nodes -keyout ${key} -out ${cert} -days 1 -subj /CN=127.0.0.1`;
  execFileSync('openssl', [...args.split(' '), '-addext', 'subjectAltName=IP:127.0.0.1'], {
    stdio: 'ignore',
  });
  const ca = readFileSync(cert, 'utf8');
  console.log(
    `idle connections: probe /healthz and /metrics every ${PROBE_EVERY_MS} ms for ${PROBE_MS / 1000} s, ` +
      `${PROBE_TIMEOUT_MS / 1000} s timeout; 1000 series; the attacker reconnects whatever the server closes`,
  );
  console.log(
    'server         idle  /healthz max   /metrics max   no answer   attacker reconnects  server CPU ms',
  );
  for (const kind of IDLE_SERVERS) {
    for (const n of IDLE_COUNTS)
      for (let r = 0; r < IDLE_REPEAT; r++) {
        const server = await startServer(kind, 1000, { BENCH_TLS_KEY: key, BENCH_TLS_CERT: cert });
        const base = server.url.slice(0, -'/metrics'.length);
        const attack = startAttack(server.url, n);
        await sleep(500); // let the connections land
        const { cpu: cpuBefore } = await server.ask('cpu');
        let failed = 0;
        const max = { health: 0, metrics: 0 };
        const end = performance.now() + PROBE_MS;
        while (performance.now() < end) {
          const [health, metrics] = await Promise.all([probe(`${base}/healthz`, ca), probe(server.url, ca)]);
          // prom-client's and upstream's servers have no health path: their /healthz is their metrics (or 404).
          if (kind.startsWith('ours')) {
            if (health === undefined) failed++;
            else max.health = Math.max(max.health, health);
          }
          if (metrics === undefined) failed++;
          else max.metrics = Math.max(max.metrics, metrics);
          await sleep(PROBE_EVERY_MS);
        }
        const reconnects = await attack.stop();
        const { cpu: cpuAfter } = await server.ask('cpu');
        server.stop();
        const health = kind.startsWith('ours') ? `${fmt(max.health)} ms` : '—';
        console.log(
          `${kind.padEnd(13)} ${String(n).padStart(5)}  ${health.padStart(12)}  ${`${fmt(max.metrics)} ms`.padStart(13)}  ` +
            `${String(failed).padStart(10)}  ${String(reconnects).padStart(20)}  ${fmt(cpuAfter - cpuBefore).padStart(14)}`,
        );
        await sleep(300);
      }
  }
}

/**
 * Sends a scrape and never reads; resolves once the response has started (or after 10 s), with the status line
 * peeked at (`socket.status`; the bytes are put back, so the socket holds as much as before).
 */
function nonReader(url) {
  const { hostname, port } = new URL(url);
  const s = connect(Number(port), hostname);
  s.on('error', () => {});
  s.on('readable', () => {}); // never read(): the socket and kernel buffers fill, then the server's stall
  s.write(`GET /metrics HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  return new Promise((resolve) => {
    const started = setInterval(() => {
      if (s.readableLength < 12) return;
      const head = s.read(12);
      s.status = Number(head.toString('latin1', 9, 12));
      s.unshift(head);
      done();
    }, 10);
    const timer = setTimeout(done, 10_000);
    function done() {
      clearInterval(started);
      clearTimeout(timer);
      resolve(s);
    }
  });
}

/**
 * One phase of the slow-readers bench in a server process of its own (RSS never falls back after a phase, so a
 * phase run after another would show the larger of the two): steady state, then 40 scrapes by `client`
 * (`read`: an ordinary scrape read to the end; `never`: a client that never reads), sent `back-to-back` (each
 * as soon as the previous response has started: most share a collection) or `spaced` (each after the previous
 * production's coalescing window: one collection per client, the worst case for memory).
 */
async function slowPhase(client, timing) {
  const server = await startServer('ours-http', SLOW_SERIES);
  // Steady state: two ordinary scrapes, then the RSS after a GC, past the coalescing window so the last
  // scrape's body is no longer held.
  for (let i = 0; i < 2; i++) await probe(server.url, undefined, 60_000);
  await sleep(COALESCE_MS + 500);
  const { rss: before, now: steady } = await server.ask('rss');
  const { cpu: cpuBefore } = await server.ask('collections');
  await server.ask('responses');
  const start = performance.now();
  const clients = [];
  for (let i = 0; i < SLOW_READERS; i++) {
    const sent = performance.now();
    if (client === 'read') await probe(server.url, undefined, 60_000);
    else clients.push(await nonReader(server.url));
    if (timing === 'spaced') await sleep(Math.max(0, COALESCE_MS + 100 - (performance.now() - sent)));
  }
  const sendingFor = performance.now() - start;
  if (client === 'never') await sleep(SEND_TIMEOUT_MS + 2000);
  const { peak, atPeak } = await server.ask('rss');
  const { collections, majorGcs, cpu } = await server.ask('collections');
  const { responses } = await server.ask('responses');
  const { closed } = await server.ask('closed');
  for (const c of clients) c.destroy();
  server.stop();
  const mb = (b) => (b / 1024 / 1024).toFixed(0);
  console.log(
    `${timing.padEnd(12)} ${client === 'read' ? 'read       ' : 'never read '} ${SLOW_READERS} requests over ` +
      `${(sendingFor / 1000).toFixed(1)} s, ${collections} SDK collections, ${majorGcs} major GCs, server CPU ` +
      `${fmt(cpu - cpuBefore)} ms; RSS steady ${mb(before)} MB ` +
      `(V8 heap ${mb(steady.heapTotal)}, array buffers ${mb(steady.arrayBuffers)}), peak ${mb(peak)} MB = ` +
      `+${mb(peak - before)} MB (at the peak: V8 heap ${mb(atPeak.heapTotal)}, array buffers ${mb(atPeak.arrayBuffers)})`,
  );
  if (client === 'read') return;
  console.log(
    `    statuses the clients saw: ${JSON.stringify(count(clients.map((c) => c.status)))}; ` +
      `connections closed by the server, by reason: ${JSON.stringify(closed)}`,
  );
  // Per status: how many connections the server had closed when asked, and when, from the response's first byte.
  const byStatus = Map.groupBy(responses, (r) => r.status);
  for (const [status, rs] of byStatus) {
    const after = rs.filter((r) => !r.open).map((r) => r.closed - r.first);
    after.sort((x, y) => x - y);
    console.log(
      `    ${status}: ${rs.length} responses, ${rs.filter((r) => r.whole).length} sent whole; connection closed by ` +
        `the server for ${after.length}, ${fmt(after[0] ?? Number.NaN)}–${fmt(after.at(-1) ?? Number.NaN)} ms after ` +
        `the first byte; still open ${rs.filter((r) => r.open).length}`,
    );
  }
}

async function slowReaders() {
  console.log(
    `slow readers: ${SLOW_READERS} clients scrape ${SLOW_SERIES} series uncompressed; sendTimeout ` +
      `${SEND_TIMEOUT_MS} ms, maxQueuedBytes default (64 MiB), coalesceWindow ${COALESCE_MS} ms. Each row is a ` +
      `server process of its own; "+N MB" is its RSS peak over its steady state (after two scrapes and a GC).`,
  );
  const bytes = await (async () => {
    const server = await startServer('ours-http', SLOW_SERIES);
    const n = await new Promise((resolve) => {
      httpRequest(server.url, { agent: false }, (res) => {
        let total = 0;
        res.on('data', (c) => {
          total += c.length;
        });
        res.on('end', () => resolve(total));
      }).end();
    });
    server.stop();
    return n;
  })();
  console.log(`body ${(bytes / 1024 / 1024).toFixed(0)} MB`);
  for (const timing of SLOW_TIMINGS) {
    for (const client of ['read', 'never']) await slowPhase(client, timing);
  }
}

function count(values) {
  const counts = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

// ---------------------------------------------------------------- main

if (process.argv[2] === 'serve') {
  await serve(process.argv[3], Number(process.argv[4]));
} else if (process.argv[2] === 'attack') {
  idleAttack(process.argv[3], Number(process.argv[4]));
} else {
  console.log(environment());
  console.log(`ulimit -n: ${execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()}`);
  const which = process.argv[2];
  if (which === undefined || which === 'idle') await idle();
  if (which === undefined || which === 'slow-readers') await slowReaders();
  process.exit(0);
}
