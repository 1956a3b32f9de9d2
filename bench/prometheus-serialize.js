// collect + serialize, in process, for N = 1k, 10k, 100k series: ours vs the upstream exporter's
// collect()+PrometheusSerializer (what its request handler runs) vs prom-client register.metrics().
// Every contender ends with bytes ready to send (the upstream handler and prom-client users encode the
// string in res.end; our serializer writes bytes directly), so Buffer.from() is included for the strings.
import {
  PrometheusExporter,
  PrometheusSerializer as UpstreamSerializer,
} from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import client from 'prom-client';
import { PrometheusReader } from '../dist/prometheus/reader.js';
import { PrometheusSerializer } from '../dist/prometheus/serializer.js';
import { populateOtel, populatePromClient } from './fixture.js';
import { environment, fmt, gc, median } from './util.js';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
console.log(environment());
console.log(
  'series | ours ms | upstream ms | prom-client ms | upstream/ours | prom-client/ours | body MB (ours)',
);
for (const n of SIZES) {
  const runs = n >= 100_000 ? 5 : 10;
  let bytes = 0;

  const reader = new PrometheusReader({ cardinalityLimit: 2000 });
  const ours = new MeterProvider({ readers: [reader] });
  populateOtel(ours.getMeter('bench'), n);
  const serializer = new PrometheusSerializer();
  const oursMs = await median(
    async () => {
      const { resourceMetrics } = await reader.collect();
      bytes = 0;
      for (const chunk of serializer.chunks(resourceMetrics)) bytes += chunk.length;
    },
    { runs },
  );
  await ours.shutdown();
  gc();

  const exporter = new PrometheusExporter({ preventServerStart: true });
  const upstream = new MeterProvider({ readers: [exporter] });
  populateOtel(upstream.getMeter('bench'), n);
  const upstreamSerializer = new UpstreamSerializer();
  const upstreamMs = await median(
    async () => {
      const { resourceMetrics } = await exporter.collect();
      Buffer.from(upstreamSerializer.serialize(resourceMetrics));
    },
    { runs, warmup: n >= 100_000 ? 1 : 3 },
  );
  await upstream.shutdown();
  gc();

  const registry = new client.Registry();
  populatePromClient(client, registry, n);
  const promMs = await median(async () => Buffer.from(await registry.metrics()), { runs });
  registry.clear();
  gc();

  console.log(
    `${String(n).padStart(6)} | ${fmt(oursMs).padStart(7)} | ${fmt(upstreamMs).padStart(11)} | ` +
      `${fmt(promMs).padStart(14)} | ${(upstreamMs / oursMs).toFixed(1).padStart(13)}x | ` +
      `${(promMs / oursMs).toFixed(1).padStart(15)}x | ${(bytes / 1e6).toFixed(1)}`,
  );
}
