// What the HTTP server recorder's two diagnostics_channel handlers cost per request, in process and without the
// network: the listeners are called directly with the messages node:http publishes, built from real
// IncomingMessage/ServerResponse objects (50 "connections", new request and response objects every cycle, as
// keep-alive traffic has). Side by side in one run: no-op listeners (the loop's own cost), the recorder, and the
// two clock reads it makes per request. bench/http-overhead.js measures the same code inside a loaded server.
//
//   node bench/http-handlers.js [--iterations 2000000] [--rounds 5]
//
// Runs on the built dist/ (`npm run build`); it imports the recorder from dist/http/, which is not public API.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { MethodTable } from '../dist/http/attributes.js';
import { HistogramStream, SumStream } from '../dist/http/series.js';
import { ServerRecorder } from '../dist/http/server.js';
import { HTTP_KNOWN_METHODS } from '../dist/semconv.js';
import { BYTES_BUCKETS, SECONDS_BUCKETS } from '../dist/views.js';
import { environment } from './util.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '2000000' },
    rounds: { type: 'string', default: '5' },
  },
});
const ITERATIONS = Number(values.iterations);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = 50;

const descriptor = (name, unit) => ({
  name,
  description: '',
  unit,
  valueType: 1,
  cardinalityLimit: 2000,
  allowedKeys: undefined,
});
const active = new SumStream(descriptor('http.server.active_requests', '{request}'));
const recorder = new ServerRecorder(
  {
    duration: new HistogramStream(descriptor('http.server.request.duration', 's'), SECONDS_BUCKETS),
    requestSize: new HistogramStream(descriptor('http.server.request.body.size', 'By'), BYTES_BUCKETS),
    responseSize: new HistogramStream(descriptor('http.server.response.body.size', 'By'), BYTES_BUCKETS),
    active,
  },
  {
    methods: new MethodTable(HTTP_KNOWN_METHODS),
    routes: undefined,
    ignore: undefined,
    serverAddress: false,
    serverPort: false,
  },
);

const server = {};
const sockets = Array.from({ length: CONNECTIONS }, () => new Socket());

/** One cycle's messages: a GET with a Host header on every connection, answered 200 with an 11-byte body. */
function messages() {
  return sockets.map((socket) => {
    const request = new IncomingMessage(socket);
    request.method = 'GET';
    request.httpVersionMajor = 1;
    request.httpVersionMinor = 1;
    request.url = '/';
    request.rawHeaders = ['Host', '127.0.0.1:8080'];
    const response = new ServerResponse(request);
    response.statusCode = 200;
    response._contentLength = 11;
    const message = { request, response, socket, server };
    return { start: message, finish: { ...message } };
  });
}

function run(onStart, onFinish) {
  let batch = messages();
  const t = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) {
    const m = batch[i % CONNECTIONS];
    onStart(m.start);
    onFinish(m.finish);
    if (i % CONNECTIONS === CONNECTIONS - 1) batch = messages();
  }
  return Number(process.hrtime.bigint() - t) / ITERATIONS;
}

function clockReads() {
  const now = performance.now.bind(performance);
  let sink = 0;
  const t = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) sink += now() - now();
  const ns = Number(process.hrtime.bigint() - t) / ITERATIONS;
  return sink > 1 ? Number.NaN : ns;
}

const noop = () => {};
const results = { 'no-op listeners': [], recorder: [], 'two clock reads': [] };
for (let r = 0; r < ROUNDS; r++) {
  results['no-op listeners'].push(run(noop, noop));
  results.recorder.push(run(recorder.onRequestStart, recorder.onResponseFinish));
  results['two clock reads'].push(clockReads());
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(environment());
console.log(`${ITERATIONS} requests × ${ROUNDS} rounds, ${CONNECTIONS} connections, medians:`);
const base = median(results['no-op listeners']);
for (const [name, ns] of Object.entries(results)) {
  console.log(`  ${name.padEnd(18)} ${median(ns).toFixed(1).padStart(7)} ns per request`);
}
const own = median(results.recorder) - base;
const clock = median(results['two clock reads']);
console.log(
  `recorder − no-op: ${own.toFixed(1)} ns per request, of which the two clock reads ${clock.toFixed(1)} ns ` +
    `(${((clock / own) * 100).toFixed(0)} %)`,
);
const left = [...active.all()].reduce((n, s) => n + s.value, 0);
if (left !== 0) {
  console.error(`active requests left at ${left}: a start or finish went unmatched`);
  process.exitCode = 1;
}
