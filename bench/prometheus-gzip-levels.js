// Which gzip level to use for scrapes: time and size per level on the 10k-series exposition (text 0.0.4).
// Timed on the thread pool like the endpoint does it (zlib.gzip, async), one compression at a time.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusReader } from '../dist/prometheus/reader.js';
import { PrometheusSerializer } from '../dist/prometheus/serializer.js';
import { populateOtel } from './fixture.js';
import { environment, fmt, median } from './util.js';

const gzipAsync = promisify(gzip);
console.log(environment());
const reader = new PrometheusReader({ cardinalityLimit: 2000 });
const provider = new MeterProvider({ readers: [reader] });
populateOtel(provider.getMeter('bench'), 10_000);
const { resourceMetrics } = await reader.collect();
const body = Buffer.concat([...new PrometheusSerializer().chunks(resourceMetrics)]);
console.log(`10k series, ${(body.length / 1e6).toFixed(2)} MB uncompressed`);
console.log('level | ms | KB | ratio');
for (const level of [1, 2, 3, 4, 6, 9]) {
  let size = 0;
  const ms = await median(
    async () => {
      size = (await gzipAsync(body, { level })).length;
    },
    { runs: 7, warmup: 2 },
  );
  console.log(`${level} | ${fmt(ms)} | ${(size / 1024).toFixed(0)} | ${(body.length / size).toFixed(1)}x`);
}
