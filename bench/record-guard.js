// The record path: what MeasurementGuard (src/measurement-guard.ts) adds to counter.add() and histogram.record()
// on instruments from our provider, against the same instruments from a plain SDK MeterProvider and against
// prom-client's inc()/observe() with the same labels. Each call gets a fresh attributes literal, as app code
// does; ns per call, median of interleaved rounds.
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import client from 'prom-client';
import { PrometheusReader } from '../dist/prometheus/reader.js';
import { BucketAdvisingMeterProvider } from '../dist/views.js';
import { environment } from './util.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const ROUTES = Array.from({ length: 10 }, (_, i) => `/route/${i}`);
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function otel(provider) {
  const meter = provider.getMeter('bench');
  const counter = meter.createCounter('requests');
  const histogram = meter.createHistogram('duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: BUCKETS },
  });
  return {
    add(i) {
      counter.add(1, {
        'http.request.method': 'GET',
        'http.route': ROUTES[i % 10],
        'http.response.status_code': 200,
      });
    },
    record(i) {
      histogram.record(0.001 * (i % 100), {
        'http.request.method': 'GET',
        'http.route': ROUTES[i % 10],
        'http.response.status_code': 200,
      });
    },
  };
}

function promClient() {
  const registry = new client.Registry();
  const labelNames = ['method', 'route', 'status'];
  const counter = new client.Counter({
    name: 'requests_total',
    help: 'h',
    labelNames,
    registers: [registry],
  });
  const histogram = new client.Histogram({
    name: 'd',
    help: 'h',
    labelNames,
    buckets: BUCKETS,
    registers: [registry],
  });
  return {
    add(i) {
      counter.inc({ method: 'GET', route: ROUTES[i % 10], status: 200 }, 1);
    },
    record(i) {
      histogram.observe({ method: 'GET', route: ROUTES[i % 10], status: 200 }, 0.001 * (i % 100));
    },
  };
}

const contenders = {
  // Each with a reader, as in an app: without one the SDK stores nothing.
  'plain SDK': otel(new MeterProvider({ readers: [new PrometheusReader({ cardinalityLimit: 2000 })] })),
  'ours (guarded)': otel(
    new BucketAdvisingMeterProvider({ readers: [new PrometheusReader({ cardinalityLimit: 2000 })] }, {}),
  ),
  'prom-client': promClient(),
};

console.log(environment());
for (const op of ['add', 'record']) {
  const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS + 2; r++) {
    for (const [name, c] of Object.entries(contenders)) {
      const fn = c[op];
      const t = performance.now();
      for (let i = 0; i < CALLS; i++) fn(i);
      // The first two rounds warm up the JIT.
      if (r >= 2) times[name].push(((performance.now() - t) * 1e6) / CALLS);
    }
  }
  const med = (t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
  const plain = med(times['plain SDK']);
  const line = Object.keys(contenders)
    .map((name) => {
      const ns = med(times[name]);
      return `${name} ${ns.toFixed(0)} ns (${(ns / plain).toFixed(2)}× plain SDK)`;
    })
    .join(' | ');
  console.log(`${op === 'add' ? 'counter.add ' : 'histogram.record'}: ${line}`);
}
