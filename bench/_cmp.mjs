import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from '/work/wt/issue3/dist/prometheus/serializer.js';
import { PrometheusSerializer as Old } from '/tmp/oldsrc/out/prometheus/serializer.js';
import { PrometheusReader } from '/work/wt/issue3/dist/prometheus/reader.js';
import { populateOtel } from '/work/wt/issue3/bench/fixture.js';
const reader = new PrometheusReader({ cardinalityLimit: 2000 });
const mp = new MeterProvider({ readers: [reader] });
populateOtel(mp.getMeter('bench', '1.2'), 2000);
const m = mp.getMeter('other');
m.createCounter('x').add(1);
m.createHistogram('nolabels', {advice:{explicitBucketBoundaries:[]}}).record(3);
m.createHistogram('neg').record(-3, {'ü': 'a"b\\c\nd😀'});
m.createUpDownCounter('ud', {unit: 'By'}).add(-2.5e-9, {a:'', 'a.b': 'x', 'a_b': 'y'});
const { resourceMetrics } = await reader.collect();
for (const f of ['text','openmetrics']) {
  const a = new PrometheusSerializer({chunkSize: 1024}).serialize(resourceMetrics, f);
  const b = new Old().serialize(resourceMetrics, f);
  console.log(f, a === b, a.length, b.length);
  if (a !== b) { for (let i=0;i<a.length;i++) if (a[i]!==b[i]) { console.log(JSON.stringify(a.slice(i-200,i+100)), '\n---\n', JSON.stringify(b.slice(i-200,i+100))); break; } }
}
