import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from '/work/wt/issue3/dist/prometheus/serializer.js';
import { PrometheusReader } from '/work/wt/issue3/dist/prometheus/reader.js';
import { populateOtel } from '/work/wt/issue3/bench/fixture.js';
import client from 'prom-client';
import { populatePromClient } from '/work/wt/issue3/bench/fixture.js';
const n = Number(process.argv[2] ?? 10000);
const reader = new PrometheusReader({ cardinalityLimit: 2000 });
const mp = new MeterProvider({ readers: [reader] });
populateOtel(mp.getMeter('bench'), n);
const ser = new PrometheusSerializer();
const reg = new client.Registry();
populatePromClient(client, reg, n);
for (let k = 0; k < 6; k++) {
  let t = performance.now();
  const { resourceMetrics } = await reader.collect();
  let bytes = 0;
  for (const c of ser.chunks(resourceMetrics)) bytes += Buffer.from(c).length;
  const ts = performance.now() - t;
  t = performance.now();
  const p = await reg.metrics();
  const bp = Buffer.from(p).length;
  const tp = performance.now() - t;
  console.log(`ours ${ts.toFixed(1)} (${bytes}) prom-client ${tp.toFixed(1)} (${bp})`);
}
