import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from '/work/wt/issue3/dist/prometheus/serializer.js';
import { PrometheusReader } from '/work/wt/issue3/dist/prometheus/reader.js';
import { populateOtel } from '/work/wt/issue3/bench/fixture.js';
const n = Number(process.argv[2] ?? 10000);
const reader = new PrometheusReader({ cardinalityLimit: 2000 });
const mp = new MeterProvider({ readers: [reader] });
populateOtel(mp.getMeter('bench'), n);
const ser = new PrometheusSerializer();
const { resourceMetrics } = await reader.collect();
for (let k = 0; k < 20; k++) {
  let t = performance.now();
  let bytes = 0;
  for (const c of ser.chunks(resourceMetrics)) bytes += Buffer.from(c).length;
  const ts = performance.now() - t;
  if (k%5==0) console.log(`ours ${ts.toFixed(1)} (${bytes})`);
}
